import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

async function pollWith(r: Reply): Promise<any> {
  reply = r;
  await h.poll();
  return (await h.kv()).get("poll/v1/status", "json");
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
    expect(req.headers["user-agent"]).toMatch(/^edge-enrollment\//);
    expect(req.headers["x-experiment-config-poller"]).toMatch(/^edge-enrollment\//);
  });

  it("unchanged content is not written again", async () => {
    const before = await stored();
    const status = await pollWith({});
    expect(status.outcome).toBe("unchanged");
    expect(await stored()).toEqual(before);
  });

  const rejections: [string, Reply, RegExp][] = [
    ["HTTP 500", { status: 500, body: "oops" }, /HTTP 500/],
    ["a redirect (never followed)", { status: 302, body: "" }, /HTTP 302/],
    ["a wrong content type", { type: "text/html" }, /content type/],
    ["another charset", { type: "application/json; charset=iso-8859-1" }, /content type/],
    ["invalid JSON", { body: '{"truncated": ' }, /validation/],
    ["a schema failure", { body: JSON.stringify({ "bad name": {} }) }, /validation/],
    ["an empty body", { body: "" }, /validation/],
    ["invalid UTF-8", { body: Buffer.from([0x7b, 0xff, 0x7d]) }, /unreadable body/],
    ["a body over 5 MB (declared)", { body: `{"_comment": "${"x".repeat(5 * 1024 * 1024)}"}` }, /larger than .*Content-Length/],
    ["a body over 5 MB (streamed, no length)", { body: `{"_comment": "${"x".repeat(20 * 1024 * 1024)}"}`, chunked: true }, /larger than 5242880 bytes$/],
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

  it("a new version reaches the request path within the refresh period, parsed once", async () => {
    const one = JSON.stringify({ "only-experiment": { ...liveConfig()["fifty-fifty-test"], domains: { "it.wikipedia.org": { groups: { all: [0, 99999] } } } } });
    await pollWith({ body: one });
    await new Promise((r) => setTimeout(r, 1100));
    await h.fetch("https://it.wikipedia.org/wiki/Pagina");
    expect(origin.requests.at(-1)!.headers["x-experiment-enrollments"]).toBe("only-experiment=all;");
    const loads = ((await (await h.fetch("https://it.wikipedia.org/_enrollment/status")).json()) as any).counters.config.loads;
    // Same content again: no new version, nothing re-parsed.
    await pollWith({ body: one });
    await new Promise((r) => setTimeout(r, 1100));
    await h.fetch("https://it.wikipedia.org/wiki/Pagina");
    const after = ((await (await h.fetch("https://it.wikipedia.org/_enrollment/status")).json()) as any).counters.config.loads;
    expect(after).toBe(loads);
  });
});
