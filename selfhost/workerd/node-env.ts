import type { Env } from "../../worker/env.js";
import type { Scheduler } from "./scheduler.js";

/** The node service's bindings: the worker's own (worker/env.ts) plus its scheduler. */
export type NodeEnv = Env & { SCHEDULER: DurableObjectNamespace<Scheduler> };
