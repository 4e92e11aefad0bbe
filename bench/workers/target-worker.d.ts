// The built dist/worker.js, loaded by workerd as the module `target-worker.js` next to
// the bench wrapper (bench/workers/enrollment-host.ts). The bundler leaves this import
// external; the file itself is never copied, bundled or modified.
import type { WorkerModule } from "./runtime.js";

declare const worker: WorkerModule;
export default worker;
