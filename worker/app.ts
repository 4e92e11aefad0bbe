import { Hono } from "hono";
import { prefersHtml } from "../src/accept.js";
import type { Env } from "./env.js";
import { counters } from "./counters.js";
import { logOnce } from "./log.js";
import { recordRequest } from "./metrics.js";
import { bareProxy, handleRequest } from "./request-path.js";
import { getSettings } from "./settings.js";
import { statusBody } from "./status.js";
import { renderStatusHtml, STATUS_PAGE_CSP } from "./status-html.js";

/**
 * The Hono app: the status route, and everything else to the enrollment request path.
 */
export const STATUS_PATH = "/_enrollment/status";

export const app = new Hono<{ Bindings: Env }>();

// JSON for scripts (and anyone not asking for HTML first); a page for browsers.
// `?format=json|html` overrides the Accept header, for links and bookmarks.
app.get(STATUS_PATH, async (c) => {
  const now = Date.now();
  const body = await statusBody(c.env, now, (p) => c.executionCtx.waitUntil(p));
  const format = c.req.query("format");
  const headers = { "cache-control": "no-store", vary: "Accept" };
  if (format === "html" || (format !== "json" && prefersHtml(c.req.header("accept") ?? null))) {
    const host = new URL(c.req.url).hostname;
    return c.html(renderStatusHtml(body, host, now), 200, { ...headers, "content-security-policy": STATUS_PAGE_CSP, "x-content-type-options": "nosniff" });
  }
  return c.json(body, 200, headers);
});

app.all("*", (c) => proxy(c.req.raw, c.env, c.executionCtx));

// Errors leave Hono for the one failure stage in fetchHandler.
app.onError((err) => {
  throw err;
});

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

// The one failure stage of the request path: whatever threw, the visitor still gets the
// origin, un-enrolled and without our cookie, and the failure is counted and logged.
function failed(err: unknown, request: Request, env: Env): Promise<Response> {
  const now = Date.now();
  counters.passThrough.enrollmentError++;
  logOnce("request-failed", now, "error", "enrollment.error", { error: err instanceof Error ? err.message : String(err), effect: "request proxied un-enrolled" });
  recordRequest(env.METRICS, { host: new URL(request.url).hostname, kind: "page", outcome: "pass-through:error", minted: "", cache: "", enrolled: 0 });
  return bareProxy(request, env, now);
}

/**
 * The fetch entry. Fast path: a URL that cannot be the status route skips the router and
 * goes straight to the request path; Hono's per-request context and routing measured
 * about 8 µs of workerd CPU per request in the bench ladder (bench/README.md), and every
 * proxied page view would pay it. Anything that might be the status route goes through
 * the app, which routes exactly.
 */
export async function fetchHandler(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  try {
    // STATUS_ROUTE = "off" (self-hosted public listener): the admin listener serves the page.
    if (request.url.includes(STATUS_PATH) && getSettings(env).statusRoute) return await app.fetch(request, env, ctx);
    return await proxy(request, env, ctx);
  } catch (e) {
    return failed(e, request, env);
  }
}
