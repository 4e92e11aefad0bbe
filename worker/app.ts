import { Hono } from "hono";
import type { Env } from "./env.js";
import { log } from "./log.js";
import { bareProxy, handleRequest } from "./request-path.js";
import { getSettings } from "./settings.js";
import { statusBody } from "./status.js";

/**
 * The Hono app: the status route, and everything else to the enrollment request path.
 */
export const STATUS_PATH = "/_enrollment/status";

export const app = new Hono<{ Bindings: Env }>();

app.get(STATUS_PATH, async (c) => {
  const body = await statusBody(c.env, Date.now(), (p) => c.executionCtx.waitUntil(p));
  return c.json(body, 200, { "cache-control": "no-store" });
});

app.all("*", (c) => proxy(c.req.raw, c.env, c.executionCtx));

// Last resort: the request path does not throw by design; if it ever does, the visitor
// still gets the origin, un-enrolled, and we say so.
app.onError((err, c) => unhandled(err, c.req.raw, c.env));

// Looked up once per isolate, not per request.
let defaultCache: Cache | null | undefined;
const random = (buf: Uint8Array): void => void crypto.getRandomValues(buf);

function proxy(request: Request, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
  // SPLIT_CACHE = "off" (self-hosted: raw workerd has no Cache API, and its
  // caches.default.match throws): the no-cache path, the site's own cache splits instead.
  let cache: Cache | null = null;
  if (getSettings(env).splitCache) cache = defaultCache ??= typeof caches === "undefined" ? null : caches.default;
  return handleRequest(request, env, {
    now: Date.now(),
    random,
    cache,
    waitUntil: (p) => ctx.waitUntil(p),
  });
}

function unhandled(err: Error, request: Request, env: Env): Promise<Response> {
  log("error", "worker.unhandled", { error: err.message, effect: "bare pass-through to the origin" });
  return bareProxy(request, env, Date.now());
}

/**
 * The fetch entry. Fast path: a URL that cannot be the status route skips the router and
 * goes straight to the request path; Hono's per-request context and routing measured
 * about 8 µs of workerd CPU per request in the bench ladder (bench/README.md), and every
 * proxied page view would pay it. Anything that might be the status route goes through
 * the app, which routes exactly.
 */
export async function fetchHandler(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  // STATUS_ROUTE = "off" (self-hosted public listener): the admin listener serves the page.
  if (request.url.includes(STATUS_PATH) && getSettings(env).statusRoute) return app.fetch(request, env, ctx);
  try {
    return await proxy(request, env, ctx);
  } catch (e) {
    return unhandled(e as Error, request, env);
  }
}
