import { env } from "cloudflare:workers";
import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_CONFIG_BYTES } from "../../../src/contract.js";
import { WORKER_VERSION } from "../../../src/version.js";
import { KV_KEYS } from "../../../worker/config-store.js";
import type { Env } from "../../../worker/env.js";
import { pollConfig, type PollStatus } from "../../../worker/poller.js";
import { parseSettings } from "../../../worker/settings.js";
import { liveConfig } from "../../fixtures/config.js";
import { captureLogs } from "./console.js";

/**
 * worker/poller.ts inside workerd: one poll against isolated KV (wiped after each test),
 * with the config API played by a fetch function and the clock passed in.
 */

afterEach(async () => {
  vi.restoreAllMocks();
  await reset();
});

const CONFIG_URL = "https://config.test/api/v1/experiments?format=config&authority=varnish";
const settings = parseSettings({ CONFIG_URL, CONFIG_POLL_TIMEOUT_MS: "200" } as unknown as Env);
const DOC = JSON.stringify(liveConfig());
const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };
const T = Date.parse("2026-01-01T00:00:00Z");

type Answer = (request: Request) => Response | Promise<Response>;
const answer = (body: BodyInit | null, init: ResponseInit = { headers: JSON_TYPE }): Answer => () => new Response(body, init);

/** One poll with the config API answering `reply`; the requests it made, and the log. */
async function poll(reply: Answer, kv: KVNamespace = env.CONFIG) {
  const requests: Request[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request);
    return reply(request);
  }) as typeof fetch;
  let clock = T;
  const logs = captureLogs();
  const status = await pollConfig({ kv, settings, fetch: fetcher, now: () => (clock += 7) });
  vi.restoreAllMocks();
  return { status, requests, logs };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const storedStatus = async () => env.CONFIG.get<PollStatus>(KV_KEYS.pollStatus, "json");

describe("accepting a document", () => {
  it("a valid document is stored with its SHA-256 version and accepted time; the record says so", async () => {
    const { status, requests, logs } = await poll(answer(DOC, { headers: { ...JSON_TYPE, etag: '"e1"' } }));
    const version = await sha256Hex(DOC);
    expect(status).toEqual({
      v: 1,
      outcome: "updated",
      reason: null,
      httpStatus: 200,
      version,
      etag: '"e1"',
      durationMs: 14,
      at: new Date(T + 7).toISOString(),
      lastSuccessAt: new Date(T + 7).toISOString(),
      consecutiveFailures: 0,
    });
    const doc = await env.CONFIG.getWithMetadata(KV_KEYS.document);
    expect(doc).toMatchObject({ value: DOC, metadata: { version, acceptedAt: T + 7 } });
    expect(await env.CONFIG.get(KV_KEYS.version)).toBe(version);
    expect(await storedStatus()).toEqual(status);
    // The polling isolate installs what it accepted (config.loaded), then reports the poll.
    expect(logs.map((l) => [l.level, l.event, l.fields.outcome])).toEqual([
      ["info", "config.loaded", undefined],
      ["info", "config.poll", "updated"],
    ]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe(CONFIG_URL);
    expect(requests[0]!.redirect).toBe("manual");
    expect(requests[0]!.headers.get("accept")).toBe("application/json");
    expect(requests[0]!.headers.get("user-agent")).toBe(`edge-enrollment/${WORKER_VERSION}`);
    expect(requests[0]!.headers.get("x-experiment-config-poller")).toBe("edge-enrollment worker (scheduled poll)");
    expect(requests[0]!.headers.get("if-none-match")).toBeNull();
  });

  it("the same document again is unchanged: not written again", async () => {
    await poll(answer(DOC));
    const put = vi.spyOn(env.CONFIG, "put");
    const { status } = await poll(answer(DOC, { headers: { ...JSON_TYPE, etag: '"e2"' } }));
    expect(status).toMatchObject({ outcome: "unchanged", version: await sha256Hex(DOC), etag: '"e2"', consecutiveFailures: 0 });
    // Only the poll record is written; the document and its version stay as they were.
    expect(put.mock.calls.map((c) => c[0])).toEqual([KV_KEYS.pollStatus]);
  });

  it("with an ETag and the document it describes, asks If-None-Match; a 304 keeps the version", async () => {
    await poll(answer(DOC, { headers: { ...JSON_TYPE, etag: '"e1"' } }));
    const { status, requests } = await poll(answer(null, { status: 304 }));
    expect(requests[0]!.headers.get("if-none-match")).toBe('"e1"');
    expect(status).toMatchObject({ outcome: "not-modified", httpStatus: 304, version: await sha256Hex(DOC), etag: '"e1"' });
  });

  it("an ETag without the document (KV lost it) asks for the whole document", async () => {
    await poll(answer(DOC, { headers: { ...JSON_TYPE, etag: '"e1"' } }));
    await env.CONFIG.delete(KV_KEYS.version);
    const { requests } = await poll(answer(DOC));
    expect(requests[0]!.headers.get("if-none-match")).toBeNull();
  });

  it("a 304 while holding nothing is refused", async () => {
    const { status } = await poll(answer(null, { status: 304 }));
    expect(status).toMatchObject({ outcome: "rejected", reason: "HTTP 304, expected 200", httpStatus: 304, version: null });
  });
});

describe("refusing a document keeps the last good one", () => {
  const big = "x".repeat(MAX_CONFIG_BYTES + 1);
  const cases: [string, Answer, Partial<PollStatus>][] = [
    ["a 500", answer("oops", { status: 500 }), { reason: "HTTP 500, expected 200", httpStatus: 500 }],
    ["a redirect (never followed)", answer(null, { status: 302, headers: { location: "https://elsewhere.test/" } }), { reason: "HTTP 302, expected 200", httpStatus: 302 }],
    ["HTML", answer("<html>", { headers: { "content-type": "text/html" } }), { reason: 'Content-Type "text/html", expected application/json', httpStatus: 200 }],
    ["no content type", answer(new Uint8Array([123, 125]), { headers: {} }), { reason: "Content-Type missing, expected application/json" }],
    ["a declared length over the cap", answer("{}", { headers: { ...JSON_TYPE, "content-length": String(MAX_CONFIG_BYTES + 1) } }), { reason: `body over the 5 MB cap (Content-Length: ${MAX_CONFIG_BYTES + 1} bytes)` }],
    ["a streamed body over the cap", answer(new Blob([big]).stream(), { headers: JSON_TYPE }), { reason: "body over the 5 MB cap" }],
    ["invalid UTF-8", answer(new Uint8Array([0x7b, 0xff, 0x7d]), { headers: JSON_TYPE }), { reason: "body is not valid UTF-8" }],
    ["invalid JSON", answer("{", { headers: JSON_TYPE }), { reason: "config failed validation (1 problem)" }],
  ];

  it.each(cases)("%s", async (_, reply, expected) => {
    await poll(answer(DOC));
    const good = await env.CONFIG.get(KV_KEYS.version);
    const { status, logs } = await poll(reply);
    expect(status).toMatchObject({ outcome: "rejected", version: good, consecutiveFailures: 1, lastSuccessAt: new Date(T + 7).toISOString(), ...expected });
    expect(await env.CONFIG.get(KV_KEYS.version)).toBe(good);
    expect(logs.map((l) => [l.level, l.event])).toEqual([["error", "config.poll"]]);
  });

  it("an invalid config names its first problems (path: message), at most 20", async () => {
    const doc = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`bad name ${i}`, {}]));
    const { status } = await poll(answer(JSON.stringify(doc)));
    expect(status.reason).toMatch(/^config failed validation \(\d+ problems\)$/);
    expect(status.issues).toHaveLength(20);
    expect(status.issues![0]).toMatch(/^\$\["bad name 0"\]: /);
  });

  it("failures are counted in a row and reset by a success", async () => {
    await poll(answer("x", { status: 503 }));
    expect((await poll(answer("x", { status: 503 }))).status.consecutiveFailures).toBe(2);
    expect((await poll(answer(DOC))).status.consecutiveFailures).toBe(0);
  });
});

describe("the config API failing", () => {
  it("a fetch that throws is a failed poll, with the reason", async () => {
    const { status } = await poll(() => {
      throw new TypeError("connect ECONNREFUSED");
    });
    expect(status).toMatchObject({ outcome: "failed", reason: "fetch failed: connect ECONNREFUSED", httpStatus: null });
  });

  it("an answer slower than the poll timeout is a timeout", async () => {
    const { status } = await poll(
      (request) =>
        new Promise<Response>((_, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason));
        }),
    );
    expect(status).toMatchObject({ outcome: "failed", reason: "timeout after 200 ms" });
  });

  it("a body slower than the poll timeout is a timeout while reading", async () => {
    const { status } = await poll((request) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("{"));
          request.signal.addEventListener("abort", () => controller.error(request.signal.reason));
        },
      });
      return new Response(body, { headers: JSON_TYPE });
    });
    expect(status).toMatchObject({ outcome: "failed", reason: "timeout after 200 ms (reading body)", httpStatus: 200 });
  });

  it("KV failing never makes the poll reject: the record says what happened", async () => {
    const broken = new Proxy(env.CONFIG, {
      get(target, prop) {
        if (prop === "get") return () => Promise.reject(new Error("KV down"));
        if (prop === "put") return () => Promise.reject(new Error("KV down"));
        return Reflect.get(target, prop, target);
      },
    });
    const { status, logs } = await poll(answer(DOC), broken);
    expect(status).toMatchObject({ outcome: "failed", reason: "error: KV down", version: null, consecutiveFailures: 1 });
    expect(logs.map((l) => [l.level, l.event])).toEqual([
      ["error", "config.poll"],
      ["error", "config.poll_status_write_failed"],
    ]);
  });
});
