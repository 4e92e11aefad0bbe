import { HitForPass, isCompleteBody, isDecodedByPlatform, storability, variantKey, type Storability } from "../src/cache-policy.js";
import type { Vary } from "../src/vary.js";

/**
 * The enrollment-aware cache's Cache API I/O (contract §5); every decision is in
 * src/cache-policy.ts. The shared key holds either the response itself (the origin varies
 * on nothing we key) or a small marker naming what it varies on; a lookup costs one match
 * for unvaried URLs and two for varied ones.
 */

const MARKER = "x-edge-enrollment-vary";

/** This isolate's hit-for-pass marks. */
export const passMarks = new HitForPass();

const variantKeyFor = (url: URL, keyed: readonly string[], enrollments: string, headers: Headers): string =>
  variantKey(url.host, url.pathname + url.search, keyed, enrollments, (name) => headers.get(name));

/** A cached response for this request (`key`: its shared key), or null. */
export async function lookup(cache: Cache, key: string, url: URL, enrollments: string, headers: Headers): Promise<Response | null> {
  const shared = await cache.match(key);
  if (!shared) return null;
  const marker = shared.headers.get(MARKER);
  if (marker === null) return shared;
  await shared.body?.cancel();
  const keyed = marker === "" ? [] : marker.split(",");
  return (await cache.match(variantKeyFor(url, keyed, enrollments, headers))) ?? null;
}

/** The policy's verdict on an origin response whose Vary was parsed once (`vary`). */
export function storabilityOf(response: Response, vary: Vary): Storability {
  return storability(response.status, response.headers.get("cache-control"), response.headers.has("set-cookie"), vary);
}

/**
 * Lets a storable response's body stream to the client while keeping a copy: `complete`
 * resolves to the whole body (`headers`: the response's) once it has all arrived and is whole (isCompleteBody), or to
 * null when it broke off, came up short, or the client went away. The client's stream is
 * never held back (no tee, no buffering in front of the client).
 */
export function captureBody(
  body: ReadableStream<Uint8Array>,
  headers: Headers,
): { stream: ReadableStream<Uint8Array>; complete: Promise<Uint8Array | null> } {
  const contentLength = headers.get("content-length");
  const contentEncoding = headers.get("content-encoding");
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
      if (!isCompleteBody(contentLength, contentEncoding, seen)) return settle(null);
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
 * Stores a complete, storable response: under its variant key plus a marker under the
 * shared key when it varies on anything we key, else under the shared key. The stored
 * copy's `Vary` no longer names our token.
 */
export async function store(
  cache: Cache,
  key: string,
  url: URL,
  enrollments: string,
  headers: Headers,
  response: Response,
  body: Uint8Array,
  vary: Vary,
): Promise<void> {
  const keyed = vary.keyed ?? [];
  const copy = new Response(body, response);
  // A decoded body is stored as such: the platform encodes per client when serving it.
  if (isDecodedByPlatform(response.headers.get("content-encoding"))) {
    copy.headers.delete("content-encoding");
    copy.headers.delete("content-length");
  }
  if (vary.value === null) copy.headers.delete("vary");
  else copy.headers.set("vary", vary.value);
  if (keyed.length === 0) {
    await cache.put(key, copy);
    return;
  }
  const marker = new Response(null, {
    status: 200,
    headers: { [MARKER]: keyed.join(","), "cache-control": response.headers.get("cache-control") ?? "" },
  });
  await Promise.all([cache.put(variantKeyFor(url, keyed, enrollments, headers), copy), cache.put(key, marker)]);
}
