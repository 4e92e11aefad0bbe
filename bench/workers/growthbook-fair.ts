import { GrowthBookClient, type FeatureApiResponse } from "@growthbook/growthbook";
import { originUrl } from "./runtime.js";

/**
 * The contract-equivalent peer: `@growthbook/growthbook` as the assignment engine, with
 * the same platform work our worker does per request, so the head-to-head prices the
 * engine and the glue, not a difference in duties:
 *   - the visitor id from its cookie (`gbuuid`, a UUID minted on a first visit and set
 *     with Set-Cookie), and that cookie kept from the origin (cut out of its Cookie header);
 *   - every experiment feature evaluated, the assignments to the origin in
 *     `X-Experiment-Enrollments` (a client's own value never passes);
 *   - the origin fetched with `cache: "no-store"` (the platform cache must not share a
 *     variant), the response re-wrapped with `X-Experiment-Enrollments` cut out of Vary and
 *     the assignments appended to Server-Timing for the browser.
 * Less than ours: no hop-by-hop or header-spelling strip, no keyed identity (a plain UUID
 * is the hash input), no split cache, no bot check.
 */

let client: GrowthBookClient | null = null;
let featureKeys: string[] = [];
const GBUUID = /(?:^|;\s*)gbuuid=([^;]*)/;
const TOKEN = /x-experiment-enrollments/i;

function createClient(env: Record<string, unknown>): GrowthBookClient {
  const payload = JSON.parse(env["BENCH_GB_PAYLOAD"] as string) as FeatureApiResponse;
  featureKeys = Object.keys(payload.features ?? {});
  const gb = new GrowthBookClient({ clientKey: "sdk-bench", apiHost: env["GROWTHBOOK_API_HOST"] as string });
  gb.initSync({ payload });
  return gb;
}

// Vary without our token (the same rewrite as ours, contract §5).
function varyWithout(value: string): string | null {
  const rest = value
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "" && t.toLowerCase() !== "x-experiment-enrollments");
  return rest.length === 0 ? null : rest.join(", ");
}

export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    const gb = (client ??= createClient(env));
    const headers = new Headers(request.headers);
    const cookie = headers.get("cookie");
    const found = cookie === null ? null : GBUUID.exec(cookie);
    const id = found?.[1] ?? crypto.randomUUID();
    if (found && cookie !== null) {
      const rest = (cookie.slice(0, found.index) + cookie.slice(found.index + found[0].length)).replace(/^[;\s]+/, "");
      if (rest === "") headers.delete("cookie");
      else headers.set("cookie", rest);
    }
    const user = { attributes: { id } };
    let pairs = "";
    for (const key of featureKeys) {
      const r = gb.evalFeature(key, user);
      if (r.experimentResult?.inExperiment) pairs += `${key}=${String(r.value)};`;
    }
    if (pairs !== "") headers.set("x-experiment-enrollments", pairs);
    else headers.delete("x-experiment-enrollments");
    const init: RequestInit = { method: request.method, headers, redirect: "manual" };
    (init as { cache?: string }).cache = "no-store";
    if (request.method !== "GET" && request.method !== "HEAD") init.body = request.body;
    const response = await fetch(originUrl(env["ORIGIN_URL"] as string, request.url), init);
    const out = new Response(response.body, response);
    const vary = response.headers.get("vary");
    if (vary !== null && TOKEN.test(vary)) {
      const rewritten = varyWithout(vary);
      if (rewritten === null) out.headers.delete("vary");
      else out.headers.set("vary", rewritten);
    }
    if (pairs !== "") {
      const entry = `gb;desc="${pairs}"`;
      const timing = out.headers.get("server-timing");
      out.headers.set("server-timing", timing === null ? entry : `${timing}, ${entry}`);
    }
    if (!found) out.headers.append("set-cookie", `gbuuid=${id}; Path=/; Max-Age=34560000; Secure; SameSite=Lax`);
    return out;
  },
};
