// Lumen's AI worker: loads the AI module (lumen_ai.js / lumen_ai_bg.wasm — burn, kept out of the viewer's own
// module) from Lumen's origin and hands control to its `ai_worker_main`, which answers the page's messages
// (protocol in crates/infer/src/protocol.rs). It must not hold any logic of its own: everything is in the Rust
// module (web/ai-worker/src/). Messages that arrive while the module loads (the page's `init` does) are kept and
// handed to the module's handler, in order, once it is installed.
import init, { ai_worker_main } from "/lumen_ai.js";

const early = [];
self.onmessage = (event) => early.push(event.data);

init({ module_or_path: "/lumen_ai_bg.wasm" })
  .then(() => {
    ai_worker_main();
    for (const data of early.splice(0)) self.dispatchEvent(new MessageEvent("message", { data }));
  })
  .catch((err) => {
    console.error("Lumen AI worker could not start", err);
    self.postMessage([JSON.stringify({ type: "failed", job: null, message: `the AI worker could not start: ${err}` })]);
    self.close();
  });
