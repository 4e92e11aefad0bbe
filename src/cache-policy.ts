import { encodeBase64url } from "./base64url.js";
import { sipHash128 } from "./siphash.js";
import { ENROLLMENTS_TOKEN, type Vary } from "./vary.js";

/**
 * The split cache's policy (contract §5), as decisions on values: what may be shared
 * between visitors, when a stored body is whole, which key a copy lives under, and when a
 * URL skips the lookup (hit-for-pass). worker/split-cache.ts does the Cache API I/O.
 *
 * Cloudflare's cache keys on the URL and ignores `Vary`, so on hosts with live experiments
 * the worker keeps responses itself and honours `Vary` as an HTTP cache (and the Varnish it
 * replaces) does: a response that varies on `X-Experiment-Enrollments` is kept per
 * enrollment string (unenrolled visitors share one copy), and one that also varies on a
 * request header is kept per value of that header as the origin saw it. A visitor is only
 * ever served a copy made for exactly their inputs.
 */

/**
 * Statuses a copy may be shared for: a subset of those RFC 9110 §15.1 calls heuristically
 * cacheable. Never a 5xx (one failure would be served to everyone for its lifetime), never
 * 206 (a range is not the page), never 204/300/308/405/414/501 (not worth keeping).
 */
export const STORABLE_STATUS: ReadonlySet<number> = new Set([200, 203, 301, 404, 410]);

/** Why a response is not stored (a counter or log field, and what the tests pin). */
export type NotStorable = "status" | "set-cookie" | "vary-star" | "no-store" | "private" | "no-cache" | "no-lifetime";

/** Whether a response may be shared, and for how long (seconds). */
export type Storability = { readonly storable: true; readonly lifetime: number } | { readonly storable: false; readonly reason: NotStorable };

// RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
const MAX_LIFETIME = 2 ** 31;

/**
 * Whether a response may be shared between visitors: a storable status, no Set-Cookie, a
 * Vary we can honour, no `no-store`/`private`/`no-cache` (with or without field names:
 * the most restrictive reading), and an explicit positive lifetime, `s-maxage` before
 * `max-age` (RFC 9111 §5.2.2.10). `Expires` alone is not enough: the origin always sends
 * `Cache-Control`, and a response without one is not worth the risk of a wrong clock.
 */
export function storability(status: number, cacheControl: string | null, hasSetCookie: boolean, vary: Vary): Storability {
  if (!STORABLE_STATUS.has(status)) return notStorable("status");
  if (hasSetCookie) return notStorable("set-cookie");
  if (vary.keyed === null) return notStorable("vary-star");
  const directives = parseCacheControl(cacheControl);
  if (directives.has("no-store")) return notStorable("no-store");
  if (directives.has("private")) return notStorable("private");
  if (directives.has("no-cache")) return notStorable("no-cache");
  const lifetime = sharedLifetime(directives);
  if (lifetime === null) return notStorable("no-lifetime");
  return { storable: true, lifetime };
}

const notStorable = (reason: NotStorable): Storability => ({ storable: false, reason });

/**
 * Cache-Control directives by lower-case name, the first occurrence of each (RFC 9111
 * §4.2.1), with its value unquoted (null: none given). Commas inside a quoted value do not
 * split it.
 */
export function parseCacheControl(value: string | null): ReadonlyMap<string, string | null> {
  const directives = new Map<string, string | null>();
  if (value === null) return directives;
  for (const part of splitOutsideQuotes(value)) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === "" || directives.has(name)) continue;
    if (eq < 0) {
      directives.set(name, null);
      continue;
    }
    const raw = part.slice(eq + 1).trim();
    directives.set(name, raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
  }
  return directives;
}

function splitOutsideQuotes(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\\" && quoted) i++;
    else if (c === "," && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

/**
 * A shared cache's lifetime in seconds: `s-maxage` when present, else `max-age`; null when
 * neither is, or the one that counts is not a positive whole number (an invalid lifetime
 * is stale, RFC 9111 §4.2.1).
 */
export function sharedLifetime(directives: ReadonlyMap<string, string | null>): number | null {
  const value = directives.has("s-maxage") ? directives.get("s-maxage") : directives.get("max-age");
  if (!/^\d+$/.test(value ?? "")) return null;
  const seconds = Math.min(Number(value), MAX_LIFETIME);
  return seconds > 0 ? seconds : null;
}

/**
 * The platform's fetch decodes exactly these Content-Encoding values (workerd: `gzip`, `br`;
 * anything else, `GZIP` or `gzip, br` included, arrives as sent): the body read is the
 * decoded one, while Content-Length still counts the encoded bytes. A truncated encoded
 * stream fails in the decoder, so such a body never reaches the store.
 */
export function isDecodedByPlatform(contentEncoding: string | null): boolean {
  return contentEncoding === "gzip" || contentEncoding === "br";
}

/**
 * A body is whole when it has the length its Content-Length declared (no header: whatever
 * arrived until the end; a body the platform decoded: the decoder checked its end). A body
 * that broke off or came up short is never stored for everyone; an unreadable
 * Content-Length counts as not whole.
 */
export function isCompleteBody(contentLength: string | null, contentEncoding: string | null, byteLength: number): boolean {
  if (contentLength === null || isDecodedByPlatform(contentEncoding)) return true;
  const declared = contentLength.trim();
  return /^\d+$/.test(declared) && Number(declared) === byteLength;
}

/**
 * Where a URL's entries live; versioned in the path so a change of scheme never reads old
 * entries. `authority` is the request URL's host exactly as the origin is told it (port and
 * trailing dot included): every input the origin can see is part of the key.
 */
export function cacheBase(authority: string): string {
  return `https://${authority}/__edge-enrollment-cache/v1`;
}

/** The shared key of a URL (its response, or a marker naming what it varies on). */
export function sharedKey(authority: string, pathAndQuery: string): string {
  return `${cacheBase(authority)}/shared${pathAndQuery}`;
}

const textEncoder = new TextEncoder();
// Public, fixed key: the digest only shortens the inputs into a key.
const KEY_DIGEST_KEY = textEncoder.encode("ee-cache-key-v1!");

/**
 * The variant key of a copy that varies on `keyed` (see Vary): a digest of the enrollment
 * string for our token, and of each other named request header's value as the origin saw
 * it (`requestHeader`, null: absent, which differs from an empty value).
 */
export function variantKey(
  authority: string,
  pathAndQuery: string,
  keyed: readonly string[],
  enrollments: string,
  requestHeader: (name: string) => string | null,
): string {
  let input = "";
  for (const name of keyed) {
    const value = name === ENROLLMENTS_TOKEN ? enrollments : requestHeader(name);
    input += `${name}\u0000${value === null ? "\u0001" : value}\u0000`;
  }
  const digest = encodeBase64url(sipHash128(KEY_DIGEST_KEY, textEncoder.encode(input)));
  return `${cacheBase(authority)}/v/${digest}${pathAndQuery}`;
}

/** How long a URL skips the lookup after an unstorable response. */
export const HIT_FOR_PASS_MS = 60_000;
/** Marks kept per isolate at most. */
export const MAX_PASS_MARKS = 10_000;

/**
 * Hit-for-pass, as in Varnish: a URL whose last response could not be stored skips the
 * lookup for a while, so uncacheable pages (API calls, logged-in views) pay for one Cache
 * API round trip per minute, not one per request. Bounded: forgetting a mark only costs
 * one extra lookup. The clock is passed in.
 */
export class HitForPass {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs = HIT_FOR_PASS_MS,
    private readonly maxMarks = MAX_PASS_MARKS,
  ) {}

  /** True while `key` is marked: skip the lookup. */
  passing(key: string, now: number): boolean {
    if ((this.until.get(key) ?? now) > now) return true;
    this.until.delete(key);
    return false;
  }

  /**
   * After the origin answered a GET: a storable response clears the mark; an unstorable one
   * sets it unless it is already set (the pass window is not extended, so the URL is
   * looked up again once it ends).
   */
  record(key: string, storable: boolean, now: number): void {
    if (storable) {
      this.until.delete(key);
      return;
    }
    if (this.passing(key, now)) return;
    if (this.until.size >= this.maxMarks) this.dropOldest(Math.ceil(this.maxMarks / 10));
    this.until.set(key, now + this.ttlMs);
  }

  /** Marks held (for tests and the bound). */
  get size(): number {
    return this.until.size;
  }

  // Insertion order is age order: drop a tenth in one go rather than one per insert.
  private dropOldest(n: number): void {
    for (const key of this.until.keys()) {
      this.until.delete(key);
      if (--n === 0) return;
    }
  }
}
