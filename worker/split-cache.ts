import { encodeBase64url } from "../src/base64url.js";
import { sipHash128 } from "../src/siphash.js";

/**
 * The enrollment-aware cache (DESIGN §5). Cloudflare's cache keys on the URL and ignores
 * `Vary`, so responses the origin varies on `X-Experiment-Enrollments` are kept here, in
 * the Cache API, under a key that includes the enrollment string: a visitor is only ever
 * served the copy made for exactly their enrollments, and unenrolled visitors share one.
 *
 * Like Varnish's vary handling, the shared key holds either the response itself (the
 * origin does not vary it) or a small marker saying "this URL varies: look up the variant
 * key". A lookup costs one match for unvaried URLs and two for varied ones.
 */

const MARKER = "x-edge-enrollment-variants";
const textEncoder = new TextEncoder();
// Public, fixed key: the digest only shortens the enrollment string into a key.
const KEY_DIGEST_KEY = textEncoder.encode("ee-cache-key-v1!");
const STORABLE_STATUS = new Set([200, 203, 301, 404, 410]);

/** Cache keys, versioned in the path so a change of scheme never reads old entries. */
export function cacheKeys(url: URL, host: string, enrollments: string): { shared: string; variant: string } {
  const base = `https://${host}/__edge-enrollment-cache/v1`;
  const rest = url.pathname + url.search;
  const digest = enrollments === "" ? "none" : encodeBase64url(sipHash128(KEY_DIGEST_KEY, textEncoder.encode(enrollments)));
  return { shared: `${base}/shared${rest}`, variant: `${base}/e/${digest}${rest}` };
}

/** A cached response for these keys, or null. */
export async function lookup(cache: Cache, keys: { shared: string; variant: string }): Promise<Response | null> {
  const shared = await cache.match(keys.shared);
  if (!shared) return null;
  if (!shared.headers.has(MARKER)) return shared;
  await shared.body?.cancel();
  return (await cache.match(keys.variant)) ?? null;
}

/**
 * Whether a response may be shared between visitors at all: a cacheable status, no
 * Set-Cookie, no private/no-store/no-cache, an explicit positive lifetime, no `Vary: *`.
 */
export function isStorable(response: Response): boolean {
  if (!STORABLE_STATUS.has(response.status)) return false;
  if (response.headers.has("set-cookie")) return false;
  const cc = (response.headers.get("cache-control") ?? "").toLowerCase();
  if (/(^|[\s,])(private|no-store|no-cache)([\s,=]|$)/.test(cc)) return false;
  const age = /(?:^|[\s,])s-maxage\s*=\s*"?(\d+)/.exec(cc) ?? /(?:^|[\s,])max-age\s*=\s*"?(\d+)/.exec(cc);
  if (!age || Number(age[1]) <= 0) return false;
  return !/(^|,)\s*\*\s*(,|$)/.test(response.headers.get("vary") ?? "");
}

/**
 * Stores a storable response: varied ones under the variant key (with our token already
 * removed from `Vary`) plus a marker under the shared key; unvaried ones under the shared
 * key. Returns the promise for waitUntil.
 */
export function store(
  cache: Cache,
  keys: { shared: string; variant: string },
  response: Response,
  varied: boolean,
  varyWithoutUs: string | null,
): Promise<unknown> {
  const copy = new Response(response.body, response);
  if (!varied) return cache.put(keys.shared, copy);
  if (varyWithoutUs === null) copy.headers.delete("vary");
  else copy.headers.set("vary", varyWithoutUs);
  const marker = new Response(null, {
    status: 200,
    headers: { [MARKER]: "1", "cache-control": response.headers.get("cache-control") ?? "" },
  });
  return Promise.all([cache.put(keys.variant, copy), cache.put(keys.shared, marker)]);
}
