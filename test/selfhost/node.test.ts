import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferIo } from "../../tools/cli-io.js";
import { main } from "../../selfhost/generate.js";
import { CAPNP_FILE, UNIT_FILE } from "../../selfhost/profile.js";
import { liveConfig } from "../fixtures/config.js";
import { expectedFor } from "../helpers/expect-enrollment.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";
import { freePort, http, readEnvironmentFile, readUnit, startNode, type Node } from "./node-kit.js";

// The self-hosted profile for real: `npm run selfhost`'s generator writes a profile into a
// temp dir, workerd starts from it the way the generated systemd unit starts it (its
// ExecStart, its EnvironmentFile, its ExecStartPost poll trigger), in front of a stub
// config API and a stub origin on 127.0.0.1. Then workerd is killed and restarted with the
// config API down, and must still enroll from the config it stored on disk.

const HOST = "en.wikipedia.org";
const PAGE = "/wiki/Main_Page";
// A fresh key ring per run, so "no generated file contains key material" is a real search.
const KEY = randomBytes(32).toString("base64url");
const KEYS = `7:${KEY}`;

let dir: string;
let out: string;
let config: StubServer;
let origin: StubServer;
let publicPort: number;
let adminPort: number;
let node: Node | null = null;
const doc = liveConfig();
let cookie = "";
let firstEnrollments = "";

const publicUrl = (path: string) => `http://127.0.0.1:${publicPort}${path}`;
const adminUrl = (path: string) => `http://127.0.0.1:${adminPort}${path}`;
const status = async () => JSON.parse((await http(adminUrl("/_enrollment/status"))).body);

/** Starts workerd exactly as the unit does: ExecStart, env from the EnvironmentFile, cwd elsewhere. */
async function startAsUnit(): Promise<Node> {
  const unit = readUnit(join(out, UNIT_FILE));
  const cwd = join(dir, "elsewhere");
  mkdirSync(cwd, { recursive: true });
  return startNode(unit.execStart, readEnvironmentFile(unit.environmentFile), cwd, [publicPort, adminPort]);
}

/** Every line workerd wrote, parsed: one JSON object per line on stdout and stderr. */
function logLines(n: Node): { stream: "stdout" | "stderr"; line: Record<string, unknown> }[] {
  const parse = (stream: "stdout" | "stderr", text: string) =>
    text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => {
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(l) as Record<string, unknown>;
        } catch {
          throw new Error(`workerd wrote a line that is not JSON on ${stream}: ${l}`);
        }
        return { stream, line };
      });
  return [...parse("stdout", n.stdout()), ...parse("stderr", n.stderr())];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ee-selfhost-"));
  out = join(dir, "profile");
  config = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(doc));
  });
  origin = await startStub((req, res) => {
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      vary: "X-Experiment-Enrollments, Accept-Encoding",
      "cache-control": "s-maxage=300, must-revalidate, max-age=0",
    });
    res.end(`origin page ${req.url}\n`);
  });
  publicPort = await freePort();
  adminPort = await freePort();
  const keysFile = join(dir, "keys.env");
  writeFileSync(keysFile, `# test key ring\nUNIQ_KEYS=${KEYS}\n`, { mode: 0o600 });
  const io = bufferIo();
  const code = await main(
    [
      "--out", out,
      "--origin", origin.url,
      "--listen", `127.0.0.1:${publicPort}`,
      "--admin", `127.0.0.1:${adminPort}`,
      "--state", join(dir, "state"),
      "--config-url", `${config.url}/api/v1/experiments?format=config&authority=varnish`,
      "--keys-file", keysFile,
      "--country-header", "X-Test-Country",
    ],
    io,
  );
  expect(code, io.stderr()).toBe(0);
});

afterAll(async () => {
  await node?.stop();
  await config?.close();
  await origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("generated profile", () => {
  it("writes the capnp, the modules it embeds and the unit, and no key material", () => {
    const files = readdirSync(out).sort();
    expect(files).toEqual([CAPNP_FILE, UNIT_FILE, "kv-store.js", "node.js", "worker.js"].sort());
    expect(readFileSync(join(out, "worker.js"), "utf8")).toBe(readFileSync("dist/worker.js", "utf8"));
    for (const f of files) {
      const text = readFileSync(join(out, f), "utf8");
      expect(text.includes(KEY), `${f} contains the key`).toBe(false);
      expect(/UNIQ_KEYS\s*=/.test(text), `${f} assigns UNIQ_KEYS`).toBe(false);
    }
    expect(readFileSync(join(out, CAPNP_FILE), "utf8")).toContain('fromEnvironment = "UNIQ_KEYS"');
  });
});

describe("self-hosted node on workerd serve", () => {
  it("starts from the unit's command in another folder and polls when the unit's ExecStartPost asks", async () => {
    node = await startAsUnit();
    const trigger = /(http:\/\/\S+\/_enrollment\/poll)$/.exec(readUnit(join(out, UNIT_FILE)).execStartPost)?.[1];
    expect(trigger).toBe(adminUrl("/_enrollment/poll"));
    const res = await http(trigger!, {}, "POST");
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.poll).toMatchObject({ outcome: "updated", httpStatus: 200, consecutiveFailures: 0 });
    expect(config.requests.length).toBeGreaterThanOrEqual(1);
    expect(config.requests[0]!.url).toBe("/api/v1/experiments?format=config&authority=varnish");
  });

  it("enrolls a first visit: strips the spoofed header, mints, injects, dresses the response", async () => {
    const before = origin.requests.length;
    const res = await http(publicUrl(PAGE), {
      Host: HOST,
      "X-Experiment-Enrollments": "fifty-fifty-test=treatment;",
      "X-Test-Country": "DE",
      Cookie: "other=1",
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe(`origin page ${PAGE}\n`);
    const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
    cookie = /^WMF-Uniq=([^;]+)/.exec(setCookie.find((c) => c.startsWith("WMF-Uniq=")) ?? "")?.[1] ?? "";
    expect(cookie).toHaveLength(48);
    const expected = expectedFor(doc, cookie, HOST, Date.now(), KEYS);
    const seen = origin.requests[before]!;
    expect(seen.url).toBe(PAGE);
    expect(seen.headers["x-experiment-enrollments"]).toBe(expected.page);
    expect(seen.headers["x-forwarded-host"]).toBe(HOST);
    expect(seen.headers["x-test-country"]).toBe("DE");
    expect(seen.headers["cookie"]).toBe("other=1");
    expect(res.headers["server-timing"]).toBe(`WMF-Uniq;desc="${expected.timing}"`);
    expect(res.headers["vary"]).toBe("Accept-Encoding");
    firstEnrollments = expected.page;
    expect(firstEnrollments).toMatch(/fifty-fifty-test=(control|treatment);/);
  });

  it("keeps a returning visitor's groups and never shows the origin the cookie", async () => {
    const before = origin.requests.length;
    const res = await http(publicUrl(PAGE), { Host: HOST, Cookie: `WMF-Uniq=${cookie}; other=1` });
    expect(res.headers["set-cookie"]).toBeUndefined();
    const seen = origin.requests[before]!;
    expect(seen.headers["x-experiment-enrollments"]).toBe(firstEnrollments);
    expect(seen.headers["cookie"]).toBe("other=1");
  });

  it("proxies the status and poll paths on the public listener like any page", async () => {
    for (const path of ["/_enrollment/status", "/_enrollment/poll"]) {
      const before = origin.requests.length;
      const res = await http(publicUrl(path), { Host: HOST, Cookie: `WMF-Uniq=${cookie}` }, path.endsWith("poll") ? "POST" : "GET");
      expect(res.body).toBe(`origin page ${path}\n`);
      expect(origin.requests[before]?.url).toBe(path);
    }
  });

  it("serves the status page on the admin listener only, counting the public traffic, and proxies nothing there", async () => {
    const s = await status();
    expect(s.enrollment.active).toBe(true);
    expect(s.keyRing).toMatchObject({ ok: true, mintingTag: 7, developmentKey: false });
    expect(s.settings).toMatchObject({ splitCache: false, countryHeader: "x-test-country", origin: "ORIGIN_URL", errors: [] });
    // Same isolate as the public listener: its counters are the node's.
    expect(s.counters.requests).toBeGreaterThanOrEqual(4);
    expect(s.counters.minted.absent).toBe(1);
    expect(s.counters.spoofedHeaderRemoved).toBe(1);
    const before = origin.requests.length;
    const page = await http(adminUrl(PAGE), { Host: HOST });
    expect(page.status).toBe(404);
    expect((await http(adminUrl("/_enrollment/status"), {}, "POST")).status).toBe(405);
    expect((await http(adminUrl("/_enrollment/poll"))).status).toBe(405);
    expect(origin.requests.length).toBe(before);
  });

  it("logs one JSON object per line, the worker's events, and nothing about a cache", () => {
    const lines = logLines(node!);
    const events = lines.map((l) => l.line["event"]);
    expect(events).toContain("config.poll");
    expect(events).toContain("config.loaded");
    expect(events).toContain("scheduler.started");
    for (const { stream, line } of lines) {
      expect(line["service"]).toBe("edge-enrollment");
      expect(String(line["event"])).not.toMatch(/^cache\./);
      expect(line["level"]).not.toBe("error");
      expect(stream).toBe(line["level"] === "info" ? "stdout" : "stderr");
    }
  });

  it("the admin kill switch stops this node's enrollment within a refresh, and undoing it resumes", async () => {
    const enrollmentsNow = async () => {
      const before = origin.requests.length;
      await http(publicUrl(PAGE), { Host: HOST, Cookie: `WMF-Uniq=${cookie}` });
      return origin.requests[before]!.headers["x-experiment-enrollments"];
    };
    const until = async (want: string | undefined) => {
      // CONFIG_REFRESH_MS is 5 s in the profile: bounded wait on the outcome.
      for (let i = 0; i < 40 && (await enrollmentsNow()) !== want; i++) await new Promise((r) => setTimeout(r, 250));
      return enrollmentsNow();
    };
    expect((await http(adminUrl("/_enrollment/kill-switch"), {}, "PUT")).status).toBe(200);
    expect(await until(undefined)).toBeUndefined();
    expect((await status()).enrollment.killSwitch).toEqual({ var: false, kv: true });
    expect((await http(adminUrl("/_enrollment/kill-switch"), {}, "DELETE")).status).toBe(200);
    expect(await until(firstEnrollments)).toBe(firstEnrollments);
    expect((await http(publicUrl("/_enrollment/kill-switch"), { Host: HOST }, "PUT")).body).toBe("origin page /_enrollment/kill-switch\n");
  }, 40_000);

  it("after a restart with the config API down, still enrolls from the config it stored", async () => {
    const polled = (await status()).config.version as string;
    await node!.stop();
    await config.close();
    const restartedAt = Date.now();
    node = await startAsUnit();

    const before = origin.requests.length;
    const res = await http(publicUrl(PAGE), { Host: HOST, Cookie: `WMF-Uniq=${cookie}` });
    expect(res.status).toBe(200);
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(origin.requests[before]!.headers["x-experiment-enrollments"]).toBe(firstEnrollments);

    // That first request started the schedule: a poll within seconds, which fails and keeps the config.
    let s = await status();
    for (let i = 0; i < 50 && !(s.poll && Date.parse(s.poll.at) >= restartedAt - 1000); i++) {
      await new Promise((r) => setTimeout(r, 100));
      s = await status();
    }
    expect(s.poll).toMatchObject({ outcome: "failed", version: polled });
    expect(s.poll.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(s.config.version).toBe(polled);
    expect(s.enrollment.active).toBe(true);
    const errors = logLines(node).filter((l) => l.line["level"] === "error");
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const e of errors) expect(e.line).toMatchObject({ event: "config.poll", outcome: "failed" });
  });
});
