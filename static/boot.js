// Starts the Lumen web app: loads the wasm-bindgen glue and the wasm module from this server (absolute paths, so
// it works from any route), and reports a load failure on the page instead of leaving a spinner forever.
// It must not hold application logic: everything else is in the Rust app (web/src).
import init from "/lumen_web.js";

init({ module_or_path: "/lumen_web_bg.wasm" }).catch((err) => {
  const message = document.getElementById("boot-message");
  if (message) {
    message.textContent =
      "Lumen could not start in this browser: " + (err && err.message ? err.message : String(err));
    message.classList.add("boot-error");
  }
  console.error("Lumen failed to start", err);
});
