import { GrowthBookClient, type FeatureApiResponse } from "@growthbook/growthbook";
import { originUrl } from "./runtime.js";

/**
 * The assignment-only peer: what a site would write with the GrowthBook SDK directly to
 * do what our worker does, minus HTML rewriting. One GrowthBookClient per isolate
 * (initialised synchronously from the payload), per request: read the `gbuuid` cookie (or
 * mint a UUID), evaluate every experiment feature for that visitor, put the assignments in
 * a request header, proxy, and set the cookie on first visits.
 */

let client: GrowthBookClient | null = null;
let featureKeys: string[] = [];
const GBUUID = /(?:^|;\s*)gbuuid=([^;]*)/;

function init(env: Record<string, unknown>): GrowthBookClient {
  const payload = JSON.parse(env["BENCH_GB_PAYLOAD"] as string) as FeatureApiResponse;
  featureKeys = Object.keys(payload.features ?? {});
  const gb = new GrowthBookClient({ clientKey: "sdk-bench", apiHost: env["GROWTHBOOK_API_HOST"] as string });
  gb.initSync({ payload });
  return gb;
}

export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    const gb = (client ??= init(env));
    const found = GBUUID.exec(request.headers.get("Cookie") ?? "");
    const id = found?.[1] ?? crypto.randomUUID();
    const user = { attributes: { id } };
    let assignments = "";
    for (const key of featureKeys) {
      const r = gb.evalFeature(key, user);
      if (r.experimentResult?.inExperiment) assignments += `${key}=${String(r.value)};`;
    }
    const headers = new Headers(request.headers);
    if (assignments !== "") headers.set("X-Experiment-Enrollments", assignments);
    const forward: RequestInit = { method: request.method, headers, redirect: "manual" };
    if (request.body !== null) forward.body = request.body;
    const response = await fetch(originUrl(env["ORIGIN_URL"] as string, request.url), forward);
    if (found) return response;
    const out = new Response(response.body, response);
    out.headers.append("Set-Cookie", `gbuuid=${id}; Path=/; Max-Age=34560000; Secure; SameSite=Lax`);
    return out;
  },
};
