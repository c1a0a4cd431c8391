// Starts the Lumen web app: loads the wasm-bindgen glue and the wasm module from this server (absolute paths, so
// it works from any route), and reports a load failure on the page instead of leaving a spinner forever.
// The modules are built with WebAssembly SIMD128 (.cargo/config.toml), which a browser older than Chrome/Edge 91,
// Firefox 89 or Safari 16.4 cannot compile: such a browser gets a plain sentence saying so, checked before anything
// is loaded. It must not hold application logic: everything else is in the Rust app (web/src).

/** A module whose only function returns a v128 constant: valid exactly where WebAssembly SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: one type, () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code section: one body, no locals, v128.const …
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // … sixteen zero bytes
  0x0b, // end
]);

function show(text) {
  const message = document.getElementById("boot-message");
  if (message) {
    message.textContent = text;
    message.classList.add("boot-error");
  }
}

function supportsWasmSimd() {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

if (!supportsWasmSimd()) {
  show(
    "This browser is too old for Lumen: it needs WebAssembly SIMD (Chrome or Edge 91, Firefox 89, Safari 16.4 " +
      "or newer). Please update the browser or use another one.",
  );
  console.error("Lumen cannot start: this browser does not support WebAssembly SIMD");
} else {
  import("/lumen_web.js")
    .then(({ default: init }) => init({ module_or_path: "/lumen_web_bg.wasm" }))
    .catch((err) => {
      show("Lumen could not start in this browser: " + (err && err.message ? err.message : String(err)));
      console.error("Lumen failed to start", err);
    });
}
