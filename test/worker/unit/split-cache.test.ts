import { describe, expect, it } from "vitest";
import { sharedKey, variantKey } from "../../../src/cache-policy.js";
import { ENROLLMENTS_TOKEN, parseVary } from "../../../src/vary.js";
import { captureBody, lookup, storabilityOf, store } from "../../../worker/split-cache.js";

/**
 * worker/split-cache.ts inside workerd, against a real Cache API (a cache of its own per
 * test): the glue between the policy (src/cache-policy.ts) and Cache API I/O.
 */

let n = 0;
const freshCache = () => caches.open(`split-cache-unit-${++n}`);
const URL_ = new URL("https://en.wikipedia.org/wiki/Cat?x=1");
const KEY = sharedKey(URL_.host, URL_.pathname + URL_.search);

const stream = (chunks: string[], fail = false): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      if (fail) controller.error(new Error("connection reset"));
      else controller.close();
    },
  });

/** Runs captureBody to the end: what the client read, and what would be stored. */
async function capture(chunks: string[], headers: Record<string, string>, fail = false) {
  const { stream: out, complete } = captureBody(stream(chunks, fail), new Headers(headers));
  const client = await new Response(out).text().catch(() => "(client saw an error)");
  const kept = await complete;
  return { client, kept: kept === null ? null : new TextDecoder().decode(kept) };
}

const origin = (body: string, headers: Record<string, string>, status = 200) => new Response(body, { status, headers });

describe("captureBody: the client's stream is passed on, a whole copy kept", () => {
  it("a body of its declared length is kept, chunks joined in order", async () => {
    expect(await capture(["hel", "lo"], { "content-length": "5" })).toEqual({ client: "hello", kept: "hello" });
  });

  it("a body without Content-Length is kept as it ended", async () => {
    expect(await capture(["a", "b", "c"], {})).toEqual({ client: "abc", kept: "abc" });
  });

  it("a body that ends short of its Content-Length is not kept, though it ended cleanly", async () => {
    expect(await capture(["hel"], { "content-length": "5" })).toEqual({ client: "hel", kept: null });
  });

  it("a body longer than its Content-Length is not kept", async () => {
    expect(await capture(["hello!"], { "content-length": "5" })).toEqual({ client: "hello!", kept: null });
  });

  it("a body the platform decoded (gzip) is kept whatever the encoded length said", async () => {
    expect(await capture(["decoded page"], { "content-length": "5", "content-encoding": "gzip" })).toEqual({ client: "decoded page", kept: "decoded page" });
  });

  it("a body in a coding the platform passes through is length-checked", async () => {
    expect(await capture(["raw"], { "content-length": "5", "content-encoding": "deflate" })).toEqual({ client: "raw", kept: null });
  });

  it("a body that broke off is not kept", async () => {
    const r = await capture(["hel"], {}, true);
    expect(r.kept).toBeNull();
  });
});

describe("storabilityOf reads the response's own headers", () => {
  const vary = parseVary("X-Experiment-Enrollments");
  it.each([
    [200, { "cache-control": "s-maxage=60" }, { storable: true, lifetime: 60 }],
    [503, { "cache-control": "s-maxage=60" }, { storable: false, reason: "status" }],
    [200, { "cache-control": "s-maxage=60", "set-cookie": "a=1" }, { storable: false, reason: "set-cookie" }],
    [200, { "cache-control": "no-cache, s-maxage=60" }, { storable: false, reason: "no-cache" }],
    [200, {}, { storable: false, reason: "no-lifetime" }],
  ])("%i %j: %j", (status, headers, expected) => {
    expect(storabilityOf(origin("x", headers, status), vary)).toEqual(expected);
  });
});

describe("store and lookup (real Cache API)", () => {
  const request = (enrollments: string, headers: Record<string, string> = {}) => ({ enrollments, headers: new Headers(headers) });

  async function put(cache: Cache, body: string, responseHeaders: Record<string, string>, enrollments: string, requestHeaders: Record<string, string> = {}) {
    const response = origin(body, { "cache-control": "public, s-maxage=300", ...responseHeaders });
    const vary = parseVary(response.headers.get("vary"));
    const r = request(enrollments, requestHeaders);
    await store(cache, KEY, URL_, r.enrollments, r.headers, response, new TextEncoder().encode(body), vary);
  }
  const get = async (cache: Cache, enrollments: string, requestHeaders: Record<string, string> = {}) => {
    const r = request(enrollments, requestHeaders);
    const hit = await lookup(cache, KEY, URL_, r.enrollments, r.headers);
    return hit === null ? null : { body: await hit.text(), vary: hit.headers.get("vary") };
  };

  it("nothing stored: no hit", async () => {
    expect(await get(await freshCache(), "")).toBeNull();
  });

  it("a response varying on nothing we key lives under the shared key and is served to everyone", async () => {
    const cache = await freshCache();
    await put(cache, "shared page", { vary: "Accept-Encoding" }, "exp=a;");
    expect(await get(cache, "exp=b;")).toEqual({ body: "shared page", vary: "Accept-Encoding" });
    expect(await (await cache.match(KEY))!.text()).toBe("shared page");
  });

  it("a response varying on enrollments is kept per enrollment string, under the key the policy names", async () => {
    const cache = await freshCache();
    await put(cache, "page for a", { vary: "X-Experiment-Enrollments, Accept-Encoding" }, "exp=a;");
    await put(cache, "page for b", { vary: "X-Experiment-Enrollments, Accept-Encoding" }, "exp=b;");
    expect(await get(cache, "exp=a;")).toEqual({ body: "page for a", vary: "Accept-Encoding" });
    expect(await get(cache, "exp=b;")).toEqual({ body: "page for b", vary: "Accept-Encoding" });
    expect(await get(cache, "")).toBeNull();
    expect(await get(cache, "exp=c;")).toBeNull();
    const at = variantKey(URL_.host, URL_.pathname + URL_.search, [ENROLLMENTS_TOKEN], "exp=a;", () => null);
    expect(await (await cache.match(at))!.text()).toBe("page for a");
  });

  it("the request's own enrollment header is never what keys the copy: the enrollment string is", async () => {
    const cache = await freshCache();
    await put(cache, "page for a", { vary: "X-Experiment-Enrollments" }, "exp=a;", { "x-experiment-enrollments": "exp=b;" });
    expect(await get(cache, "exp=a;")).toEqual({ body: "page for a", vary: null });
    expect(await get(cache, "exp=b;", { "x-experiment-enrollments": "exp=a;" })).toBeNull();
  });

  it("unenrolled visitors share one copy", async () => {
    const cache = await freshCache();
    await put(cache, "plain", { vary: "X-Experiment-Enrollments" }, "");
    expect(await get(cache, "")).toEqual({ body: "plain", vary: null });
    expect(await get(cache, "exp=a;")).toBeNull();
  });

  it("a response varying on a request header is kept per value of it, as the origin saw it", async () => {
    const cache = await freshCache();
    await put(cache, "alice's", { vary: "X-Experiment-Enrollments, Cookie" }, "exp=a;", { cookie: "session=alice" });
    expect(await get(cache, "exp=a;", { cookie: "session=alice" })).toEqual({ body: "alice's", vary: "Cookie" });
    expect(await get(cache, "exp=a;", { cookie: "session=bob" })).toBeNull();
    expect(await get(cache, "exp=a;")).toBeNull();
    expect(await get(cache, "exp=b;", { cookie: "session=alice" })).toBeNull();
  });

  it("the shared key holds a marker naming the keyed headers, with the response's Cache-Control", async () => {
    const cache = await freshCache();
    await put(cache, "x", { vary: "Cookie, X-Experiment-Enrollments" }, "exp=a;");
    const marker = (await cache.match(KEY))!;
    expect(marker.headers.get("x-edge-enrollment-vary")).toBe(`cookie,${ENROLLMENTS_TOKEN}`);
    expect(marker.headers.get("cache-control")).toBe("public, s-maxage=300");
    expect(await marker.text()).toBe("");
  });

  it("a decoded body is stored without its Content-Encoding and encoded length", async () => {
    const cache = await freshCache();
    await put(cache, "decoded page", { "content-encoding": "gzip", "content-length": "5" }, "");
    const hit = (await lookup(cache, KEY, URL_, "", new Headers()))!;
    expect(hit.headers.get("content-encoding")).toBeNull();
    expect(await hit.text()).toBe("decoded page");
  });

  it("a body in a coding the platform passes through keeps its Content-Encoding", async () => {
    const cache = await freshCache();
    await put(cache, "raw", { "content-encoding": "deflate" }, "");
    const hit = (await lookup(cache, KEY, URL_, "", new Headers()))!;
    expect(hit.headers.get("content-encoding")).toBe("deflate");
  });
});
