// A Lumen decode worker: runs the same wasm module as the page (Lumen's own files only) and hands control to its
// `worker_main`, which fetches frames with WADO-RS, or reads files from disk, and decodes them off the UI thread.
// The page posts its already compiled WebAssembly.Module as the first message, so the worker instantiates it
// without downloading or compiling the module again; anything else as the first message makes it load the module
// itself. It must not hold any logic of its own: everything is in the Rust module (web/src/decode_worker.rs).
import init, { worker_main } from "/lumen_web.js";

self.onmessage = (event) => {
  self.onmessage = null;
  const module = event.data instanceof WebAssembly.Module ? event.data : "/lumen_web_bg.wasm";
  init({ module_or_path: module })
    .then(() => worker_main())
    .catch((err) => {
      console.error("Lumen decode worker could not start", err);
      self.close();
    });
};
