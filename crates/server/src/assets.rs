//! The web app's files (HTML, JavaScript glue, wasm module, CSS, icons), embedded in the binary at build time by
//! `build.rs` from `target/web-dist/` (made by `scripts/build-web.sh`), so `lumen serve` is a single file.
//!
//! It answers "which bytes and which `Content-Type` for this path" and nothing else: routing, caching headers,
//! compression and the Content-Security-Policy belong to the HTTP layer. It must never read the file system at run
//! time. When the web app was not built, `index.html` is a short developer notice naming the script that builds it,
//! so a fresh checkout still serves something that explains itself.

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Shown as `index.html` when the server was compiled without the web app. Plain HTML, no script, no external
/// resource, so it passes the strictest Content-Security-Policy.
const NOT_BUILT_PAGE: &str = "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>Lumen \u{2014} web app not built</title></head>
<body style=\"font-family: system-ui, sans-serif; background: #111418; color: #d8dde3; padding: 2rem;\">
<h1>Lumen: the web app was not built</h1>
<p>This server was compiled without the viewer. The DICOMweb API under <code>/dicom-web</code> works.</p>
<p>To include the viewer, run <code>scripts/build-web.sh</code> from the repository root, then rebuild the server
(<code>cargo build -p lumen</code>).</p>
</body>
</html>
";

/// Returns the bytes and the `Content-Type` of the embedded web-app file at `path` (relative to the app root, with
/// or without a leading `/`; an empty path means `index.html`), or `None` when no such file was embedded.
///
/// When the web app was not built, `index.html` is a page explaining how to build it (see [`web_app_built`]).
pub fn asset(path: &str) -> Option<(&'static [u8], &'static str)> {
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if let Some((_, bytes)) = WEB_ASSETS.iter().find(|(name, _)| *name == path) {
        return Some((bytes, content_type(path)));
    }
    if path == "index.html" {
        return Some((NOT_BUILT_PAGE.as_bytes(), content_type(path)));
    }
    None
}

/// Whether the web app was embedded at build time (its `index.html` was in the dist folder).
pub fn web_app_built() -> bool {
    WEB_ASSETS.iter().any(|(name, _)| *name == "index.html")
}

/// The `Content-Type` for a file, from its extension (case-insensitive). Text types carry `charset=utf-8`; an
/// unknown extension is `application/octet-stream`, so a browser never sniffs it into something executable.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        // Model cards of the AI model packages (`models/<id>/MODEL_CARD.md`), shown as text.
        "md" => "text/markdown; charset=utf-8",
        // Model weights: bytes the AI worker verifies against the manifest's SHA-256.
        "safetensors" => "application/octet-stream",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_follows_extension_case_insensitively() {
        assert_eq!(content_type("lumen_web_bg.wasm"), "application/wasm");
        assert_eq!(
            content_type("lumen_web.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("STYLE.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
    }

    #[test]
    fn model_package_files_have_their_types() {
        assert_eq!(content_type("models/cxr-qc/manifest.json"), "application/json");
        assert_eq!(content_type("models/index.json"), "application/json");
        assert_eq!(content_type("models/cxr-qc/MODEL_CARD.md"), "text/markdown; charset=utf-8");
        assert_eq!(content_type("models/cxr-qc/weights.safetensors"), "application/octet-stream");
        assert_eq!(content_type("lumen_ai_bg.wasm"), "application/wasm");
    }

    #[test]
    fn unknown_or_missing_extension_is_opaque_bytes() {
        assert_eq!(content_type("README"), "application/octet-stream");
        assert_eq!(content_type("data.xyz"), "application/octet-stream");
    }

    #[test]
    fn index_html_is_always_served() {
        // Built or not, the root page exists: either the app or the notice explaining how to build it.
        let (bytes, ty) = asset("index.html").expect("index.html is always available");
        assert_eq!(ty, "text/html; charset=utf-8");
        assert!(!bytes.is_empty());
        assert_eq!(asset("/"), asset("index.html"));
        assert_eq!(asset(""), asset("index.html"));
    }

    #[test]
    fn notice_page_names_the_build_script_only_when_app_missing() {
        let (bytes, _) = asset("index.html").expect("index.html is always available");
        let page = String::from_utf8_lossy(bytes);
        assert_eq!(page.contains("scripts/build-web.sh"), !web_app_built());
    }

    #[test]
    fn leading_slash_is_optional() {
        for (name, _) in WEB_ASSETS {
            assert_eq!(asset(name), asset(&format!("/{name}")));
        }
    }

    #[test]
    fn unknown_path_is_none() {
        assert_eq!(asset("no/such/file.js"), None);
        assert_eq!(asset("../Cargo.toml"), None);
    }

    #[test]
    fn built_app_includes_its_wasm_module_and_glue() {
        // When the app is embedded, the page can only start if the wasm-bindgen glue and module are there too.
        if web_app_built() {
            assert!(
                asset("lumen_web.js").is_some(),
                "glue script missing from the embedded app"
            );
            let (wasm, ty) =
                asset("lumen_web_bg.wasm").expect("wasm module missing from the embedded app");
            assert_eq!(ty, "application/wasm");
            assert_eq!(
                wasm.get(..4),
                Some(&b"\0asm"[..]),
                "embedded module does not start with the wasm magic"
            );
        }
    }

    #[test]
    fn built_app_includes_the_ai_worker_and_every_listed_model_package() {
        // scripts/build-web.sh ships the AI worker's module beside the viewer's and lists the model packages it
        // copied in models/index.json; the worker fetches each package's manifest, weights and self-test.
        if web_app_built() {
            assert!(asset("ai-worker.js").is_some() && asset("lumen_ai.js").is_some(), "AI worker glue missing");
            let (wasm, ty) = asset("lumen_ai_bg.wasm").expect("AI worker module missing");
            assert_eq!((wasm.get(..4), ty), (Some(&b"\0asm"[..]), "application/wasm"));
            let (index, ty) = asset("models/index.json").expect("models/index.json missing");
            assert_eq!(ty, "application/json");
            let ids: Vec<String> = serde_json::from_slice(index).expect("models/index.json is a JSON array of ids");
            for id in ids {
                for file in ["manifest.json", "weights.safetensors", "selftest.json"] {
                    assert!(asset(&format!("models/{id}/{file}")).is_some(), "models/{id}/{file} missing");
                }
            }
        }
    }
}
