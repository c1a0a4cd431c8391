//! Keyboard shortcuts of the study view and the help overlay listing them (`?`).
//!
//! Keys act on the active viewport. They are ignored while the focus is in a text field. This module must not
//! hold viewer logic beyond mapping keys to the state's operations.

use super::presets::CT_PRESETS;
use super::state::Viewer;
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use lumen_frames::{WindowFunction, WindowPreset};

/// The shortcuts, as (keys, what they do), for the help overlay.
const SHORTCUTS: [(&str, Msg); 13] = [
    ("↑ ↓ ← → / wheel", Msg::KeyScroll),
    ("PgUp PgDn · Home End", Msg::KeyScrollFar),
    ("Ctrl + wheel · pinch", Msg::ToolZoom),
    ("1 – 5", Msg::KeyPresets),
    ("Space", Msg::Cine),
    ("R", Msg::Rotate),
    ("H · V", Msg::KeyFlip),
    ("I", Msg::Invert),
    ("S", Msg::Smooth),
    ("F", Msg::Fit),
    ("Esc", Msg::Reset),
    ("T", Msg::Tags),
    ("?", Msg::KeyHelp),
];

/// Starts or stops cine in the active viewport.
pub fn toggle_cine(viewer: Viewer) {
    viewer.update(|c| {
        let i = c.active;
        if let Some(v) = c.viewports.get_mut(i) {
            v.cine = match v.cine {
                Some(_) => None,
                None => Some(v.chosen_fps.unwrap_or(super::state::FILE_RATE)),
            };
        }
    });
    viewer.tick_cine();
}

/// Listens to the keyboard for the lifetime of the page.
pub fn install(viewer: Viewer) {
    let panels = use_context::<super::Panels>();
    let handle = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let in_field = document()
            .active_element()
            .map(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"))
            .unwrap_or(false);
        if in_field {
            return;
        }
        let key = ev.key();
        let handled = match key.as_str() {
            "ArrowDown" | "ArrowRight" => step(viewer, 1),
            "ArrowUp" | "ArrowLeft" => step(viewer, -1),
            "PageDown" => step(viewer, 10),
            "PageUp" => step(viewer, -10),
            "Home" => step(viewer, i64::MIN / 2),
            "End" => step(viewer, i64::MAX / 2),
            " " => {
                toggle_cine(viewer);
                true
            }
            "r" | "R" => act(viewer, |c, i| c.rotate(i)),
            "h" | "H" => act(viewer, |c, i| c.flip(i, true)),
            "v" | "V" => act(viewer, |c, i| c.flip(i, false)),
            "i" | "I" => act(viewer, |c, i| {
                if let Some(v) = c.viewports.get_mut(i) {
                    v.user_invert = !v.user_invert
                }
            }),
            "f" | "F" => act(viewer, |c, i| c.fit(i)),
            "s" | "S" => act(viewer, |c, i| {
                if let Some(v) = c.viewports.get_mut(i) {
                    v.pixelated = !v.pixelated
                }
            }),
            "Escape" => act(viewer, |c, i| c.reset(i)),
            "1" | "2" | "3" | "4" | "5" => {
                let n = key.parse::<usize>().unwrap_or(1) - 1;
                viewer.update(|c| {
                    let i = c.active;
                    if c.modality(i) == "CT" {
                        if let (Some(p), Some(v)) = (CT_PRESETS.get(n), c.viewports.get_mut(i)) {
                            v.window = Some(WindowPreset {
                                center: p.center,
                                width: p.width,
                                function: WindowFunction::Linear,
                                explanation: Some(crate::i18n::t(p.label).to_string()),
                            });
                        }
                    }
                });
                true
            }
            "t" | "T" => {
                if let Some(p) = panels {
                    p.tags.update(|o| *o = !*o);
                }
                true
            }
            "?" => {
                if let Some(p) = panels {
                    p.help.update(|o| *o = !*o);
                }
                true
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    });
    on_cleanup(move || handle.remove());
}

fn step(viewer: Viewer, delta: i64) -> bool {
    viewer.update(|c| {
        let i = c.active;
        c.scroll(i, delta)
    });
    true
}

fn act(viewer: Viewer, f: impl FnOnce(&mut super::state::ViewerCore, usize)) -> bool {
    viewer.update(|c| {
        let i = c.active;
        f(c, i)
    });
    true
}

/// The list of shortcuts, over the page.
#[component]
pub fn HelpOverlay(on_close: Callback<()>) -> impl IntoView {
    view! {
        <div class="modal-backdrop" on:click=move |_| on_close.run(())>
            <div class="modal" role="dialog" aria-label=t(Msg::KeyHelp) data-testid="help" on:click=|ev| ev.stop_propagation()>
                <div class="modal-title">{t(Msg::KeyHelp)}</div>
                <table class="shortcuts">
                    {SHORTCUTS.iter().map(|(k, m)| view! { <tr><td><kbd>{*k}</kbd></td><td>{t(*m)}</td></tr> }).collect_view()}
                    <tr><td><kbd>{t(Msg::RightDrag)}</kbd></td><td>{t(Msg::ToolWindowLevel)}</td></tr>
                </table>
                <button on:click=move |_| on_close.run(())>{t(Msg::Close)}</button>
            </div>
        </div>
    }
}
