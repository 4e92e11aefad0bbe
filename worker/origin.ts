import { hopByHopNames } from "../src/hop-by-hop.js";
import { logOnce } from "./log.js";
import { counters } from "./counters.js";

/**
 * Talking to the origin. The worker fetches exactly two places: the origin and the config
 * API. The request path is appended to the origin base as a string, never resolved as a
 * URL, so `//other.host/x` stays a path on the origin and the worker is never an open
 * proxy. Redirects go back to the client; they are never followed.
 */

/** The URL the origin is asked for. `originBase` null: the request's own URL (behind a route). */
export function originUrl(requestUrl: URL, originBase: string | null): string {
  if (originBase === null) return requestUrl.href;
  return originBase + requestUrl.pathname + requestUrl.search;
}

/** Removes the hop-by-hop headers (src/hop-by-hop.ts) from the origin's copy of the request headers. */
export function stripHopByHop(headers: Headers): void {
  for (const name of hopByHopNames(headers.get("connection"), headers.get("upgrade"))) headers.delete(name);
}

/**
 * Fetches from the origin with the request's method and streamed body. Never throws: an
 * unreachable origin is a 502 with a short body, counted and logged; every status the
 * origin itself sends passes through unchanged.
 */
export async function fetchOrigin(
  request: Request,
  target: string,
  headers: Headers,
  noStore: boolean,
  now: number,
): Promise<Response> {
  const init: RequestInit = {
    method: request.method,
    headers,
    redirect: "manual",
  };
  if (request.method !== "GET" && request.method !== "HEAD") init.body = request.body;
  // The platform cache keys on the URL only; a response that may vary by enrollment must
  // not be stored or served by it (our split cache handles those).
  if (noStore) init.cache = "no-store";
  try {
    return await fetch(target, init);
  } catch (e) {
    counters.originErrors++;
    logOnce(`origin:${(e as Error).name}`, now, "error", "origin.unreachable", { error: (e as Error).message });
    return new Response("Bad gateway: the origin could not be reached.\n", {
      status: 502,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  }
}

