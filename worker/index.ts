import { fetchHandler } from "./app.js";
import type { Env } from "./env.js";
import { pollConfig } from "./poller.js";
import { getSettings } from "./settings.js";

/**
 * The deployable worker: `fetch` is the enrollment request path (worker/app.ts),
 * `scheduled` is the config poller (cron every minute, worker/poller.ts).
 */
export default {
  fetch: fetchHandler,
  async scheduled(_controller, env, ctx): Promise<void> {
    ctx.waitUntil(pollConfig({ kv: env.CONFIG, metrics: env.METRICS, settings: getSettings(env), fetch: (input, init) => fetch(input, init), now: Date.now }));
  },
} satisfies ExportedHandler<Env>;
