import { logOnce } from "./log.js";
import { counters } from "./counters.js";

/**
 * Talking to the origin. The worker fetches exactly two places: the origin and the config
 * API. The request path is appended to the origin base as a string, never resolved as a
 * URL, so `//other.host/x` stays a path on the origin and the worker is never an open
 * proxy. Redirects go back to the client; they are never followed.
 */

// Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection, not for the origin.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"];

/** The URL the origin is asked for. `originBase` null: the request's own URL (behind a route). */
export function originUrl(requestUrl: URL, originBase: string | null): string {
  if (originBase === null) return requestUrl.href;
  return originBase + requestUrl.pathname + requestUrl.search;
}

// RFC 9110 token: anything else is not a header name, and Headers.delete would throw.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Removes hop-by-hop headers, including any the client listed in `Connection` (valid names
 * only). A WebSocket handshake keeps `Upgrade` and `Connection`: workerd proxies the upgrade
 * itself, and stripping them would turn it into a plain GET.
 */
export function stripHopByHop(headers: Headers): void {
  if (headers.get("upgrade")?.toLowerCase() === "websocket") {
    for (const h of HOP_BY_HOP) if (h !== "upgrade" && h !== "connection") headers.delete(h);
    return;
  }
  const listed = headers.get("connection");
  if (listed) for (const name of listed.split(",")) {
    const n = name.trim();
    if (TOKEN.test(n)) headers.delete(n);
  }
  for (const h of HOP_BY_HOP) headers.delete(h);
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

