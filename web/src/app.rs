//! The app shell: the top bar (Lumen, the data source in use, the language switch) and the page for the current URL.
//!
//! It provides the user-interface language and the router to every page, and reads the server's `/api/config`
//! once before showing a page that needs the data source. It must not know what a page shows.

use crate::data_source::DataSource;
use crate::i18n::{t, Lang, Msg};
use crate::local_file::{FileDropTarget, LocalFile, LocalFilePage};
use crate::routes::{Route, Router};
use crate::study_list::StudyListPage;
use crate::viewer::ViewerPage;
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let lang = Lang::chosen();
    if let Some(root) = document().document_element() {
        // Screen readers and hyphenation follow <html lang>; failing to set it changes nothing else.
        let _ = root.set_attribute("lang", lang.tag());
    }
    provide_context(lang);
    let router = Router::new();
    provide_context(router);
    provide_context(LocalFile::new());

    let sources = LocalResource::new(DataSource::all_from_server_config);
    let source = move || sources.get().and_then(|all| DataSource::chosen(&all));

    // Like the language, a new source reloads the page, so no page keeps results of the previous one.
    let switch_source = move |ev: leptos::ev::Event| {
        let root = event_target_value(&ev);
        if let Some(chosen) = sources
            .get()
            .and_then(|all| all.into_iter().find(|s| s.dicomweb_root == root))
        {
            chosen.remember();
            let _ = location().reload();
        }
    };

    let go_home = move |ev: leptos::ev::MouseEvent| {
        if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key()) {
            ev.prevent_default();
            router.navigate(Route::StudyList);
        }
    };

    // The words are fixed when a page is built: a new language reloads the page (the URL keeps the place).
    let switch_lang = move |ev: leptos::ev::Event| {
        if let Some(chosen) = Lang::from_tag(&event_target_value(&ev)) {
            chosen.remember();
            let _ = location().reload();
        }
    };

    view! {
        <FileDropTarget />
        <header class="topbar">
            <a class="brand" href="/" on:click=go_home>
                <span class="brand-mark" aria-hidden="true"></span>
                "Lumen"
            </a>
            {move || {
                let all = sources.get()?;
                let current = DataSource::chosen(&all)?;
                Some(if all.len() > 1 {
                    view! {
                        <select
                            class="topbar-source"
                            aria-label=t(Msg::Source)
                            title=t(Msg::Source)
                            data-testid="source"
                            on:change=switch_source
                        >
                            {all
                                .into_iter()
                                .map(|s| {
                                    let selected = s.dicomweb_root == current.dicomweb_root;
                                    view! { <option value=s.dicomweb_root.clone() selected=selected>{s.name}</option> }
                                })
                                .collect_view()}
                        </select>
                    }
                    .into_any()
                } else {
                    view! {
                        <span class="topbar-source" data-testid="source">
                            {format!("{} · {}", t(Msg::Source), current.name)}
                        </span>
                    }
                    .into_any()
                })
            }}
            <select class="lang-switch" aria-label=t(Msg::Language) data-testid="language" on:change=switch_lang>
                {Lang::ALL
                    .into_iter()
                    .map(|l| view! { <option value=l.tag() selected=l == lang>{l.native_name()}</option> })
                    .collect_view()}
            </select>
        </header>
        <main class="main">
            {move || {
                let Some(source) = source() else { return ().into_any() };
                match router.route() {
                    Route::StudyList => view! { <StudyListPage source /> }.into_any(),
                    Route::Viewer { study_instance_uids, series_instance_uids } => {
                        view! { <ViewerPage source study_instance_uids series_instance_uids /> }.into_any()
                    }
                    Route::LocalFile => view! { <LocalFilePage /> }.into_any(),
                    Route::NotFound { .. } => view! {
                        <section class="page"><div class="state">{t(Msg::PageNotFound)}</div></section>
                    }
                    .into_any(),
                }
            }}
        </main>
    }
}
