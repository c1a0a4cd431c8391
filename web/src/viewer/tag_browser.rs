//! The tag browser: every attribute of the instance shown in the active viewport (from its WADO-RS metadata, DICOM
//! JSON), with tag, name (PS3.6 dictionary), VR and value, filtered by a search box (tag, name or value), sequences
//! expandable.
//!
//! Values are shown as text only, bulk data as its URI. It must not fetch anything.

use super::state::Viewer;
use crate::i18n::{t, Msg};
use dicom_core::dictionary::DataDictionary;
use dicom_dictionary_std::StandardDataDictionary;
use leptos::prelude::*;
use serde_json::Value;

/// One attribute row.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    tag: String,
    name: String,
    vr: String,
    value: String,
    items: Vec<Vec<Row>>,
}

fn rows(dataset: &Value) -> Vec<Row> {
    let Some(map) = dataset.as_object() else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys.into_iter()
        .filter_map(|k| {
            let attr = map.get(k)?;
            let tag = lumen_dicomweb::json::parse_tag_key(k)?;
            let name = StandardDataDictionary
                .by_tag(tag)
                .map(|e| e.alias.to_string())
                .unwrap_or_else(|| {
                    if tag.group() % 2 == 1 {
                        crate::i18n::t(crate::i18n::Msg::PrivateTag).into()
                    } else {
                        crate::i18n::t(crate::i18n::Msg::UnknownTag).into()
                    }
                });
            let vr = attr
                .get("VR")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let values = attr.get("Value").and_then(Value::as_array);
            let (value, items) = if vr == "SQ" {
                let items: Vec<Vec<Row>> = values
                    .map(|v| v.iter().map(rows).collect())
                    .unwrap_or_default();
                (format!("{} item(s)", items.len()), items)
            } else if let Some(uri) = attr.get("BulkDataURI").and_then(Value::as_str) {
                (format!("bulk data: {uri}"), Vec::new())
            } else if attr.get("InlineBinary").is_some() {
                ("(binary)".to_string(), Vec::new())
            } else {
                let text = values
                    .map(|vs| {
                        vs.iter()
                            .map(|v| match v {
                                Value::String(s) => s.clone(),
                                Value::Object(o) => o
                                    .get("Alphabetic")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_string(),
                                Value::Null => String::new(),
                                other => other.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join("\\")
                    })
                    .unwrap_or_default();
                (text, Vec::new())
            };
            Some(Row {
                tag: format!("({:04X},{:04X})", tag.group(), tag.element()),
                name,
                vr,
                value,
                items,
            })
        })
        .collect()
}

fn matches(row: &Row, needle: &str) -> bool {
    needle.is_empty()
        || row.tag.to_lowercase().contains(needle)
        || row.name.to_lowercase().contains(needle)
        || row.value.to_lowercase().contains(needle)
        || row.items.iter().flatten().any(|r| matches(r, needle))
}

fn render(rows: Vec<Row>, needle: String, depth: usize) -> AnyView {
    rows.into_iter()
        .filter(|r| matches(r, &needle))
        .map(|r| {
            let indent = format!("padding-left:{}px", 8 + depth * 14);
            let tag_attr = r.tag.clone();
            if r.items.is_empty() {
                view! {
                    <div class="tag-row" data-tag=tag_attr>
                        <span class="tag-id" style=indent>{r.tag}</span>
                        <span class="tag-name">{r.name}</span>
                        <span class="tag-vr">{r.vr}</span>
                        <span class="tag-value">{r.value}</span>
                    </div>
                }
                .into_any()
            } else {
                let needle = needle.clone();
                view! {
                    <details class="tag-seq" open=!needle.is_empty()>
                        <summary class="tag-row" data-tag=tag_attr>
                            <span class="tag-id" style=indent>{r.tag}</span>
                            <span class="tag-name">{r.name}</span>
                            <span class="tag-vr">{r.vr}</span>
                            <span class="tag-value">{r.value}</span>
                        </summary>
                        {r.items
                            .into_iter()
                            .enumerate()
                            .map(|(n, item)| view! {
                                <div class="tag-item" style=format!("padding-left:{}px", 20 + depth * 14)>{format!("Item {}", n + 1)}</div>
                                {render(item, needle.clone(), depth + 1)}
                            })
                            .collect_view()}
                    </details>
                }
                .into_any()
            }
        })
        .collect_view()
        .into_any()
}

#[component]
pub fn TagBrowser(viewer: Viewer, on_close: Callback<()>) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let dataset = move || viewer.read(|c| c.current_instance(c.active));
    view! {
        <aside class="tag-browser" data-testid="tag-browser">
            <div class="tag-head">
                <strong>{t(Msg::Tags)}</strong>
                <input type="search" placeholder=t(Msg::SearchTags) data-testid="tag-search"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                <button class="tool" on:click=move |_| on_close.run(())>"✕"</button>
            </div>
            <div class="tag-list">
                {move || {
                    let needle = search.get().trim().to_lowercase();
                    match dataset() {
                        Some(d) => render(rows(&d), needle, 0),
                        None => view! { <div class="muted">{t(Msg::NoImages)}</div> }.into_any(),
                    }
                }}
            </div>
        </aside>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn rows_name_tags_and_expand_sequences() {
        let ds: Value = serde_json::json!({
            "00100010": {"vr": "PN", "VR": "PN", "Value": [{"Alphabetic": "DOE^JANE"}]},
            "00081140": {"VR": "SQ", "Value": [{"00081150": {"VR": "UI", "Value": ["1.2.3"]}}]}
        });
        let r = rows(&ds);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].tag, "(0008,1140)");
        assert_eq!(r[0].items[0][0].value, "1.2.3");
        assert_eq!(
            (r[1].name.as_str(), r[1].value.as_str()),
            ("PatientName", "DOE^JANE")
        );
        assert!(matches(&r[0], "1.2.3"));
        assert!(!matches(&r[1], "1.2.3"));
    }
}
