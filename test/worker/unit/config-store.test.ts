import { env } from "cloudflare:workers";
import { reset } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { liveConfig } from "../../fixtures/config.js";
import { captureLogs } from "./console.js";

/**
 * worker/config-store.ts inside workerd, against isolated KV (wiped after each test). The
 * memo is per isolate, so each test imports a fresh copy of the module.
 */

type Store = typeof import("../../../worker/config-store.js");
type Counters = typeof import("../../../worker/counters.js");
let store: Store;
let counters: Counters["counters"];

beforeEach(async () => {
  vi.resetModules();
  store = await import("../../../worker/config-store.js");
  counters = (await import("../../../worker/counters.js")).counters;
});

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await reset();
});

const kv = (): KVNamespace => env.CONFIG;
const DOC = JSON.stringify(liveConfig());
const T = 1_750_000_000_000;

async function accept(text: string, version: string, metadata: unknown = { version, acceptedAt: T - 60_000 }): Promise<void> {
  await kv().put(store.KV_KEYS.document, text, { metadata });
  await kv().put(store.KV_KEYS.version, version);
}

/** A KV binding that counts reads and can hang them. */
function countingKv(hang = false): { kv: KVNamespace; reads: string[] } {
  const reads: string[] = [];
  const real = kv();
  const wrapped = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop !== "get" && prop !== "getWithMetadata") return value.bind(target);
      return (key: string, ...rest: unknown[]) => {
        reads.push(key);
        if (hang) return new Promise(() => undefined);
        return (value as (...a: unknown[]) => unknown).call(target, key, ...rest);
      };
    },
  });
  return { kv: wrapped, reads };
}

// getConfigView returns a fresh memo as it is (no promise): wrapped here so every call can be awaited alike.
const view = (k: KVNamespace, now: number, waitUntil: (p: Promise<unknown>) => void = () => undefined) => Promise.resolve(store.getConfigView(k, now, 5000, waitUntil));

describe("a cold isolate", () => {
  it("empty KV: no config, no error, nothing killed", async () => {
    const logs = captureLogs();
    const v = await view(kv(), T);
    expect({ config: v.config, version: v.version, acceptedAt: v.acceptedAt, killed: v.killed }).toEqual({ config: null, version: null, acceptedAt: null, killed: false });
    expect(store.memoState().lastError).toBeNull();
    expect(logs).toEqual([]);
  });

  it("loads the accepted document, compiled, with the version and time its metadata names", async () => {
    await accept(DOC, "v1");
    const logs = captureLogs();
    const v = await view(kv(), T);
    expect(v.version).toBe("v1");
    expect(v.acceptedAt).toBe(T - 60_000);
    expect(v.config!.experiments.map((e) => e.name)).toEqual(Object.keys(liveConfig()).filter((k) => k !== "_comment"));
    expect(store.memoState().loadedAt).toBe(T);
    expect(counters.config.loads).toBe(1);
    expect(logs.map((l) => [l.level, l.event, l.fields.version])).toEqual([["info", "config.loaded", "v1"]]);
  });

  it("the document's own metadata wins over the pointer (eventual consistency)", async () => {
    await accept(DOC, "v1", { version: "v2", acceptedAt: T - 1 });
    captureLogs();
    expect((await view(kv(), T)).version).toBe("v2");
  });

  it("a document without metadata takes the pointer's version and no accepted time", async () => {
    await accept(DOC, "v1", null);
    captureLogs();
    const v = await view(kv(), T);
    expect([v.version, v.acceptedAt]).toEqual(["v1", null]);
  });

  it.each([
    ["on", true],
    ["off", false],
    ["ON", false],
    ["", false],
  ])("kill switch %j: killed=%s", async (value, killed) => {
    await kv().put(store.KV_KEYS.killSwitch, value);
    expect((await view(kv(), T)).killed).toBe(killed);
  });

  it("KV that does not answer: served un-enrolled after COLD_LOAD_TIMEOUT_MS, the load carried on in the background", async () => {
    vi.useFakeTimers();
    const { kv: hanging } = countingKv(true);
    const background: Promise<unknown>[] = [];
    let settled = false;
    const pending = view(hanging, T, (p) => background.push(p)).then((v) => {
      settled = true;
      return v;
    });
    await vi.advanceTimersByTimeAsync(store.COLD_LOAD_TIMEOUT_MS - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).config).toBeNull();
    expect(background).toHaveLength(1);
    // The background load is bounded too: it gives up, says so, and the next refresh may start.
    const logs = captureLogs();
    await vi.advanceTimersByTimeAsync(store.REFRESH_TIMEOUT_MS);
    await background[0];
    expect(store.memoState().lastError).toBe(`KV did not answer within ${store.REFRESH_TIMEOUT_MS} ms`);
    expect(store.memoState().refreshing).toBeNull();
    expect(logs.map((l) => [l.level, l.event])).toEqual([["error", "config.load_failed"]]);
  });
});

describe("a warm isolate", () => {
  it("does not read KV again within refreshMs; after it, refreshes in the background and answers at once", async () => {
    await accept(DOC, "v1");
    captureLogs();
    const { kv: counted, reads } = countingKv();
    await view(counted, T);
    const first = reads.length;
    await view(counted, T + 4999);
    expect(reads.length).toBe(first);
    const background: Promise<unknown>[] = [];
    const v = await view(counted, T + 5000, (p) => background.push(p));
    expect(v.version).toBe("v1");
    expect(background).toHaveLength(1);
    await background[0];
    expect(reads.slice(first)).toEqual([store.KV_KEYS.version, store.KV_KEYS.killSwitch]);
  });

  it("an unchanged version is not read or parsed again", async () => {
    await accept(DOC, "v1");
    captureLogs();
    const background: Promise<unknown>[] = [];
    await view(kv(), T);
    await view(kv(), T + 5000, (p) => background.push(p));
    await Promise.all(background);
    expect(counters.config.loads).toBe(1);
  });

  it("a new version is picked up by the next refresh", async () => {
    await accept(DOC, "v1");
    captureLogs();
    await view(kv(), T);
    await accept(JSON.stringify({}), "v2");
    const background: Promise<unknown>[] = [];
    await view(kv(), T + 5000, (p) => background.push(p));
    await Promise.all(background);
    const v = await view(kv(), T + 5000);
    expect(v.version).toBe("v2");
    expect(v.config!.experiments).toEqual([]);
  });

  it("a stored document that fails validation is refused: the last good one is kept, counted, logged", async () => {
    await accept(DOC, "v1");
    const logs = captureLogs();
    await view(kv(), T);
    await accept(JSON.stringify({ "bad-experiment-name!": {} }), "v2");
    const background: Promise<unknown>[] = [];
    await view(kv(), T + 5000, (p) => background.push(p));
    await Promise.all(background);
    const v = await view(kv(), T + 5000);
    expect(v.version).toBe("v1");
    expect(v.config!.experiments.map((e) => e.name)).toEqual(Object.keys(liveConfig()).filter((k) => k !== "_comment"));
    expect(counters.config.rejected).toBe(1);
    expect(counters.config.loadFailures).toBe(1);
    expect(store.memoState().lastError).toMatch(/^stored config fails validation: \$/);
    expect(logs.filter((l) => l.level === "error").map((l) => [l.event, l.fields.keeping])).toEqual([["config.load_failed", "v1"]]);
  });

  it("a version whose document is missing is an error, and the last good config stays", async () => {
    await accept(DOC, "v1");
    captureLogs();
    await view(kv(), T);
    await kv().delete(store.KV_KEYS.document);
    await kv().put(store.KV_KEYS.version, "v2");
    const background: Promise<unknown>[] = [];
    await view(kv(), T + 5000, (p) => background.push(p));
    await Promise.all(background);
    expect(store.memoState().lastError).toBe("config/v1/version is set but the document is missing");
    expect((await view(kv(), T + 5000)).version).toBe("v1");
  });

  it("a successful refresh clears the last error", async () => {
    await kv().put(store.KV_KEYS.version, "v1");
    captureLogs();
    await view(kv(), T);
    expect(store.memoState().lastError).toBe("config/v1/version is set but the document is missing");
    await accept(DOC, "v1");
    const background: Promise<unknown>[] = [];
    await view(kv(), T + 5000, (p) => background.push(p));
    await Promise.all(background);
    expect(store.memoState().lastError).toBeNull();
  });
});
