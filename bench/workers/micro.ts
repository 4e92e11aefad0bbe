import { coreCases, type CoreCase } from "../lib/core-cases.js";
import { BENCH_HOST, cookieHeader, mintDevToken } from "../lib/fixtures.js";

/**
 * The core micro-bench inside workerd. `GET /?case=<i>&k=<K>` runs case i K times and
 * answers; `case=-1` runs an empty operation K times (the loop and request overhead the
 * bench subtracts); `GET /cases` lists the case names. Timed from outside because workerd
 * freezes the clock during execution (Spectre mitigation).
 *
 * Besides the shared core cases it prices the synchronous platform operations a proxying
 * worker performs per request (header copies and deletes, URL parsing, response re-wrap,
 * the `caches.default` getter), which only exist here.
 */

const SET_COOKIE = "WMF-Uniq=AQAAUq3Bw1tS7mJ0yP9fLm2Wq8eZbXkR4aVn6cTgHs0dIu5o; Domain=wikipedia.org; Path=/; HttpOnly; Secure; SameSite=None; Expires=Tue, 01 Dec 2027 00:00:00 GMT";
class LazyFacts {
  readonly userAgent: string | null;
  readonly verifiedBot: boolean;
  constructor(private readonly r: Request) {
    const cf = (r as Request & { cf?: { botManagement?: { verifiedBot?: unknown } } }).cf;
    this.userAgent = r.headers.get("user-agent");
    this.verifiedBot = cf?.botManagement?.verifiedBot === true;
  }
  get path(): string {
    return this.r.url;
  }
  get acceptLanguage(): string | null {
    return this.r.headers.get("accept-language");
  }
}
declare const caches: { readonly default: unknown };

let cases: CoreCase[] | null = null;
const noop = (): unknown => 0;
// The request being served: cases that read an incoming request (not one built in JS) use it.
let incoming: Request | null = null;

function platformCases(): CoreCase[] {
  const request = new Request(`https://${BENCH_HOST}/wiki/Main_Page`, {
    headers: {
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
      accept: "text/html,application/xhtml+xml",
      "accept-language": "en-US,en;q=0.9",
      cookie: cookieHeader(0, mintDevToken()),
    },
  });
  const ENROLLMENT_SPELLINGS = ["x_experiment_enrollments", "x-experiment_enrollments", "x_experiment-enrollments"];
  const hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"];
  const STRIPPED = new Set(["x-experiment-enrollments", ...ENROLLMENT_SPELLINGS, ...hopByHop]);
  const origin = new Response("<html></html>", {
    headers: { "content-type": "text/html; charset=utf-8", vary: "X-Experiment-Enrollments, Accept-Encoding", "cache-control": "private" },
  });
  const platform = (name: string, run: () => unknown): CoreCase => ({ name: `platform: ${name}`, group: "codec", run });
  return [
    platform("new URL(request.url)", () => new URL(request.url)),
    platform("copy request headers (new Headers(request.headers))", () => new Headers(request.headers)),
    platform("copy request headers + 9 hop-by-hop deletes + get(connection)", () => {
      const h = new Headers(request.headers);
      h.get("connection");
      for (const name of hopByHop) h.delete(name);
      return h;
    }),
    platform("copy request headers + one keys() pass against a Set of 13 names", () => {
      const h = new Headers(request.headers);
      let found = 0;
      for (const name of h.keys()) if (STRIPPED.has(name)) found++;
      return found;
    }),
    platform("copy request headers + 4 has + get(upgrade) + get(connection) + 9 deletes", () => {
      const h = new Headers(request.headers);
      let n = 0;
      for (const name of ["x-experiment-enrollments", ...ENROLLMENT_SPELLINGS]) if (h.has(name)) n++;
      h.get("upgrade");
      h.get("connection");
      for (const name of hopByHop) h.delete(name);
      return n;
    }),
    platform("copy request headers + set 2 headers", () => {
      const h = new Headers(request.headers);
      h.set("cookie", "GeoIP=DE");
      h.set("x-experiment-enrollments", "bench_experiment_001=control;");
      return h;
    }),
    platform("caches.default (getter)", () => caches.default),
    platform("incoming request.cf", () => (incoming as Request & { cf?: unknown }).cf),
    platform("request facts as an object literal with 4 getters (cf + user-agent read)", () => {
      const r = incoming as Request & { cf?: { botManagement?: { verifiedBot?: unknown } } };
      const cf = r.cf;
      return {
        get path() {
          return r.url;
        },
        userAgent: r.headers.get("user-agent"),
        get acceptLanguage() {
          return r.headers.get("accept-language");
        },
        get country() {
          return r.headers.get("x-country");
        },
        get cookieHeader() {
          return r.headers.get("cookie");
        },
        verifiedBot: cf?.botManagement?.verifiedBot === true,
      };
    }),
    platform("request facts as a class instance with prototype getters (cf + user-agent read)", () => new LazyFacts(incoming as Request)),
    platform("incoming request.headers.get × 3 (user-agent, accept-language, cookie)", () => {
      const h = incoming!.headers;
      return (h.get("user-agent")?.length ?? 0) + (h.get("accept-language")?.length ?? 0) + (h.get("cookie")?.length ?? 0);
    }),
    platform("re-wrap a response + set Vary and Server-Timing + append Set-Cookie", () => {
      const out = new Response(null, origin);
      out.headers.set("vary", "Accept-Encoding");
      out.headers.set("server-timing", 'WMF-Uniq;desc="bench_experiment_001=control;"');
      out.headers.append("set-cookie", SET_COOKIE);
      return out;
    }),
    platform("re-wrap a response + set Vary and Server-Timing", () => {
      const out = new Response(null, origin);
      out.headers.set("vary", "Accept-Encoding");
      out.headers.set("server-timing", 'WMF-Uniq;desc="bench_experiment_001=control;"');
      return out;
    }),
    platform("Object.defineProperty of a fresh closure's name (esbuild keepNames __name)", () => {
      const f = (x: number): number => x + 1;
      return Object.defineProperty(f, "name", { value: "random", configurable: true });
    }),
  ];
}

export default {
  fetch(request: Request): Response {
    // Built on the first request: random values are not available at global scope.
    cases ??= [...coreCases(), ...platformCases()];
    const url = new URL(request.url);
    if (url.pathname === "/cases") return Response.json(cases.map((c) => ({ name: c.name, group: c.group, experiments: c.experiments ?? null })));
    const index = Number(url.searchParams.get("case") ?? "-1");
    const k = Number(url.searchParams.get("k") ?? "1");
    const run = index < 0 ? noop : cases[index]?.run;
    if (run === undefined) return new Response("no such case\n", { status: 404 });
    incoming = request;
    let sink: unknown;
    for (let i = 0; i < k; i++) sink = run();
    return new Response(String(typeof sink));
  },
};
