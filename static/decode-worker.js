// A Lumen decode worker: loads the same wasm module as the page (Lumen's own files only) and hands control to
// its `worker_main`, which fetches frames with WADO-RS and decodes them off the UI thread. It must not hold any
// logic of its own: everything is in the Rust module (web/src/decode_worker.rs).
import init, { worker_main } from "/lumen_web.js";

init({ module_or_path: "/lumen_web_bg.wasm" })
  .then(() => worker_main())
  .catch((err) => {
    console.error("Lumen decode worker could not start", err);
    self.close();
  });
