import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_KEYS, liveConfig } from "../fixtures/config.js";
import { expectedFor, expectMinted } from "../helpers/expect-enrollment.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";
import { mintedCookie, startWorker, type Harness } from "../helpers/worker-harness.js";

const OLD = DEV_KEYS; // tag 0
const NEW_KEY = "1:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE";
const doc = liveConfig();
let origin: StubServer;
let configApi: StubServer;

beforeAll(async () => {
  origin = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  configApi = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(doc));
  });
});

afterAll(async () => {
  await origin.close();
  await configApi.close();
});

const last = () => origin.requests.at(-1)!;
const status = async (h: Harness) => (await (await h.fetch("https://en.wikipedia.org/_enrollment/status")).json()) as any;

async function withWorker<T>(bindings: Record<string, string>, fn: (h: Harness) => Promise<T>): Promise<T> {
  const h = await startWorker({ CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: origin.url, ...bindings });
  try {
    await h.poll();
    return await fn(h);
  } finally {
    await h.dispose();
  }
}

describe("kill switch", () => {
  it("the KV flag stops enrollment in every isolate within a refresh, and undoing it resumes", async () => {
    await withWorker({}, async (h) => {
      const first = await h.fetch("https://en.wikipedia.org/wiki/X");
      const cookie = mintedCookie(first)!;
      expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, "en.wikipedia.org").page);

      await (await h.kv()).put("control/v1/kill", "on");
      await new Promise((r) => setTimeout(r, 1100)); // CONFIG_REFRESH_MS is 1000 in tests
      await h.fetch("https://en.wikipedia.org/wiki/X"); // triggers the background refresh
      const killed = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${cookie}; a=1`, "x-experiment-enrollments": "spoof=x;" } });
      // Untouched pass-through: no header, no Server-Timing, no new cookie...
      expect(last().headers["x-experiment-enrollments"]).toBeUndefined();
      expect(killed.headers.get("server-timing")).toBeNull();
      expect(mintedCookie(killed)).toBeNull();
      const fresh = await h.fetch("https://en.wikipedia.org/wiki/Y");
      expect(mintedCookie(fresh)).toBeNull();
      // ...but the identity cookie is still kept from the origin.
      expect(last().headers.cookie).toBeUndefined();
      const ev = await h.fetch("https://en.wikipedia.org/evt-103e/v2/events", { method: "POST", body: "{}", headers: { cookie: `WMF-Uniq=${cookie}` } });
      expect(ev.status).toBe(204);
      const s = await status(h);
      expect(s.enrollment).toEqual({ active: false, killSwitch: { var: false, kv: true } });
      expect(s.counters.passThrough.killSwitch).toBeGreaterThan(0);

      await (await h.kv()).delete("control/v1/kill");
      await new Promise((r) => setTimeout(r, 1100));
      await h.fetch("https://en.wikipedia.org/wiki/X");
      await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${cookie}` } });
      expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, "en.wikipedia.org").page);
    });
  });

  it("ENROLLMENT_DISABLED=true as a deploy-time var does the same", async () => {
    await withWorker({ ENROLLMENT_DISABLED: "true" }, async (h) => {
      const res = await h.fetch("https://en.wikipedia.org/wiki/X");
      expect(mintedCookie(res)).toBeNull();
      expect(last().headers["x-experiment-enrollments"]).toBeUndefined();
      expect((await status(h)).enrollment.killSwitch).toEqual({ var: true, kv: false });
    });
  });
});

describe("key rotation, end to end", () => {
  it("add a key in front, old cookies keep verifying and keep their groups; retire it, they are re-minted", async () => {
    // 1. Before: one key. A visitor gets a tag-0 cookie.
    const cookie = await withWorker({ UNIQ_KEYS: OLD }, async (h) => mintedCookie(await h.fetch("https://en.wikipedia.org/wiki/X"))!);
    const groups = expectedFor(doc, cookie, "en.wikipedia.org").page;

    // 2. Rotation: the new key mints, the old one still verifies.
    await withWorker({ UNIQ_KEYS: `${NEW_KEY},${OLD}` }, async (h) => {
      const returning = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${cookie}` } });
      expect(mintedCookie(returning)).toBeNull();
      expect(last().headers["x-experiment-enrollments"]).toBe(groups);
      const newcomer = mintedCookie(await h.fetch("https://en.wikipedia.org/wiki/X"))!;
      expect(Buffer.from(newcomer, "base64url")[1]).toBe(1);
      expect((await status(h)).keyRing).toMatchObject({ ok: true, mintingTag: 1, tags: [1, 0] });
    });

    // 3. Retired: the old cookie is unknown and re-minted with the new key.
    await withWorker({ UNIQ_KEYS: NEW_KEY }, async (h) => {
      const res = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${cookie}` } });
      expectMinted(mintedCookie(res), NEW_KEY);
      expect((await status(h)).counters.minted["unknown-tag"]).toBe(1);
    });
  });
});

describe("metrics binding", () => {
  it("requests and polls work with an Analytics Engine dataset bound", async () => {
    const h = await startWorker(
      { CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: origin.url },
      { analyticsEngineDatasets: { METRICS: { dataset: "edge_enrollment_test" } } },
    );
    try {
      await h.poll();
      const res = await h.fetch("https://en.wikipedia.org/wiki/X");
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      await h.dispose();
    }
  });
});
