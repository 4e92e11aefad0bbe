import { WorkerEntrypoint } from "cloudflare:workers";
import { log } from "../../worker/log.js";
import type { NodeEnv } from "./node-env.js";
import { Scheduler } from "./scheduler.js";
import worker from "./worker.js";

/**
 * The main module of a self-hosted node (contract §11). It runs dist/worker.js unchanged,
 * in the same isolate as the scheduler, so the status page counts what the node served:
 *   default   the public listener: every request goes to the bundle's fetch, whose
 *             STATUS_ROUTE = "off" proxies /_enrollment/* like any page;
 *   Admin     the admin listener: only the status page, the poll trigger and this node's
 *             kill switch (the KV flag `wrangler kv key put` sets on Cloudflare).
 * The first request after a start (usually the unit's poll trigger) starts the schedule.
 */

export { Scheduler };

const STATUS_PATH = "/_enrollment/status";
const POLL_PATH = "/_enrollment/poll";
const KILL_PATH = "/_enrollment/kill-switch";
// KILL_SWITCH_KEY of worker/config-store.ts (not imported: that would bundle the config
// parser into this module); test/selfhost/node.test.ts proves the switch works.
const KILL_SWITCH_KEY = "control/v1/kill";

let started = false;

function startSchedule(env: NodeEnv, ctx: ExecutionContext): void {
  started = true;
  const scheduler = env.SCHEDULER.get(env.SCHEDULER.idFromName("poller"));
  ctx.waitUntil(
    scheduler.start().catch((e: Error) => {
      started = false;
      log("error", "scheduler.start_failed", { error: e.message, effect: "retried on the next request" });
    }),
  );
}

export default {
  fetch(request, env, ctx): Promise<Response> {
    if (!started) startSchedule(env, ctx);
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<NodeEnv>;

// The admin view of the same bindings, with the status route on; one per env object, so
// the bundle parses its settings once for it (worker/settings.ts memoises per env).
const adminEnvs = new WeakMap<NodeEnv, NodeEnv>();
function adminEnv(env: NodeEnv): NodeEnv {
  let admin = adminEnvs.get(env);
  if (admin === undefined) {
    admin = { ...env, STATUS_ROUTE: "on" };
    adminEnvs.set(env, admin);
  }
  return admin;
}

const text = (status: number, body: string): Response =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

const USAGE = `admin listener: GET ${STATUS_PATH}, POST ${POLL_PATH}, PUT|DELETE ${KILL_PATH}\n`;

const json = (body: unknown): Response => Response.json(body, { headers: { "cache-control": "no-store" } });

/** The admin listener: status, poll trigger and kill switch; nothing proxied. */
export class Admin extends WorkerEntrypoint<NodeEnv> {
  override async fetch(request: Request): Promise<Response> {
    if (!started) startSchedule(this.env, this.ctx);
    const url = new URL(request.url);
    if (url.pathname === STATUS_PATH) {
      if (request.method !== "GET" && request.method !== "HEAD") return text(405, USAGE);
      return worker.fetch(request, adminEnv(this.env), this.ctx);
    }
    if (url.pathname === POLL_PATH) {
      if (request.method !== "POST") return text(405, USAGE);
      await this.env.SCHEDULER.get(this.env.SCHEDULER.idFromName("poller")).pollNow();
      // Answer with the status page, whose `poll` section is this poll's outcome.
      return worker.fetch(new Request(new URL(STATUS_PATH, url)), adminEnv(this.env), this.ctx);
    }
    if (url.pathname === KILL_PATH) {
      if (request.method === "PUT") await this.env.CONFIG.put(KILL_SWITCH_KEY, "on");
      else if (request.method === "DELETE") await this.env.CONFIG.delete(KILL_SWITCH_KEY);
      else return text(405, USAGE);
      const on = request.method === "PUT";
      log("warn", "node.kill_switch", { on });
      return json({ killSwitch: on ? "on" : "off", effect: `enrollment ${on ? "stops" : "resumes"} within CONFIG_REFRESH_MS (5 s by default)` });
    }
    return text(404, USAGE);
  }
}
