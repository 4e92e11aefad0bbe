import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { counters } from "../../../worker/counters.js";
import worker from "../../../worker/index.js";
import { fetchOrigin, stripHopByHop } from "../../../worker/origin.js";
import { DEV_KEYS } from "../../fixtures/config.js";
import { captureLogs } from "./console.js";

/**
 * worker/origin.ts inside workerd. workerd's own fetch drops TE and Trailer on the way out,
 * so a stub origin cannot tell whether the worker removed them: these tests look at the
 * headers the worker hands to fetch.
 */

afterEach(() => {
  vi.restoreAllMocks();
});

/** Replaces fetch: records (url, init) and answers 200, or rejects when `fail`. */
function spyFetch(fail = false) {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    calls.push({ url: String(input), init: init ?? {} });
    if (fail) throw new TypeError("connect ECONNREFUSED");
    return new Response("origin page", { status: 200 });
  });
  return calls;
}

describe("stripHopByHop", () => {
  it("removes TE, Trailer, the proxy headers and what Connection lists; keeps the rest", () => {
    const headers = new Headers({
      te: "trailers",
      trailer: "Expires",
      "keep-alive": "timeout=5",
      "proxy-authorization": "Basic x",
      "proxy-connection": "keep-alive",
      "transfer-encoding": "chunked",
      upgrade: "h2c",
      connection: "Upgrade, X-Listed",
      "x-listed": "1",
      "x-kept": "1",
    });
    stripHopByHop(headers);
    expect([...headers]).toEqual([["x-kept", "1"]]);
  });

  it("a WebSocket handshake keeps Upgrade and Connection", () => {
    const headers = new Headers({ upgrade: "websocket", connection: "Upgrade", te: "trailers", "sec-websocket-key": "k" });
    stripHopByHop(headers);
    expect([...headers]).toEqual([["connection", "Upgrade"], ["sec-websocket-key", "k"], ["upgrade", "websocket"]]);
  });
});

describe("fetchOrigin", () => {
  it("asks with the request's method, no redirect following, and no-store when told", async () => {
    const calls = spyFetch();
    const res = await fetchOrigin(new Request("https://en.wikipedia.org/wiki/X"), "https://origin.test/wiki/X", new Headers({ a: "1" }), true, 0);
    expect(await res.text()).toBe("origin page");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe("https://origin.test/wiki/X");
    expect(calls[0]!.init).toMatchObject({ method: "GET", redirect: "manual", cache: "no-store" });
    expect(calls[0]!.init.body).toBeUndefined();
  });

  it("streams a POST's body and leaves the platform cache alone when not told", async () => {
    const calls = spyFetch();
    await fetchOrigin(new Request("https://en.wikipedia.org/w/api.php", { method: "POST", body: "q=1" }), "https://origin.test/w/api.php", new Headers(), false, 0);
    expect(calls[0]!.init.method).toBe("POST");
    expect(calls[0]!.init.cache).toBeUndefined();
    expect(await new Response(calls[0]!.init.body as ReadableStream).text()).toBe("q=1");
  });

  it("an unreachable origin is a 502 of ours: counted, logged, never thrown", async () => {
    spyFetch(true);
    const before = counters.originErrors;
    const lines = captureLogs();
    const res = await fetchOrigin(new Request("https://en.wikipedia.org/"), "https://origin.test/", new Headers(), false, 0);
    expect(res.status).toBe(502);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("Bad gateway: the origin could not be reached.\n");
    expect(counters.originErrors).toBe(before + 1);
    expect(lines).toEqual([{ level: "error", event: "origin.unreachable", fields: { error: "connect ECONNREFUSED" } }]);
  });
});

describe("through the worker's fetch handler", () => {
  it("TE, Trailer and the other hop-by-hop headers a client sends never reach the origin's fetch", async () => {
    const calls = spyFetch();
    const ctx = createExecutionContext();
    const request = new Request("https://en.wikipedia.org/wiki/Hop", {
      headers: { te: "trailers", trailer: "Expires", "proxy-authorization": "Basic x", connection: "X-Listed", "x-listed": "1", "x-kept": "1" },
    });
    const lines = captureLogs();
    const res = await worker.fetch(request, { ...env, UNIQ_KEYS: DEV_KEYS, ORIGIN_URL: "https://origin.test" }, ctx);
    await waitOnExecutionContext(ctx);
    expect(lines.map((l) => l.event)).toEqual(["settings.development_key"]);
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
    const sent = new Headers(calls[0]!.init.headers);
    for (const name of ["te", "trailer", "proxy-authorization", "connection", "x-listed"]) expect(sent.get(name), name).toBeNull();
    expect(sent.get("x-kept")).toBe("1");
    expect(calls[0]!.url).toBe("https://origin.test/wiki/Hop");
  });
});
