//! The app's pages and their URLs: `/` is the study list, `/viewer?StudyInstanceUIDs=…[&SeriesInstanceUIDs=…]`
//! opens studies, optionally with given series hung first (the URL form OHIF and many PACS integrations already use
//! to launch a viewer), `/local` shows a file opened from disk,
//! anything else is "not found".
//!
//! Navigation uses the History API (no reload, back/forward work). This module only maps URLs to pages and back; it
//! must not fetch anything.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// A page of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The study list (worklist).
    StudyList,
    /// The viewer for the studies with these Study Instance UIDs (0020,000D), in the given order; when
    /// `series_instance_uids` (0020,000E) is not empty, those series are hung first, in that order.
    Viewer {
        study_instance_uids: Vec<String>,
        series_instance_uids: Vec<String>,
    },
    /// A DICOM file opened from the user's disk (held in memory, not in the URL).
    LocalFile,
    /// A path the app does not know.
    NotFound { path: String },
}

impl Route {
    /// The route for a URL path and query string (`search`, with or without its leading `?`).
    pub fn parse(path: &str, search: &str) -> Route {
        match path.trim_end_matches('/') {
            "" | "/index.html" => Route::StudyList,
            "/local" => Route::LocalFile,
            "/viewer" => Route::Viewer {
                study_instance_uids: uid_list(search, "StudyInstanceUIDs"),
                series_instance_uids: uid_list(search, "SeriesInstanceUIDs"),
            },
            other => Route::NotFound {
                path: other.to_string(),
            },
        }
    }

    /// The route of the page the browser is showing.
    pub fn current() -> Route {
        let loc = location();
        Route::parse(
            &loc.pathname().unwrap_or_default(),
            &loc.search().unwrap_or_default(),
        )
    }

    /// The URL (path and query) of this route.
    pub fn href(&self) -> String {
        match self {
            Route::StudyList => LIST_QUERY.with_borrow(|q| {
                if q.is_empty() {
                    "/".to_string()
                } else {
                    format!("/?{q}")
                }
            }),
            Route::Viewer {
                study_instance_uids,
                series_instance_uids,
            } => {
                let encode = |uids: &[String]| {
                    uids.iter()
                        .map(|uid| String::from(js_sys::encode_uri_component(uid)))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let mut href = format!("/viewer?StudyInstanceUIDs={}", encode(study_instance_uids));
                if !series_instance_uids.is_empty() {
                    href.push_str("&SeriesInstanceUIDs=");
                    href.push_str(&encode(series_instance_uids));
                }
                href
            }
            Route::LocalFile => "/local".to_string(),
            Route::NotFound { path } => path.clone(),
        }
    }
}

/// The UIDs of query parameter `name`: comma-separated and/or repeated, blanks dropped.
fn uid_list(search: &str, name: &str) -> Vec<String> {
    query_values(search, name)
        .flat_map(|v| {
            v.split(',')
                .map(str::trim)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|uid| !uid.is_empty())
        .collect()
}

/// The decoded values of the query parameter `name` in `search` (`+` is a space, as in forms).
fn query_values<'a>(search: &'a str, name: &'a str) -> impl Iterator<Item = String> + 'a {
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(move |pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key) == name).then(|| percent_decode(value))
        })
}

/// Decodes `%XX` escapes and `+`; an invalid escape is kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

thread_local! {
    /// The study list's search as it was last shown (URL query without `?`), so links back to the list return to
    /// it, as the browser's Back button does.
    static LIST_QUERY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Remembers the study list's current search (`PatientName=DOE&offset=50`, or empty) for [`Route::StudyList`].
pub fn remember_list_query(query: &str) {
    LIST_QUERY.with_borrow_mut(|q| *q = query.to_string());
}

/// The current page, shared through context by the app root.
#[derive(Clone, Copy)]
pub struct Router {
    route: RwSignal<Route>,
}

impl Router {
    /// A router starting at the browser's current URL, following back/forward navigation.
    pub fn new() -> Router {
        let route = RwSignal::new(Route::current());
        let listener =
            window_event_listener(leptos::ev::popstate, move |_| route.set(Route::current()));
        // The router lives as long as the app: the listener is never removed.
        std::mem::forget(listener);
        Router { route }
    }

    /// The current page (reactive).
    pub fn route(&self) -> Route {
        self.route.get()
    }

    /// Shows `to`, adding a history entry so Back returns here.
    pub fn navigate(&self, to: Route) {
        let href = to.href();
        if let Ok(history) = window().history() {
            // A failure (e.g. a sandboxed frame) still shows the page; only the address bar is not updated.
            let _ = history.push_state_with_url(&JsValue::NULL, "", Some(&href));
        }
        window().scroll_to_with_x_and_y(0.0, 0.0);
        self.route.set(to);
    }
}

/// The router provided by the app root.
pub fn use_router() -> Router {
    expect_context::<Router>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn root_and_index_are_the_study_list() {
        assert_eq!(Route::parse("/", ""), Route::StudyList);
        assert_eq!(Route::parse("/index.html", "?x=1"), Route::StudyList);
    }

    #[test]
    fn viewer_reads_comma_separated_and_repeated_study_uids() {
        let r = Route::parse(
            "/viewer",
            "?StudyInstanceUIDs=1.2.3,1.2.4&StudyInstanceUIDs=1.2.5",
        );
        assert_eq!(
            r,
            Route::Viewer {
                study_instance_uids: vec!["1.2.3".into(), "1.2.4".into(), "1.2.5".into()],
                series_instance_uids: vec![],
            }
        );
    }

    #[test]
    fn viewer_decodes_escaped_commas_and_drops_empty_uids() {
        let r = Route::parse("/viewer/", "StudyInstanceUIDs=1.2.3%2C1.2.4,");
        assert_eq!(
            r,
            Route::Viewer {
                study_instance_uids: vec!["1.2.3".into(), "1.2.4".into()],
                series_instance_uids: vec![],
            }
        );
    }

    #[test]
    fn viewer_reads_series_uids_and_writes_them_back() {
        let r = Route::parse(
            "/viewer",
            "?StudyInstanceUIDs=1.2.3&SeriesInstanceUIDs=1.2.3.4,1.2.3.5",
        );
        assert_eq!(
            r,
            Route::Viewer {
                study_instance_uids: vec!["1.2.3".into()],
                series_instance_uids: vec!["1.2.3.4".into(), "1.2.3.5".into()],
            }
        );
        assert_eq!(
            r.href(),
            "/viewer?StudyInstanceUIDs=1.2.3&SeriesInstanceUIDs=1.2.3.4,1.2.3.5"
        );
    }

    #[test]
    fn local_file_page_has_its_own_path() {
        assert_eq!(Route::parse("/local", ""), Route::LocalFile);
        assert_eq!(Route::LocalFile.href(), "/local");
    }

    #[test]
    fn unknown_path_is_not_found() {
        assert_eq!(
            Route::parse("/nope", ""),
            Route::NotFound {
                path: "/nope".into()
            }
        );
    }

    #[test]
    fn invalid_percent_escape_is_kept() {
        assert_eq!(percent_decode("100%zz+x"), "100%zz x");
        assert_eq!(percent_decode("%4"), "%4");
    }
}
