import { encodeBase64url } from "../src/base64url.js";
import { sipHash128 } from "../src/siphash.js";

/**
 * The enrollment-aware cache (contract §5). Cloudflare's cache keys on the URL and ignores
 * `Vary`, so on hosts with live experiments the worker keeps responses in the Cache API
 * itself and honours `Vary` the way an HTTP cache (and the Varnish it replaces) does:
 * a response that varies on `X-Experiment-Enrollments` is kept per enrollment string
 * (unenrolled visitors share one copy), and one that also varies on a request header
 * (say `Cookie`) is kept per value of that header as the origin saw it. A visitor is only
 * ever served a copy made for exactly their inputs.
 *
 * The shared key holds either the response itself (the origin varies on nothing we key) or
 * a small marker naming what it varies on; a lookup costs one match for unvaried URLs and
 * two for varied ones. `Accept-Encoding` is left to the platform, which decompresses and
 * re-encodes per client.
 */

export const ENROLLMENTS_TOKEN = "x-experiment-enrollments";
const MARKER = "x-edge-enrollment-vary";
const textEncoder = new TextEncoder();
// Public, fixed key: the digest only shortens the inputs into a key.
const KEY_DIGEST_KEY = textEncoder.encode("ee-cache-key-v1!");
const STORABLE_STATUS = new Set([200, 203, 301, 404, 410]);

/**
 * Where a URL's entries live; versioned in the path so a change of scheme never reads old
 * entries. `authority` is the request URL's host exactly as the origin is told it (port and
 * trailing dot included): every input the origin can see is part of the key.
 */
export function cacheBase(authority: string): string {
  return `https://${authority}/__edge-enrollment-cache/v1`;
}

/** The shared key of a URL (response or marker). */
export function sharedKey(url: URL): string {
  return `${cacheBase(url.host)}/shared${url.pathname}${url.search}`;
}

/**
 * The variant key for the names a response varies on (lower-case, our token included when
 * it varies on enrollments): a digest of the enrollment string and each named request
 * header's value.
 */
export function variantKey(url: URL, varyNames: readonly string[], enrollments: string, headers: Headers): string {
  let input = "";
  for (const name of varyNames) {
    const value = name === ENROLLMENTS_TOKEN ? enrollments : headers.get(name);
    input += `${name}\u0000${value === null ? "\u0001" : value}\u0000`;
  }
  const digest = encodeBase64url(sipHash128(KEY_DIGEST_KEY, textEncoder.encode(input)));
  return `${cacheBase(url.host)}/v/${digest}${url.pathname}${url.search}`;
}

/**
 * The request-header names a response varies on that the cache must key, sorted and
 * lower-cased (Accept-Encoding excluded); null for `Vary: *` (never cacheable).
 */
export function keyedVaryNames(vary: string | null): string[] | null {
  if (vary === null) return [];
  const names = new Set<string>();
  for (const token of vary.split(",")) {
    const t = token.trim().toLowerCase();
    if (t === "*") return null;
    if (t !== "" && t !== "accept-encoding") names.add(t);
  }
  return [...names].sort();
}

/**
 * Hit-for-pass, as in Varnish: a URL whose last response could not be stored skips the
 * lookup in this isolate for a while, so uncacheable pages (API calls, logged-in views) pay
 * for one Cache API round trip per minute, not one per request. A bounded, per-isolate map:
 * forgetting an entry only costs one extra lookup.
 */
export const HIT_FOR_PASS_MS = 60_000;
const MAX_PASS_ENTRIES = 10_000;
const passUntil = new Map<string, number>();

/** True while `key` is marked hit-for-pass. */
export function isPassing(key: string, now: number): boolean {
  const until = passUntil.get(key);
  if (until === undefined) return false;
  if (until > now) return true;
  passUntil.delete(key);
  return false;
}

/** Marks `key` hit-for-pass (its response was not storable). */
export function rememberPass(key: string, now: number): void {
  if (passUntil.size >= MAX_PASS_ENTRIES) {
    // Oldest first (insertion order): drop a tenth in one go.
    let n = MAX_PASS_ENTRIES / 10;
    for (const k of passUntil.keys()) {
      passUntil.delete(k);
      if (--n === 0) break;
    }
  }
  passUntil.set(key, now + HIT_FOR_PASS_MS);
}

/** Clears a mark (the URL's response became storable). */
export function forgetPass(key: string): void {
  passUntil.delete(key);
}

/** A cached response for this request (`key` = sharedKey(url)), or null. */
export async function lookup(cache: Cache, key: string, url: URL, enrollments: string, headers: Headers): Promise<Response | null> {
  const shared = await cache.match(key);
  if (!shared) return null;
  const marker = shared.headers.get(MARKER);
  if (marker === null) return shared;
  await shared.body?.cancel();
  const names = marker === "" ? [] : marker.split(",");
  return (await cache.match(variantKey(url, names, enrollments, headers))) ?? null;
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
  return keyedVaryNames(response.headers.get("vary")) !== null;
}

/**
 * Lets a storable response's body stream to the client while keeping a copy: `complete`
 * resolves to the whole body once it has all arrived and matches its Content-Length, or to
 * null when it broke off, came up short, or the client went away. A truncated page is so
 * never stored for everyone, and the client's stream is never held back (no tee, no
 * buffering in front of the client).
 */
export function captureBody(
  body: ReadableStream<Uint8Array>,
  contentLength: string | null,
): { stream: ReadableStream<Uint8Array>; complete: Promise<Uint8Array | null> } {
  const expected = contentLength === null ? null : Number(contentLength);
  const chunks: Uint8Array[] = [];
  let seen = 0;
  let settle: (body: Uint8Array | null) => void = () => undefined;
  const complete = new Promise<Uint8Array | null>((resolve) => (settle = resolve));
  const pass = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      chunks.push(chunk.slice());
      seen += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  body.pipeTo(pass.writable).then(
    () => {
      if (expected !== null && seen !== expected) return settle(null);
      const out = new Uint8Array(seen);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.byteLength;
      }
      settle(out);
    },
    () => settle(null),
  );
  return { stream: pass.readable, complete };
}

/**
 * Stores a complete response: under its variant key plus a marker under the shared key
 * when it varies on anything we key, else under the shared key. The stored copy's `Vary`
 * no longer names our token.
 */
export async function store(
  cache: Cache,
  key: string,
  url: URL,
  enrollments: string,
  headers: Headers,
  response: Response,
  body: Uint8Array,
  varyWithoutUs: string | null,
): Promise<void> {
  const names = keyedVaryNames(response.headers.get("vary")) ?? [];
  const copy = new Response(body, response);
  if (varyWithoutUs === null) copy.headers.delete("vary");
  else copy.headers.set("vary", varyWithoutUs);
  if (names.length === 0) {
    await cache.put(key, copy);
    return;
  }
  const marker = new Response(null, {
    status: 200,
    headers: { [MARKER]: names.join(","), "cache-control": response.headers.get("cache-control") ?? "" },
  });
  await Promise.all([cache.put(variantKey(url, names, enrollments, headers), copy), cache.put(key, marker)]);
}
