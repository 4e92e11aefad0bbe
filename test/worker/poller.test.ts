import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { liveConfig } from "../fixtures/config.js";
import { writeConfigReply, type ConfigReply } from "../helpers/config-reply.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";
import { startWorker, type Harness } from "../helpers/worker-harness.js";

let configApi: StubServer;
let origin: StubServer;
let h: Harness;
const good = JSON.stringify(liveConfig());
type Reply = ConfigReply;
let reply: Reply = {};

beforeAll(async () => {
  origin = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  configApi = await startStub((req, res) => writeConfigReply(req, res, reply, good));
  h = await startWorker({ CONFIG_URL: `${configApi.url}/api/v1/experiments?format=config&authority=varnish`, ORIGIN_URL: origin.url, CONFIG_POLL_TIMEOUT_MS: "500" });
});

afterAll(async () => {
  await h.dispose();
  await origin.close();
  await configApi.close();
});

/** One poll; its status record. The poll's one log line is taken and checked: level error exactly when it failed. */
async function pollWith(r: Reply): Promise<any> {
  reply = r;
  await h.poll();
  const status = (await (await h.kv()).get("poll/v1/status", "json")) as any;
  const lines = await h.log.take("config.poll");
  expect(lines).toHaveLength(1);
  const ok = ["updated", "unchanged", "not-modified"].includes(status.outcome);
  expect(lines[0]!.json).toMatchObject({ level: ok ? "info" : "error", outcome: status.outcome, reason: status.reason });
  return status;
}

async function stored(): Promise<{ version: string | null; metadata: any }> {
  const kv = await h.kv();
  const doc = await kv.getWithMetadata("config/v1/document");
  return { version: await kv.get("config/v1/version"), metadata: doc.metadata };
}

describe("config poller", () => {
  it("accepts a valid document, stores it with its version, and sends its identifying headers", async () => {
    const status = await pollWith({});
    expect(status.outcome).toBe("updated");
    expect(status.consecutiveFailures).toBe(0);
    const s = await stored();
    expect(s.version).toMatch(/^[0-9a-f]{64}$/);
    expect(s.metadata.version).toBe(s.version);
    const req = configApi.requests.at(-1)!;
    expect(req.url).toBe("/api/v1/experiments?format=config&authority=varnish");
    // As upstream's fetcher identifies itself (contract §1).
    expect(req.headers["user-agent"]).toBe(`edge-enrollment/${pkg.version}`);
    expect(req.headers["x-experiment-config-poller"]).toBe("edge-enrollment worker (scheduled poll)");
    expect(req.headers["accept"]).toBe("application/json");
  });

  it("unchanged content is not written again", async () => {
    const before = await stored();
    const status = await pollWith({});
    expect(status.outcome).toBe("unchanged");
    expect(await stored()).toEqual(before);
  });

  const rejections: [string, Reply, RegExp][] = [
    ["HTTP 500", { status: 500, body: "oops" }, /^HTTP 500, expected 200$/],
    ["a redirect (never followed)", { status: 302, body: "" }, /^HTTP 302, expected 200$/],
    ["a wrong content type", { type: "text/html" }, /^Content-Type "text\/html", expected application\/json$/],
    ["another charset", { type: "application/json; charset=iso-8859-1" }, /expected application\/json \(a charset, if given, must be utf-8\)$/],
    ["invalid JSON", { body: '{"truncated": ' }, /validation/],
    ["a schema failure", { body: JSON.stringify({ "bad name": {} }) }, /validation/],
    ["an empty body", { body: "" }, /validation/],
    ["invalid UTF-8", { body: Buffer.from([0x7b, 0xff, 0x7d]) }, /^body is not valid UTF-8$/],
    ["a body over 5 MB (declared)", { body: `{"_comment": "${"x".repeat(5 * 1024 * 1024)}"}` }, /^body over the 5 MB cap \(Content-Length: \d+ bytes\)$/],
    ["a body over 5 MB (streamed, no length)", { body: `{"_comment": "${"x".repeat(20 * 1024 * 1024)}"}`, chunked: true }, /^body over the 5 MB cap$/],
  ];

  it.each(rejections)("rejects %s and keeps the last good config", async (_, r, reason) => {
    const before = await stored();
    const status = await pollWith(r);
    expect(status.outcome).toBe("rejected");
    expect(status.reason).toMatch(reason);
    expect(status.consecutiveFailures).toBeGreaterThan(0);
    expect(status.version).toBe(before.version);
    expect(await stored()).toEqual(before);
  });

  it("lists the problems of a document that fails validation", async () => {
    const status = await pollWith({ body: JSON.stringify({ "short": {}, "valid-name-x": { start: "x" } }) });
    expect(status.issues.join("\n")).toMatch(/\$\.short: experiment name must match/);
    expect(status.issues.join("\n")).toMatch(/valid-name-x.*start/);
  });

  it("a hanging config API times out and keeps the last good config", async () => {
    const before = await stored();
    const status = await pollWith({ hang: true });
    expect(status.outcome).toBe("failed");
    expect(status.reason).toMatch(/timeout/);
    expect(await stored()).toEqual(before);
  });

  it("recovers after failures and resets the failure count", async () => {
    await pollWith({ status: 500 });
    const failing = await pollWith({ status: 500 });
    expect(failing.consecutiveFailures).toBeGreaterThanOrEqual(2);
    const ok = await pollWith({});
    expect(ok.consecutiveFailures).toBe(0);
    expect(ok.lastSuccessAt).toBe(ok.at);
  });

  it("uses If-None-Match once the server offers an ETag, and a 304 keeps the config", async () => {
    const changed = JSON.stringify({ ...liveConfig(), "extra-experiment": liveConfig()["fifty-fifty-test"] });
    const first = await pollWith({ body: changed, etag: '"v2"' });
    expect(first.outcome).toBe("updated");
    const second = await pollWith({ body: changed, etag: '"v2"' });
    expect(configApi.requests.at(-1)!.headers["if-none-match"]).toBe('"v2"');
    expect(second.outcome).toBe("not-modified");
    expect(second.version).toBe(first.version);
  });

  // One window for every document below, so the same group gives the same text (and version).
  const window = { start: liveConfig()["fifty-fifty-test"]!.start, end: liveConfig()["fifty-fifty-test"]!.end };
  const onlyOn = (host: string, group: string) => JSON.stringify({ [`only-${group}-experiment`]: { ...window, domains: { [host]: { groups: { [group]: [0, 99999] } } } } });
  const page = async (host: string) => {
    const res = await h.fetch(`https://${host}/wiki/Pagina`);
    await res.arrayBuffer();
    return origin.requests.at(-1)!.headers["x-experiment-enrollments"];
  };
  const loads = async () => ((await (await h.fetch("https://it.wikipedia.org/_enrollment/status")).json()) as any).counters.config.loads as number;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("the isolate that accepted a new version uses it from its very next request, parsed once (contract §1)", async () => {
    expect(await page("it.wikipedia.org")).toBeUndefined(); // the memo is warm, on the previous version
    const before = await loads();
    await pollWith({ body: onlyOn("it.wikipedia.org", "all") });
    // No wait for CONFIG_REFRESH_MS: the poll handed its compiled config to this isolate's memo.
    expect(await page("it.wikipedia.org")).toBe("only-all-experiment=all;");
    expect(await loads()).toBe(before + 1);
    // Past the refresh period KV shows the same version: nothing is re-read or re-parsed.
    await sleep(1100);
    expect(await page("it.wikipedia.org")).toBe("only-all-experiment=all;");
    await pollWith({ body: onlyOn("it.wikipedia.org", "all") });
    expect(await page("it.wikipedia.org")).toBe("only-all-experiment=all;");
    expect(await loads()).toBe(before + 1);
  });

  it("another isolate's new version (seen here only in KV) is picked up at the first refresh; the request that starts the refresh, after idling past the period, is still served from the previous config", async () => {
    expect(await page("it.wikipedia.org")).toBe("only-all-experiment=all;");
    // What another isolate's poll writes: the document, then the version pointer.
    const kv = await h.kv();
    const version = "e".repeat(64);
    await kv.put("config/v1/document", onlyOn("it.wikipedia.org", "other"), { metadata: { version, acceptedAt: Date.now() } });
    await kv.put("config/v1/version", version);
    await sleep(1100); // idle past CONFIG_REFRESH_MS (1000 in the harness)
    expect(await page("it.wikipedia.org")).toBe("only-all-experiment=all;");
    await expect.poll(() => page("it.wikipedia.org"), { timeout: 3000, interval: 50 }).toBe("only-other-experiment=other;");
  });

  it("a refresh never steps back to an older acceptance than the one this isolate installed", async () => {
    await pollWith({ body: onlyOn("it.wikipedia.org", "newest") });
    expect(await page("it.wikipedia.org")).toBe("only-newest-experiment=newest;");
    // KV (eventually consistent) still shows an earlier acceptance under another version.
    const kv = await h.kv();
    const stale = "d".repeat(64);
    await kv.put("config/v1/document", onlyOn("it.wikipedia.org", "stale"), { metadata: { version: stale, acceptedAt: Date.now() - 60_000 } });
    await kv.put("config/v1/version", stale);
    await sleep(1100);
    for (let i = 0; i < 3; i++) {
      expect(await page("it.wikipedia.org")).toBe("only-newest-experiment=newest;");
      await sleep(100);
    }
  });
});
