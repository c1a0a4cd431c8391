//! The viewport grid: one canvas drawn by `lumen-render` (WebGPU, or WebGL2 when forced with `?renderer=webgl2`
//! or when WebGPU is missing) under a grid of cells, one per viewport, that carry the overlays and receive the
//! reader's input — window/level drag (right button always, left in W/L mode), pan, zoom (ctrl+wheel, pinch,
//! zoom tool), stack scroll (wheel, scrollbar, one-finger swipe), the pixel probe, and series dropped from the
//! series panel.
//!
//! Coordinates: pointer positions are CSS pixels; the view works in device pixels (× devicePixelRatio). It must
//! not decode nor window pixels itself.

use super::overlay::overlay;
use super::state::{GpuState, SeriesEntry, Viewer};
use crate::i18n::{t, Msg};
use leptos::html;
use leptos::prelude::*;
use lumen_render::web::BackendPreference;
use lumen_render::{Gpu, Renderer};
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The mouse tool of the left button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    WindowLevel,
    Pan,
    Zoom,
    Scroll,
}

impl Tool {
    pub const ALL: [Tool; 4] = [Tool::WindowLevel, Tool::Pan, Tool::Zoom, Tool::Scroll];
    pub fn id(self) -> &'static str {
        match self {
            Tool::WindowLevel => "wl",
            Tool::Pan => "pan",
            Tool::Zoom => "zoom",
            Tool::Scroll => "scroll",
        }
    }
    pub fn label(self) -> Msg {
        match self {
            Tool::WindowLevel => Msg::ToolWindowLevel,
            Tool::Pan => Msg::ToolPan,
            Tool::Zoom => Msg::ToolZoom,
            Tool::Scroll => Msg::ToolScroll,
        }
    }
    pub fn hint(self) -> Msg {
        self.label()
    }
}

/// The current left-button tool, shared by the toolbar and the viewports.
#[derive(Clone, Copy)]
pub struct ToolSignal(pub RwSignal<Tool>);

/// The renderer the URL asks for: `?renderer=webgl2` forces WebGL2.
fn backend_preference() -> BackendPreference {
    let search = location().search().unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("renderer="))
        .map(BackendPreference::parse)
        .unwrap_or_default()
}

fn dpr() -> f64 {
    window().device_pixel_ratio().max(0.5)
}

#[component]
pub fn ViewportGrid(viewer: Viewer) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    Effect::new(move |_| {
        let Some(canvas) = canvas.get() else { return };
        if viewer.with(|c| c.gpu.is_some()) {
            return;
        }
        let canvas: web_sys::HtmlCanvasElement = canvas;
        leptos::task::spawn_local(async move {
            let result = async {
                let (gpu, surface) = Gpu::for_canvas(&canvas, backend_preference())
                    .await
                    .map_err(|e| e.to_string())?;
                let renderer = Renderer::new(&gpu.device, &gpu.queue, surface.format())
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(GpuState {
                    gpu,
                    surface,
                    renderer,
                })
            }
            .await;
            viewer.update(|c| match result {
                Ok(state) => c.gpu = Some(state),
                Err(e) => c.gpu_error = Some(e),
            });
        });
    });
    let on_resize = window_event_listener(leptos::ev::resize, move |_| viewer.changed());
    on_cleanup(move || on_resize.remove());
    // The area also changes size without the window doing so (a panel opening above it, the phone layout's series
    // strip): redraw then too, or the picture would be stretched to the canvas's new box.
    let area = NodeRef::<html::Div>::new();
    let observer = StoredValue::new_local(None::<(web_sys::ResizeObserver, Closure<dyn FnMut()>)>);
    Effect::new(move |_| {
        let Some(area) = area.get() else { return };
        if observer.with_value(|o| o.is_some()) {
            return;
        }
        let callback = Closure::<dyn FnMut()>::new(move || viewer.changed());
        match web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            Ok(o) => {
                o.observe(&area);
                observer.set_value(Some((o, callback)));
            }
            Err(e) => leptos::logging::warn!("Lumen: no ResizeObserver: {e:?}"),
        }
    });
    on_cleanup(move || {
        if let Some(Some((o, _))) = observer.try_update_value(|o| o.take()) {
            o.disconnect();
        }
    });
    let grid_style = move || {
        let (r, c) = viewer.read(|c| c.layout.grid());
        format!("grid-template-columns: repeat({c}, 1fr); grid-template-rows: repeat({r}, 1fr)")
    };
    // A memo, so the cells are rebuilt only when the layout changes (not on every state change, which would drop a
    // drag in progress).
    let count = Memo::new(move |_| viewer.read(|c| c.layout.count()));
    view! {
        <div class="viewport-area" node_ref=area>
            <canvas class="viewport-canvas" node_ref=canvas data-testid="viewport-canvas"></canvas>
            <div class="viewport-cells" style=grid_style>
                {move || (0..count.get()).map(|i| view! { <ViewportCell viewer index=i /> }).collect_view()}
            </div>
        </div>
    }
}

/// A drag in progress.
#[derive(Clone, Copy)]
struct Drag {
    mode: Tool,
    last: [f64; 2],
    start_y: f64,
    scrolled: i64,
}

#[component]
fn ViewportCell(viewer: Viewer, index: usize) -> impl IntoView {
    let tool = expect_context::<ToolSignal>().0;
    let drag = StoredValue::new(None::<Drag>);
    let touches = StoredValue::new(HashMap::<i32, [f64; 2]>::new());
    let pinch = StoredValue::new(None::<f64>);
    let wheel_rest = StoredValue::new(0.0_f64);
    let cell = NodeRef::<html::Div>::new();
    let local = move |x: f64, y: f64| -> [f64; 2] {
        let Some(el) = cell.get_untracked() else {
            return [x, y];
        };
        let r = el.get_bounding_client_rect();
        [x - r.left(), y - r.top()]
    };
    let on_down = move |ev: leptos::ev::PointerEvent| {
        ev.prevent_default();
        // Keys act on the viewports again once the reader works in one (a toolbar select keeps focus otherwise).
        if let Some(focused) = document()
            .active_element()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = focused.blur();
        }
        // Default prevented, the press does not move the keyboard focus to this document by itself: inside a
        // portal's iframe the keys would keep going to the portal. Take it.
        let _ = window().focus();
        viewer.update(|c| c.active = index);
        if let Some(el) = cell.get_untracked() {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        let p = local(ev.client_x() as f64, ev.client_y() as f64);
        if ev.pointer_type() == "touch" {
            touches.update_value(|t| {
                t.insert(ev.pointer_id(), p);
            });
            if touches.with_value(|t| t.len()) >= 2 {
                drag.set_value(None);
                pinch.set_value(None);
                return;
            }
        }
        let mode = match (ev.button(), ev.pointer_type().as_str()) {
            (2, _) => Tool::WindowLevel,
            (1, _) => Tool::Pan,
            (_, "touch") if tool.get_untracked() == Tool::WindowLevel => Tool::Scroll,
            _ => tool.get_untracked(),
        };
        drag.set_value(Some(Drag {
            mode,
            last: p,
            start_y: p[1],
            scrolled: 0,
        }));
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        let p = local(ev.client_x() as f64, ev.client_y() as f64);
        let scale = dpr();
        if ev.pointer_type() == "touch" && touches.with_value(|t| t.contains_key(&ev.pointer_id()))
        {
            touches.update_value(|t| {
                t.insert(ev.pointer_id(), p);
            });
            let pts: Vec<[f64; 2]> = touches.with_value(|t| t.values().copied().collect());
            if pts.len() >= 2 {
                let d = ((pts[0][0] - pts[1][0]).powi(2) + (pts[0][1] - pts[1][1]).powi(2)).sqrt();
                if let Some(prev) = pinch.get_value() {
                    let mid = [
                        (pts[0][0] + pts[1][0]) / 2.0 * scale,
                        (pts[0][1] + pts[1][1]) / 2.0 * scale,
                    ];
                    if prev > 0.0 {
                        viewer.update(|c| c.zoom(index, mid, d / prev));
                    }
                }
                pinch.set_value(Some(d));
                return;
            }
        }
        let Some(mut d) = drag.get_value() else {
            viewer.update_text(|c| c.probe(index, [p[0] * scale, p[1] * scale]));
            return;
        };
        let (dx, dy) = (p[0] - d.last[0], p[1] - d.last[1]);
        d.last = p;
        match d.mode {
            Tool::WindowLevel => viewer.update(|c| c.drag_window(index, dx, dy)),
            Tool::Pan => viewer.update(|c| c.pan(index, [dx * scale, dy * scale])),
            Tool::Zoom => {
                let (w, h) = viewer.with(|c| {
                    c.viewports
                        .get(index)
                        .map_or((0.0, 0.0), |v| (v.size[0], v.size[1]))
                });
                viewer.update(|c| c.zoom(index, [w / 2.0, h / 2.0], (-dy / 150.0).exp()))
            }
            Tool::Scroll => {
                // One image per 12 CSS pixels of vertical travel.
                let target = ((p[1] - d.start_y) / 12.0) as i64;
                if target != d.scrolled {
                    let delta = target - d.scrolled;
                    d.scrolled = target;
                    viewer.update(|c| c.scroll(index, delta));
                }
            }
        }
        drag.set_value(Some(d));
    };
    let on_up = move |ev: leptos::ev::PointerEvent| {
        touches.update_value(|t| {
            t.remove(&ev.pointer_id());
        });
        if touches.with_value(|t| t.len()) < 2 {
            pinch.set_value(None);
        }
        drag.set_value(None);
    };
    let on_leave = move |_: leptos::ev::PointerEvent| {
        viewer.update_text(|c| {
            if let Some(v) = c.viewports.get_mut(index) {
                v.probe = None;
            }
        });
    };
    let on_wheel = move |ev: leptos::ev::WheelEvent| {
        ev.prevent_default();
        let p = local(ev.client_x() as f64, ev.client_y() as f64);
        let scale = dpr();
        if ev.ctrl_key() || ev.meta_key() {
            let factor = (-ev.delta_y() / 300.0).exp();
            viewer.update(|c| c.zoom(index, [p[0] * scale, p[1] * scale], factor));
        } else {
            // One image per wheel notch (100 pixels in Chromium; lines and pages are converted), so a trackpad's
            // many small deltas add up instead of racing through the stack.
            let unit = match ev.delta_mode() {
                1 => 33.0,
                2 => 100.0 * 10.0,
                _ => 1.0,
            };
            let total = wheel_rest.get_value() + ev.delta_y() * unit;
            let steps = (total / 100.0).trunc();
            wheel_rest.set_value(total - steps * 100.0);
            if steps != 0.0 {
                viewer.update(|c| {
                    c.active = index;
                    c.scroll(index, steps as i64)
                });
            }
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let Some(uid) = ev
            .data_transfer()
            .and_then(|dt| dt.get_data("text/x-lumen-series").ok())
        else {
            return;
        };
        if uid.is_empty() {
            return;
        }
        viewer.update(|c| {
            c.active = index;
            c.load_into(index, &uid, 0);
        });
    };
    let on_dragover = move |ev: leptos::ev::DragEvent| ev.prevent_default();

    let is_active = move || viewer.read(|c| c.active == index && c.layout.count() > 1);
    let ov = move || viewer.read(|c| overlay(c, index, dpr()));
    let status = move || {
        viewer.read(|c| {
            let v = c.viewports.get(index)?;
            let uid = v.series.as_deref()?;
            if let (None, Some(e)) = (&c.gpu, &c.gpu_error) {
                return Some((true, format!("{} {e}", t(Msg::FrameFailed))));
            }
            match c.series.get(uid)? {
                SeriesEntry::Loading => Some((false, t(Msg::LoadingImages).to_string())),
                SeriesEntry::Failed(e) => Some((true, e.clone())),
                SeriesEntry::Ready(d) => {
                    let key = d.stack.frames.get(v.index).map(|f| f.key.clone());
                    match key {
                        None => Some((true, t(Msg::NoImages).to_string())),
                        Some(k) => {
                            if let Some(e) = c.errors.get(&k) {
                                Some((true, format!("{} {e}", t(Msg::FrameFailed))))
                            } else if !c.cache.contains(&k) {
                                Some((false, t(Msg::LoadingImages).to_string()))
                            } else {
                                None
                            }
                        }
                    }
                }
            }
        })
    };
    // A reduced-resolution preview on screen: the levels it leaves out, for the "loading full resolution" cue.
    let preview = move || viewer.read(|c| c.preview_levels(index));
    let shown_series = move || {
        viewer.read(|c| {
            c.viewports
                .get(index)
                .and_then(|v| v.series.clone())
                .unwrap_or_default()
        })
    };
    let shown_sop = move || {
        viewer.read(|c| {
            c.viewports
                .get(index)
                .and_then(|v| c.frame_key(index, v.index))
                .map(|k| k.sop_instance_uid)
                .unwrap_or_default()
        })
    };
    let empty = move || viewer.read(|c| c.viewports.get(index).is_some_and(|v| v.series.is_none()));
    let len = move || viewer.read(|c| c.stack_len(index));
    let pos = move || viewer.read(|c| c.viewports.get(index).map_or(0, |v| v.index));
    let on_scrollbar = move |ev: leptos::ev::Event| {
        if let Ok(n) = event_target_value(&ev).parse::<usize>() {
            viewer.update(|c| c.scroll_to(index, n));
        }
    };
    let corner = |class: &'static str, lines: Vec<String>| {
        view! { <div class=class>{lines.into_iter().map(|l| view! { <div>{l}</div> }).collect_view()}</div> }
    };
    view! {
        <div
            class="viewport"
            class:active=is_active
            node_ref=cell
            data-testid="viewport"
            data-index=index.to_string()
            data-series-uid=shown_series
            data-sop-instance-uid=shown_sop
            data-preview=move || preview().map(|l| l.to_string())
            on:pointerdown=on_down
            on:pointermove=on_move
            on:pointerup=on_up
            on:pointercancel=on_up
            on:pointerleave=on_leave
            on:wheel=on_wheel
            on:contextmenu=|ev: leptos::ev::MouseEvent| ev.prevent_default()
            on:dragover=on_dragover
            on:drop=on_drop
        >
            {move || {
                let o = ov();
                view! {
                    {corner("corner tl", o.top_left)}
                    <div class="corner tr" data-testid="overlay-tr">{o.top_right.into_iter().map(|l| view! { <div>{l}</div> }).collect_view()}</div>
                    <div class="corner bl" data-testid="overlay-bl">{o.bottom_left.into_iter().map(|l| view! { <div>{l}</div> }).collect_view()}</div>
                    <div class="corner br" data-testid="overlay-br">{o.bottom_right.into_iter().map(|l| view! { <div>{l}</div> }).collect_view()}</div>
                    {o.markers.map(|[l, r, tp, b]| view! {
                        <div class="marker left" data-testid="marker-left">{l}</div>
                        <div class="marker right" data-testid="marker-right">{r}</div>
                        <div class="marker top">{tp}</div>
                        <div class="marker bottom">{b}</div>
                    })}
                    {o.scale.map(|(px, label)| view! {
                        <div class="scale-bar" data-testid="scale-bar" style=format!("width:{px:.1}px")><span>{label}</span></div>
                    })}
                }
            }}
            {move || {
                // While a preview is shown, the loading cue moves to the bottom so that it does not hide the image.
                let text = status().filter(|(error, _)| !error)?.1;
                preview().map(|_| view! {
                    <div class="viewport-status preview" data-testid="frame-preview">
                        <span class="spinner"></span>{text}
                    </div>
                })
            }}
            {move || status().filter(|(error, _)| *error || preview().is_none()).map(|(error, text)| view! {
                <div class="viewport-status" class:error=error data-testid=if error { "frame-error" } else { "frame-loading" }>
                    {(!error).then(|| view! { <span class="spinner"></span> })}{text}
                </div>
            })}
            {move || empty().then(|| view! { <div class="viewport-status muted">{t(Msg::DropSeriesHere)}</div> })}
            {move || (len() > 1).then(|| view! {
                <input class="scrollbar" type="range" min="0" max=(len() - 1).to_string() step="1"
                    data-testid="scrollbar" aria-label=t(Msg::ImageIndex)
                    prop:value=move || pos().to_string() on:input=on_scrollbar
                    on:pointerdown=|ev: leptos::ev::PointerEvent| ev.stop_propagation() />
            })}
        </div>
    }
}
