import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { liveConfig } from "../fixtures/config.js";
import { expectedFor, expectMinted } from "../helpers/expect-enrollment.js";
import { startOriginStub, startWrappedWorker, type WrappedWorker } from "../helpers/fault-harness.js";
import { writeConfigReply, type ConfigReply } from "../helpers/config-reply.js";
import { startStub, type Recorded, type StubServer } from "../helpers/stub-server.js";
import { mintedCookie } from "../helpers/worker-harness.js";

/**
 * Faults around the worker: the config API, KV, the origin, and exceptions inside
 * enrollment. The worker must fail open (requests pass through, un-enrolled or with the
 * last good config, never a 5xx of its own) and say so on its status endpoint and in its
 * logs. KV and crypto faults come from the test-only wrapper entry in
 * test/helpers/fault-harness.ts; dist/worker.js is never modified.
 *
 * No timing assertions: waits are bounded loops on outcomes ("enrolled within N s"), never
 * "took less than N ms".
 */

const EN = "en.wikipedia.org";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Reply = ConfigReply;

let origin: StubServer;
let configApi: StubServer;
let reply: Reply = {};
const good = liveConfig();
const goodText = JSON.stringify(good);

function plainOrigin(_req: Recorded, res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/plain", "cache-control": "private" });
  res.end("page");
}

beforeAll(async () => {
  origin = await startOriginStub(plainOrigin);
  configApi = await startStub((req, res) => writeConfigReply(req, res, reply, goodText));
});

afterAll(async () => {
  await origin?.close();
  await configApi?.close();
});

beforeEach(() => {
  reply = {};
  origin.handler = plainOrigin;
});

const bindings = (extra: Record<string, string> = {}) => ({
  CONFIG_URL: `${configApi.url}/api/v1/experiments?format=config&authority=varnish`,
  ORIGIN_URL: origin.url,
  CONFIG_POLL_TIMEOUT_MS: "300",
  ...extra,
});

/** A worker for one test, disposed after it. */
async function withWorker(fn: (w: WrappedWorker) => Promise<void>, extra: Record<string, string> = {}): Promise<void> {
  const w = await startWrappedWorker(bindings(extra));
  try {
    await fn(w);
  } finally {
    await w.dispose();
  }
}

/** GET a page as `cookie` (or as a first visitor); returns what the origin saw and the response. */
async function page(w: WrappedWorker, cookie?: string, path = "/wiki/Page"): Promise<{ res: Response; enrollments: string | undefined; cookie: string | null }> {
  const before = origin.requests.length;
  const res = await w.fetch(`https://${EN}${path}`, cookie ? { headers: { cookie: `WMF-Uniq=${cookie}` } } : {});
  await res.arrayBuffer();
  expect(res.status, "a 5xx of the worker's own").toBeLessThan(500);
  expect(origin.requests.length - before).toBe(1);
  const seen = origin.requests.at(-1)!;
  return { res, enrollments: seen.headers["x-experiment-enrollments"] as string | undefined, cookie: mintedCookie(res) };
}

/** Repeats `check` until it returns true or `ms` pass; returns whether it did. */
/**
 * Stores the good config in KV as another isolate's poll would (document, then version),
 * so this isolate is still cold: its own poll would install the config in its memo.
 */
async function storeAsAnotherIsolate(w: WrappedWorker, text = goodText): Promise<void> {
  const kv = await w.kv();
  const version = createHash("sha256").update(text).digest("hex");
  await kv.put("config/v1/document", text, { metadata: { version, acceptedAt: Date.now() } });
  await kv.put("config/v1/version", version);
}

async function eventually(check: () => Promise<boolean>, ms: number, every = 200): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await sleep(every);
  }
}

describe("config API faults: the last good config stays, the status endpoint says why", () => {
  let w: WrappedWorker;
  let visitor: string;
  let enrolledAs: string;

  beforeAll(async () => {
    w = await startWrappedWorker(bindings());
    reply = {};
    await w.poll();
    const first = await page(w);
    visitor = first.cookie!;
    enrolledAs = expectedFor(good, visitor, EN).page;
    expect(first.enrollments).toBe(enrolledAs);
  });

  afterAll(async () => {
    await w?.dispose();
  });

  const cases: [string, Reply, RegExp, "failed" | "rejected"][] = [
    ["a config API that never answers (past CONFIG_POLL_TIMEOUT_MS)", { hang: true }, /^timeout after 300 ms$/, "failed"],
    ["headers, then a body that never ends", { hangBody: true }, /timeout after 300 ms \(reading body\)|unreadable body/, "failed"],
    ["a 200 with truncated JSON", { body: goodText.slice(0, goodText.length / 2) }, /config failed validation/, "rejected"],
    ["a 20 MB body, streamed without a length", { body: `{"_comment": "${"x".repeat(20 * 1024 * 1024)}"}`, chunked: true }, /^body over the 5 MB cap$/, "rejected"],
    ["valid JSON that fails the schema", { body: JSON.stringify({ "fifty-fifty-test": { ...good["fifty-fifty-test"], sample_rate: 0.5 } }) }, /config failed validation/, "rejected"],
    ["a wrong content type", { type: "text/plain; charset=utf-8" }, /^Content-Type "text\/plain; charset=utf-8", expected application\/json$/, "rejected"],
    ["an HTML error page with status 200", { type: "text/html", body: "<html>maintenance</html>" }, /^Content-Type "text\/html", expected application\/json$/, "rejected"],
  ];

  it.each(cases)("%s", async (_, r, reason, outcome) => {
    const before = await w.status();
    reply = r;
    await w.poll();
    reply = {};
    const after = await w.status();
    expect(after.poll.outcome).toBe(outcome);
    expect(after.poll.reason).toMatch(reason);
    expect(after.poll.consecutiveFailures).toBe((before.poll.consecutiveFailures as number) + 1);
    expect(after.poll.version).toBe(before.config.version);
    expect(after.config.version).toBe(before.config.version);
    expect(after.enrollment.active).toBe(true);
    expect(after.counters.config.rejected).toBe((before.counters.config.rejected as number) + 1);
    if (r.body !== undefined && outcome === "rejected" && /validation/.test(reason.source)) expect(after.poll.issues.length).toBeGreaterThan(0);
    // The request path keeps enrolling with the last good config.
    expect((await page(w, visitor)).enrollments).toBe(enrolledAs);
    // The log line says the same, at level error.
    const polls = await w.log.take((e) => e.json?.event === "config.poll" && e.json.level === "error");
    expect(polls).toHaveLength(1);
    expect(polls[0]!.json).toMatchObject({ outcome });
  });

  it("recovers on the next good poll: failures reset, the same version, still enrolled", async () => {
    await w.poll();
    const s = await w.status();
    expect(s.poll.outcome).toBe("unchanged");
    expect(s.poll.consecutiveFailures).toBe(0);
    expect((await page(w, visitor)).enrollments).toBe(enrolledAs);
  });
});

describe("config flapping between two valid versions", () => {
  it("the request path follows each version and never serves a mix of the two", async () => {
    const base = liveConfig();
    const window = { start: base["fifty-fifty-test"]!.start, end: base["fifty-fifty-test"]!.end };
    const a = { ...base, "flap-a-experiment": { ...window, domains: { [EN]: { groups: { all: [0, 99_999] } } } } };
    const b = { ...base, "flap-b-experiment": { ...window, domains: { [EN]: { groups: { all: [0, 99_999] } } } } };
    await withWorker(async (w) => {
      reply = { body: JSON.stringify(a) };
      await w.poll();
      const visitors = [(await page(w)).cookie!, (await page(w)).cookie!, (await page(w)).cookie!];
      const expected = (doc: unknown) => visitors.map((v) => expectedFor(doc, v, EN).page);
      const [expA, expB] = [expected(a), expected(b)];
      for (let i = 0; i < visitors.length; i++) {
        expect(expA[i]).toContain("flap-a-experiment=all;");
        expect(expB[i]).toContain("flap-b-experiment=all;");
      }
      let served = 0;
      for (let round = 0; round < 3; round++) {
        const target = round % 2 === 0 ? b : a;
        const want = target === a ? expA : expB;
        reply = { body: JSON.stringify(target) };
        await w.poll();
        expect((await w.status()).poll.outcome).toBe("updated");
        // The isolate that polled serves the new version from its next request (contract
        // §1), whole: never a mix of the two; and it stays, refreshes from KV included.
        for (let k = 0; k < 3; k++) {
          for (let i = 0; i < visitors.length; i++) {
            expect((await page(w, visitors[i]!)).enrollments, `round ${round}`).toBe(want[i]);
            served++;
          }
          if (k === 1) await sleep(1100);
        }
      }
      expect(served).toBe(27);
      expect((await w.status()).counters.config.loads).toBeGreaterThanOrEqual(4);
    });
  });
});

describe("KV faults (wrapper proxy over the real KV binding)", () => {
  it("KV reads throwing on a cold isolate: served un-enrolled at once; the status endpoint and log say why; enrolled after recovery", async () => {
    await withWorker(async (w) => {
      await storeAsAnotherIsolate(w);
      await w.setFaults({ kvRead: "throw" });
      const first = await page(w);
      expect(first.enrollments).toBeUndefined();
      expectMinted(first.cookie); // identity does not depend on KV
      expect(first.res.headers.get("server-timing")).toBeNull();
      const s = await w.status();
      expect(s.enrollment.active).toBe(false);
      expect(s.config.version).toBeNull();
      expect(s.config.lastLoadError).toMatch(/KV read failed/);
      expect(s.poll).toEqual({ error: expect.stringMatching(/KV read failed/) });
      expect(s.counters.config.loadFailures).toBeGreaterThanOrEqual(1);
      expect(s.counters.passThrough.noConfig).toBeGreaterThanOrEqual(1);
      expect((await w.log.take("config.load_failed")).length).toBeGreaterThanOrEqual(1);
      await w.setFaults({});
      const recovered = await eventually(async () => (await page(w, first.cookie!)).enrollments === expectedFor(good, first.cookie!, EN).page, 5000);
      expect(recovered).toBe(true);
    });
  });

  it("KV reads throwing on a warm isolate: the last good config keeps enrolling", async () => {
    await withWorker(async (w) => {
      await w.poll();
      const { cookie } = await page(w);
      const want = expectedFor(good, cookie!, EN).page;
      expect((await page(w, cookie!)).enrollments).toBe(want);
      await w.setFaults({ kvRead: "throw" });
      await sleep(1100); // past CONFIG_REFRESH_MS: the next request triggers a (failing) refresh
      for (let i = 0; i < 5; i++) expect((await page(w, cookie!)).enrollments).toBe(want);
      const s = await w.status();
      expect(s.config.lastLoadError).toMatch(/KV read failed/);
      expect(s.enrollment.active).toBe(true);
      expect((await w.faultStats()).kvFaults).toBeGreaterThan(0);
      expect((await w.log.take("config.load_failed")).length).toBeGreaterThanOrEqual(1);
    });
  });

  // Regression (was a bug, fixed): config-store.ts refresh() returns early when the version is unchanged,
  // before clearing state.lastError, so after KV recovers the status endpoint keeps showing
  // the old error for as long as the config version does not change.
  it("after KV recovers, config.lastLoadError is cleared once a refresh succeeds", async () => {
    await withWorker(async (w) => {
      await w.poll();
      await page(w);
      await w.setFaults({ kvRead: "throw" });
      await sleep(1100);
      await page(w);
      expect((await w.status()).config.lastLoadError).toMatch(/KV read failed/);
      expect((await w.log.take("config.load_failed")).length).toBeGreaterThanOrEqual(1);
      await w.setFaults({});
      const cleared = await eventually(async () => {
        await page(w);
        return (await w.status()).config.lastLoadError === null;
      }, 2500, 300);
      expect(cleared).toBe(true);
    });
  });

  it("KV slow on a cold isolate: the first requests are served un-enrolled without waiting for KV; enrollment follows", async () => {
    await withWorker(async (w) => {
      await storeAsAnotherIsolate(w);
      await w.setFaults({ kvReadDelayMs: 700 });
      const first = await page(w);
      expect(first.enrollments).toBeUndefined();
      expectMinted(first.cookie);
      await w.setFaults({});
      const enrolled = await eventually(async () => (await page(w, first.cookie!)).enrollments === expectedFor(good, first.cookie!, EN).page, 6000);
      expect(enrolled).toBe(true);
    });
  });

  it("KV reads that never settle on a cold isolate: requests are still served, un-enrolled", async () => {
    await withWorker(async (w) => {
      await storeAsAnotherIsolate(w);
      await w.setFaults({ kvRead: "hang" });
      for (let i = 0; i < 3; i++) {
        const r = await page(w);
        expect(r.enrollments).toBeUndefined();
        expect(r.res.status).toBe(200);
      }
      // The stuck refresh is abandoned after REFRESH_TIMEOUT_MS, and says so.
      const failed = await w.log.take("config.load_failed");
      expect(failed).toHaveLength(1);
      expect(failed[0]!.json!.error).toMatch(/did not answer within/);
    });
  });

  // Regression (was a bug, fixed): a refresh whose KV read never settles (KV stuck past the request's
  // waitUntil lifetime cancels the promise; the wrapper's "hang" models that) leaves
  // state.refreshing set for ever in worker/config-store.ts getConfigView(): no later
  // request starts a new refresh, so the isolate never loads a config again, and the
  // status endpoint shows no error. Fix: bound refresh() with a timeout.
  it("after KV reads that never settled, the isolate loads the config once KV answers again", async () => {
    await withWorker(async (w) => {
      await storeAsAnotherIsolate(w);
      await w.setFaults({ kvRead: "hang" });
      const { cookie } = await page(w);
      await w.setFaults({});
      const want = expectedFor(good, cookie!, EN).page;
      // Refresh period (1 s) + room for a refresh timeout of up to ~3 s.
      const enrolled = await eventually(async () => (await page(w, cookie!)).enrollments === want, 4500, 500);
      expect(enrolled).toBe(true);
      expect((await w.log.take("config.load_failed"))[0]!.json!.error).toMatch(/did not answer within/);
    });
  });

  it("KV writes failing during a poll: the poll fails loudly (log), the last good config stays in use", async () => {
    await withWorker(async (w) => {
      await w.poll();
      const { cookie } = await page(w);
      const want = expectedFor(good, cookie!, EN).page;
      const before = await w.status();
      await w.setFaults({ kvWrite: "throw" });
      reply = { body: JSON.stringify({ ...good, "new-experiment-1": good["fifty-fifty-test"] }) };
      await w.poll();
      const poll = (await w.log.take((e) => e.json?.event === "config.poll" && e.json.level === "error")).at(-1)!;
      expect(poll.json!.outcome).toBe("failed");
      expect(String(poll.json!.reason)).toMatch(/KV write failed/);
      expect(await w.log.take("config.poll_status_write_failed")).toHaveLength(1);
      await w.setFaults({});
      const after = await w.status();
      // KV could not record the failed poll: the stored status is the previous one; the
      // isolate's counter still shows it.
      expect(after.config.version).toBe(before.config.version);
      expect(after.counters.config.rejected).toBe((before.counters.config.rejected as number) + 1);
      expect((await page(w, cookie!)).enrollments).toBe(want);
      // With KV healthy again the next poll stores the new document.
      await w.poll();
      expect((await w.status()).poll.outcome).toBe("updated");
    });
  });

  it("slow KV writes: the poll still completes and stores the document", async () => {
    await withWorker(async (w) => {
      await w.setFaults({ kvWriteDelayMs: 300, kvReadDelayMs: 100 });
      await w.poll();
      await w.setFaults({});
      const s = await w.status();
      expect(s.poll.outcome).toBe("updated");
      expect(s.config.version).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  it.each([
    ["a stored document that fails validation", "{\"bad\": 1}"],
    ["a version whose document is missing", null],
  ])("%s: counted and shown as lastLoadError; a warm isolate keeps its config, a cold one serves un-enrolled", async (_, document) => {
    await withWorker(async (w) => {
      await w.poll();
      const { cookie } = await page(w);
      const want = expectedFor(good, cookie!, EN).page;
      const kv = await w.kv();
      if (document === null) await kv.delete("config/v1/document");
      else await kv.put("config/v1/document", document, { metadata: { version: "f".repeat(64), acceptedAt: Date.now() } });
      await kv.put("config/v1/version", "f".repeat(64));
      await sleep(1100);
      for (let i = 0; i < 3; i++) expect((await page(w, cookie!)).enrollments).toBe(want);
      const s = await w.status();
      expect(s.config.lastLoadError).toMatch(document === null ? /document is missing/ : /fails validation/);
      expect(s.counters.config.loadFailures).toBeGreaterThanOrEqual(1);
      expect((await w.log.take("config.load_failed")).length).toBeGreaterThanOrEqual(1);
    });
  });
});

describe("exceptions inside enrollment", () => {
  it("crypto.getRandomValues throwing: pages are proxied un-enrolled, counted, logged once; verified visitors are unaffected", async () => {
    await withWorker(async (w) => {
      await w.poll();
      const returning = (await page(w)).cookie!;
      const before = await w.status();
      await w.setFaults({ randomThrows: true });
      const n = 5;
      for (let i = 0; i < n; i++) {
        const r = await page(w);
        expect(r.res.status).toBe(200);
        expect(r.enrollments).toBeUndefined();
        expect(r.cookie).toBeNull();
        expect(r.res.headers.get("server-timing")).toBeNull();
      }
      // A visitor with a valid cookie needs no randomness: still enrolled.
      expect((await page(w, returning)).enrollments).toBe(expectedFor(good, returning, EN).page);
      const events = await w.fetch(`https://${EN}/evt-103e/v2/events`, { method: "POST", body: "{}", headers: { cookie: `WMF-Uniq=${returning}` } });
      expect(events.status).toBe(200);
      expect(origin.requests.at(-1)!.headers["x-experiment-enrollments"]).toBe(expectedFor(good, returning, EN).events);
      await w.setFaults({});
      const after = await w.status();
      expect(after.counters.passThrough.enrollmentError - before.counters.passThrough.enrollmentError).toBe(n);
      expect((await w.faultStats()).randomFaults).toBe(n);
      const errors = await w.log.take("enrollment.error");
      expect(errors).toHaveLength(1);
      expect(errors[0]!.json!.level).toBe("error");
      expect(errors[0]!.json!.error).toMatch(/getRandomValues/);
      // Recovery is immediate.
      expectMinted((await page(w)).cookie);
    });
  });
});

describe("origin faults", () => {
  it("connection refused: a 502 with a short body, counted, logged once for many requests", async () => {
    const closed = await startStub(() => undefined);
    const deadUrl = closed.url;
    await closed.close();
    await withWorker(async (w) => {
      await w.poll();
      for (let i = 0; i < 4; i++) {
        const res = await w.fetch(`https://${EN}/wiki/X`);
        expect(res.status).toBe(502);
        const body = await res.text();
        expect(body.length).toBeLessThan(100);
        expect(body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|stack/i);
        expect(res.headers.get("cache-control")).toBe("no-store");
      }
      const s = await w.status();
      expect(s.counters.originErrors).toBe(4);
      expect(await w.log.take("origin.unreachable")).toHaveLength(1);
    }, { ORIGIN_URL: deadUrl });
  });

  const resetOrigin = (full: Buffer, state: { broken: boolean }) => (_req: Recorded, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(full.length), "cache-control": "public, s-maxage=300" });
    if (state.broken) {
      res.write(full.subarray(0, 50_000), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(full);
  };

  it("reset mid-body: the client gets a short body (never a 5xx), and the worker carries on", async () => {
    const full = Buffer.alloc(200_000, "a");
    const state = { broken: true };
    origin.handler = resetOrigin(full, state);
    await withWorker(async (w) => {
      await w.poll();
      // fr has no live experiments: no split cache involved, a plain proxied stream.
      const res = await w.fetch("https://fr.wikipedia.org/wiki/Reset");
      expect(res.status).toBe(200);
      let got = -1;
      try {
        got = (await res.arrayBuffer()).byteLength;
      } catch {
        got = -1; // the stream errored: also acceptable
      }
      expect(got).toBeLessThan(full.length);
      state.broken = false;
      const again = await w.fetch("https://fr.wikipedia.org/wiki/Reset");
      expect(again.status).toBe(200);
      expect((await again.arrayBuffer()).byteLength).toBe(full.length);
    });
  });

  // Regression (was a bug, fixed): on a host with live experiments a storable GET goes through the split
  // cache; worker/request-path.ts throughSplitCache stores response.clone() with
  // cache.put in waitUntil, and a body the origin cut off mid-way is stored as is (in
  // workerd's Cache API): every later visitor of that variant gets the truncated page for
  // the whole s-maxage. Fix: buffer the copy (arrayBuffer() rejects on a broken stream),
  // check it against Content-Length, and only then cache.put.
  it("a response cut off mid-body is never stored in the split cache", async () => {
    const full = Buffer.alloc(200_000, "a");
    const state = { broken: true };
    origin.handler = resetOrigin(full, state);
    await withWorker(async (w) => {
      await w.poll();
      const url = `https://${EN}/wiki/Reset_Cached`;
      const res = await w.fetch(url);
      try {
        await res.arrayBuffer();
      } catch {
        // expected: the origin reset the connection
      }
      state.broken = false;
      await sleep(200); // let the waitUntil store settle
      const before = origin.requests.length;
      const again = await w.fetch(url);
      expect((await again.arrayBuffer()).byteLength).toBe(full.length);
      expect(origin.requests.length - before).toBe(1);
    });
  });

  it("a very slow origin: the response is streamed, each chunk reaches the client before the origin sends the next", async () => {
    // Raw socket on the worker's port: Miniflare's dispatchFetch buffers whole bodies itself.
    let release: () => void = () => undefined;
    let deadlocked = 0;
    origin.handler = async (_req, res) => {
      await sleep(300); // slow to answer at all
      res.writeHead(200, { "content-type": "text/plain", "cache-control": "public, s-maxage=300" });
      for (let i = 0; i < 3; i++) {
        const delivered = new Promise<void>((r) => (release = r));
        res.write(`chunk-${i};`);
        // The next chunk only once the client has this one: a buffering proxy deadlocks here.
        if ((await Promise.race([delivered.then(() => "delivered"), sleep(5000).then(() => "stuck")])) === "stuck") deadlocked++;
      }
      res.end("end;");
    };
    await withWorker(async (w) => {
      await w.poll();
      for (const host of [EN, "fr.wikipedia.org"]) {
        const seen = await new Promise<string>((resolve) => {
          let text = "";
          let released = 0;
          const socket = connect(Number(w.url.port), "127.0.0.1", () =>
            socket.write(`GET /wiki/Slow_${host} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
          );
          socket.on("data", (c: Buffer) => {
            text += c.toString("latin1");
            // Release the origin once per chunk that has arrived.
            while (released < 3 && text.includes(`chunk-${released};`)) {
              released++;
              release();
            }
            // The last chunk of a chunked body: done (workerd may keep the socket open).
            if (text.endsWith("0\r\n\r\n")) socket.destroy();
          });
          socket.on("close", () => resolve(text));
          setTimeout(() => socket.destroy(), 12_000);
        });
        expect(seen, host).toMatch(/^HTTP\/1\.1 200/);
        expect(seen, host).toMatch(/chunk-0;[\s\S]*chunk-1;[\s\S]*chunk-2;[\s\S]*end;/);
      }
      // No chunk waited out its 5 s fallback: every one was released by the client receiving the previous.
      expect(deadlocked).toBe(0);
    });
  });
});
