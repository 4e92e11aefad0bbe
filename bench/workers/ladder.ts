import { Hono } from "hono";
import { originUrl } from "./runtime.js";

/**
 * Diagnostic pass-throughs that add, one at a time, the platform operations a worker like
 * ours performs, so the bench can put a price on each inside workerd (STEP binding):
 *   copy-headers   copy the request headers into a new Headers, fetch with an init object
 *   wrap-response  + re-wrap the origin's response to set Vary and Server-Timing
 *   no-store       wrap-response with `cache: "no-store"` on the origin fetch
 *   cache-lookup   + one Cache API match (a miss) before the origin fetch
 *   hono           wrap-response inside a Hono app (app.all("*"))
 *   contract       no-store plus the header work the contract asks of any enrollment
 *                  proxy besides that (the floor a contract-keeping worker cannot go
 *                  under): a client's enrollment header in its four spellings and the
 *                  hop-by-hop headers stripped, the identity cookie cut out of Cookie,
 *                  Vary read and rewritten, Server-Timing appended to the origin's
 * No enrollment logic at all: the difference to the plain pass-through is platform cost.
 */

const SPELLINGS = ["x-experiment-enrollments", "x_experiment_enrollments", "x-experiment_enrollments", "x_experiment-enrollments"];
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"];
const UNIQ = /(?:^|;\s*)WMF-Uniq=[^;]*/i;

async function contract(request: Request, env: Env): Promise<Response> {
  const headers = new Headers(request.headers);
  for (const name of SPELLINGS) if (headers.has(name)) headers.delete(name);
  headers.get("upgrade");
  headers.get("connection");
  for (const name of HOP_BY_HOP) headers.delete(name);
  const cookie = headers.get("cookie");
  if (cookie !== null) {
    const rest = cookie.replace(UNIQ, "").replace(/^[;\s]+/, "");
    if (rest === "") headers.delete("cookie");
    else headers.set("cookie", rest);
  }
  headers.set("x-experiment-enrollments", "bench_experiment_001=control;");
  const init: RequestInit = { method: request.method, headers, redirect: "manual" };
  (init as { cache?: string }).cache = "no-store";
  const response = await fetch(originUrl(env["ORIGIN_URL"] as string, request.url), init);
  const out = new Response(response.body, response);
  const vary = response.headers.get("vary");
  if (vary !== null) out.headers.set("vary", vary.replace(/x-experiment-enrollments,?\s*/i, ""));
  const timing = out.headers.get("server-timing");
  const entry = 'WMF-Uniq;desc="bench_experiment_001=control;"';
  out.headers.set("server-timing", timing === null ? entry : `${timing}, ${entry}`);
  return out;
}

type Env = Record<string, unknown>;

async function wrapped(request: Request, env: Env, lookup: boolean, noStore = false): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set("x-experiment-enrollments", "bench_experiment_001=control;");
  if (lookup) {
    const hit = await caches.default.match(`https://en.wikipedia.org/__bench-cache${new URL(request.url).pathname}`);
    if (hit) return hit;
  }
  const init: RequestInit = { method: request.method, headers, redirect: "manual" };
  if (noStore) (init as { cache?: string }).cache = "no-store";
  const response = await fetch(originUrl(env["ORIGIN_URL"] as string, request.url), init);
  const out = new Response(response.body, response);
  out.headers.set("vary", "Accept-Encoding");
  out.headers.set("server-timing", 'WMF-Uniq;desc="bench_experiment_001=control;"');
  return out;
}

const app = new Hono<{ Bindings: Env }>();
app.all("*", (c) => wrapped(c.req.raw, c.env, false));

declare const caches: { default: { match(key: string): Promise<Response | undefined> } };

export default {
  async fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    switch (env["STEP"]) {
      case "copy-headers": {
        const headers = new Headers(request.headers);
        headers.set("x-experiment-enrollments", "bench_experiment_001=control;");
        return fetch(originUrl(env["ORIGIN_URL"] as string, request.url), { method: request.method, headers, redirect: "manual" });
      }
      case "wrap-response":
        return wrapped(request, env, false);
      case "no-store":
        return wrapped(request, env, false, true);
      case "cache-lookup":
        return wrapped(request, env, true);
      case "hono":
        return app.fetch(request, env, ctx as never);
      case "contract":
        return contract(request, env);
      default:
        return new Response(`unknown STEP ${String(env["STEP"])}\n`, { status: 500 });
    }
  },
};
