import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferIo, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from "../../tools/cli-io.js";
import { parseAtTime } from "../../tools/cli-args.js";
import { checkConfigText, main } from "../../tools/config-check.js";
import { CONFIG_MAX_BYTES, fetchConfig, readConfigFile, TOOL_POLLER } from "../../tools/config-source.js";
import { bucketPercent, type ExperimentSummary } from "../../tools/config-summary.js";
import { sampleConfig } from "../fixtures/config.js";
import { AT, AT_MS, REPO_ROOT, runTool, serve, tempFiles } from "./cli-test-kit.js";
import pkg from "../../package.json" with { type: "json" };

const GOOD = JSON.stringify(sampleConfig(), null, 2);
const BAD = JSON.stringify({
  "overlapping-test": {
    start: "2025-06-01T00:00:00Z",
    end: "2025-07-01T00:00:00Z",
    domains: { "en.wikipedia.org": { groups: { a: [0, 500], b: [500, 999] } } },
  },
  "bad-dates-test": {
    start: "2025-06-01T00:00:00.5Z",
    end: "2025-07-01T00:00:00Z",
    colour: "blue",
    domains: { "EN.wikipedia.org": { groups: { a: [0, 100000] } } },
  },
});

function experiment(text: string, host: string, name: string, atMs = AT_MS): ExperimentSummary {
  const result = checkConfigText(text, atMs);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const found = result.summary.hosts.find((h) => h.host === host)?.experiments.find((e) => e.name === name);
  if (!found) throw new Error(`${name} not on ${host}`);
  return found;
}

describe("checkConfigText: summary of a valid config", () => {
  it("lists hosts in first-appearance order and experiments in document order", () => {
    const result = checkConfigText(GOOD, AT_MS);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.summary.at).toBe(AT);
    expect(result.summary.experiments).toBe(8);
    expect(result.summary.hosts.map((h) => h.host)).toEqual(["en.wikipedia.org", "de.wikipedia.org"]);
    expect(result.summary.hosts[0]!.experiments.map((e) => e.name)).toEqual([
      "fifty-fifty-test",
      "ten-percent-sample",
      "shared-a-experiment",
      "shared-b-experiment",
      "per-domain-test",
      "client-side-only",
      "not-started-yet",
      "already-ended-test",
    ]);
    expect(result.summary.hosts[1]!.experiments.map((e) => e.name)).toEqual(["fifty-fifty-test", "per-domain-test"]);
    expect(result.summary.hosts.map((h) => h.live)).toEqual([6, 2]);
  });

  it("judges live / not-yet / ended at --at, with start inclusive and end exclusive", () => {
    expect(experiment(GOOD, "en.wikipedia.org", "not-started-yet").status).toBe("not-yet");
    expect(experiment(GOOD, "en.wikipedia.org", "already-ended-test").status).toBe("ended");
    expect(experiment(GOOD, "en.wikipedia.org", "fifty-fifty-test").status).toBe("live");
    const start = Date.parse("2025-07-01T00:00:00Z");
    expect(experiment(GOOD, "en.wikipedia.org", "not-started-yet", start).status).toBe("live");
    expect(experiment(GOOD, "en.wikipedia.org", "not-started-yet", start - 1).status).toBe("not-yet");
    expect(experiment(GOOD, "en.wikipedia.org", "fifty-fifty-test", start).status).toBe("ended");
  });

  it("reports cache_split, selector, unique_domain, sample rate and group sizes", () => {
    const ten = experiment(GOOD, "en.wikipedia.org", "ten-percent-sample");
    expect(ten).toMatchObject({ cacheSplit: true, selector: "ten-percent-sample", sharedSelector: false, uniqueDomain: false });
    expect(ten).toMatchObject({ sampleBuckets: 10_000, samplePercent: "10%" });
    expect(ten.groups).toEqual([
      { name: "control", first: 0, last: 4999, buckets: 5000, percent: "5%" },
      { name: "treatment", first: 5000, last: 9999, buckets: 5000, percent: "5%" },
    ]);
    expect(experiment(GOOD, "en.wikipedia.org", "client-side-only")).toMatchObject({ cacheSplit: false, sampleBuckets: 100_000, samplePercent: "100%" });
    const shared = experiment(GOOD, "en.wikipedia.org", "shared-b-experiment");
    expect(shared).toMatchObject({ selector: "shared-selector-1", sharedSelector: true, cacheSplit: true, sampleBuckets: 100_000, samplePercent: "100%" });
    expect(shared.sameBucketsAs).toEqual(["shared-a-experiment"]);
    const de = experiment(GOOD, "de.wikipedia.org", "per-domain-test");
    expect(de.uniqueDomain).toBe(true);
    expect(de.sameBucketsAs).toEqual([]);
  });

  it("lists groups in bucket order, as the worker matches them, not as written; a one-bucket group is 0.001%", () => {
    const written = JSON.stringify({
      "reordered-groups": {
        start: "2025-06-01T00:00:00Z",
        end: "2025-07-01T00:00:00Z",
        domains: { "en.wikipedia.org": { groups: { treatment: [5000, 9999], control: [0, 4999], canary: [10_000, 10_000] } } },
      },
    });
    const summary = experiment(written, "en.wikipedia.org", "reordered-groups");
    expect(summary.groups.map((g) => [g.name, g.percent])).toEqual([
      ["control", "5%"],
      ["treatment", "5%"],
      ["canary", "0.001%"],
    ]);
    expect(summary).toMatchObject({ sampleBuckets: 10_001, samplePercent: "10.001%" });
  });

  it("formats percentages exactly", () => {
    expect(bucketPercent(100_000)).toBe("100%");
    expect(bucketPercent(50_000)).toBe("50%");
    expect(bucketPercent(12_345)).toBe("12.345%");
    expect(bucketPercent(10)).toBe("0.01%");
    expect(bucketPercent(1)).toBe("0.001%");
    expect(bucketPercent(0)).toBe("0%");
  });
});

describe("checkConfigText: invalid configs", () => {
  it("reports every problem with its JSON path", () => {
    const result = checkConfigText(BAD, AT_MS);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((i) => i.path);
    expect(paths).toContain('$["overlapping-test"].domains["en.wikipedia.org"].groups.b');
    expect(paths).toContain('$["bad-dates-test"].start');
    expect(paths).toContain('$["bad-dates-test"].colour');
    expect(paths.some((p) => p.startsWith('$["bad-dates-test"].domains'))).toBe(true);
  });

  it("rejects text that is not JSON at $", () => {
    const result = checkConfigText("{ not json", AT_MS);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.path).toBe("$");
  });
});

describe("config sources", () => {
  it("parses --at strictly", () => {
    expect(parseAtTime("2025-06-15T12:00:00Z")).toBe(AT_MS);
    expect(parseAtTime("2025-06-15T14:00:00+02:00")).toBe(AT_MS);
    expect(parseAtTime("2025-06-15")).toBe(Date.parse("2025-06-15T00:00:00Z"));
    expect(() => parseAtTime("2025-06-15T12:00:00")).toThrow(/zone/);
    expect(() => parseAtTime("yesterday")).toThrow(/--at/);
  });

  it("caps file size like the poller", async () => {
    const files = tempFiles({ "big.json": " ".repeat(CONFIG_MAX_BYTES + 1), "ok.json": GOOD });
    try {
      const big = await readConfigFile(files.path("big.json"));
      expect(big).toMatchObject({ ok: false, kind: "too-large", error: `${files.path("big.json")}: body over the 5 MB cap` });
      expect(await readConfigFile(files.path("ok.json"))).toMatchObject({ ok: true, text: GOOD });
      const missing = await readConfigFile(files.path("missing.json"));
      expect(missing).toEqual({ ok: false, kind: "io", error: `${files.path("missing.json")}: no such file`, issues: [] });
    } finally {
      files.remove();
    }
  });
});

describe("config:check over HTTP", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  const seen: Record<string, string | string[] | undefined>[] = [];
  beforeAll(async () => {
    server = await serve((req, res) => {
      seen.push(req.headers);
      switch (req.url) {
        case "/good":
          res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(GOOD);
          return;
        case "/bad":
          res.writeHead(200, { "content-type": "application/json" }).end(BAD);
          return;
        case "/html":
          res.writeHead(200, { "content-type": "text/html" }).end("<p>login</p>");
          return;
        case "/redirect":
          res.writeHead(302, { location: "/good", "content-type": "application/json" }).end();
          return;
        case "/latin1":
          res.writeHead(200, { "content-type": "application/json" }).end(Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]));
          return;
        case "/missing":
          res.writeHead(404, { "content-type": "application/json" }).end("{}");
          return;
        case "/huge": {
          // Chunked, no Content-Length: the cap must hold while streaming.
          res.writeHead(200, { "content-type": "application/json" });
          const chunk = " ".repeat(64 * 1024);
          for (let i = 0; i < 81; i++) res.write(chunk);
          res.end("{}");
          return;
        }
        case "/slow":
          res.writeHead(200, { "content-type": "application/json" });
          res.write("{");
          return; // never finishes
        default:
          res.writeHead(500).end();
      }
    });
  });
  afterAll(async () => server.close());

  it("fetches and validates like the poller", async () => {
    expect(await fetchConfig(server.url("/good"))).toMatchObject({ ok: true, text: GOOD });
    // It identifies itself like the poller (contract §1).
    expect(seen.at(-1)).toMatchObject({ "user-agent": `edge-enrollment/${pkg.version}`, "x-experiment-config-poller": TOOL_POLLER });
    expect(await fetchConfig(server.url("/missing"))).toMatchObject({ ok: false, kind: "status", error: `GET ${server.url("/missing")}: HTTP 404, expected 200` });
    expect(await fetchConfig(server.url("/html"))).toMatchObject({ ok: false, kind: "content-type", error: `GET ${server.url("/html")}: Content-Type "text/html", expected application/json` });
    // The poller does not follow redirects: a 302 is not a 200.
    expect(await fetchConfig(server.url("/redirect"))).toMatchObject({ ok: false, error: `GET ${server.url("/redirect")}: HTTP 302, expected 200` });
    expect(await fetchConfig(server.url("/latin1"))).toMatchObject({ ok: false, kind: "not-utf-8", error: `GET ${server.url("/latin1")}: body is not valid UTF-8` });
    expect(await fetchConfig(server.url("/huge"))).toMatchObject({ ok: false, kind: "too-large", error: `GET ${server.url("/huge")}: body over the 5 MB cap` });
    const bad = await fetchConfig(server.url("/bad"));
    expect(bad).toMatchObject({ ok: false, kind: "invalid" });
    if (!bad.ok) expect(bad.issues.length).toBeGreaterThanOrEqual(4);
    const slow = await fetchConfig(server.url("/slow"), { timeoutMs: 300 });
    expect(slow.ok).toBe(false);
    if (!slow.ok) expect(slow.error).toContain("within 0.3 s");
  });

  it("main: exit 0 with a per-host summary, 1 with every problem, 2 for a fetch error", async () => {
    const good = bufferIo();
    expect(await main([server.url("/good"), "--at", AT], good)).toBe(EXIT_OK);
    expect(good.stdout()).toContain("valid. 8 experiments on 2 hosts; status at 2025-06-15T12:00:00Z");
    expect(good.stdout()).toMatch(/ten-percent-sample {2}\[live\]/);
    expect(good.stdout()).toMatch(/not-started-yet {2}\[not-yet\]/);
    expect(good.stdout()).toContain("control    [0, 4999]     5000 buckets  5%");

    const bad = bufferIo();
    expect(await main([server.url("/bad")], bad)).toBe(EXIT_INVALID);
    expect(bad.stdout()).toContain('$["overlapping-test"].domains["en.wikipedia.org"].groups.b: range [500, 999] overlaps group "a" [0, 500]');

    const html = bufferIo();
    expect(await main([server.url("/html"), "--json"], html)).toBe(EXIT_USAGE);
    expect(html.stderr()).toContain("expected application/json");
    expect(JSON.parse(html.stdout())).toMatchObject({ ok: false, error: expect.stringContaining("Content-Type") });
  });

  it("the real command: exit code and --json output", async () => {
    const run = await runTool("tools/config-check.ts", [server.url("/good"), "--json", "--at", AT]);
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body).toMatchObject({ ok: true, source: server.url("/good"), at: AT, experiments: 8 });
    expect(body.hosts[1]).toMatchObject({ host: "de.wikipedia.org", live: 2 });
    expect(body.hosts[0].experiments[1]).toMatchObject({ name: "ten-percent-sample", samplePercent: "10%", cacheSplit: true });
    expect(body.hosts[0].experiments[5]).toMatchObject({ name: "client-side-only", samplePercent: "100%", cacheSplit: false });
  });
});

describe("config:check usage", () => {
  it("--help prints usage and exits 0", async () => {
    const io = bufferIo();
    expect(await main(["--help"], io)).toBe(EXIT_OK);
    expect(io.stdout()).toContain("Usage: npm run config:check");
  });

  it("usage errors exit 2 with one line on stderr", async () => {
    for (const argv of [[], ["a.json", "b.json"], ["--nope", "a.json"], ["a.json", "--at", "soon"]]) {
      const io = bufferIo();
      expect(await main(argv, io)).toBe(EXIT_USAGE);
      expect(io.stdout()).toBe("");
      expect(io.stderr()).toMatch(/^config:check: .+\nRun with --help for usage\.\n$/);
    }
  });

  it("reads a file: invalid exits 1, valid exits 0 with --json", async () => {
    const files = tempFiles({ "bad.json": BAD, "good.json": GOOD });
    try {
      const bad = bufferIo();
      expect(await main([files.path("bad.json"), "--json"], bad)).toBe(EXIT_INVALID);
      const body = JSON.parse(bad.stdout());
      expect(body.ok).toBe(false);
      expect(body.issues.length).toBeGreaterThanOrEqual(4);
      const good = bufferIo({}, AT_MS);
      expect(await main([files.path("good.json"), "--json"], good)).toBe(EXIT_OK);
      expect(JSON.parse(good.stdout())).toMatchObject({ ok: true, at: AT });
    } finally {
      files.remove();
    }
  });

  it("the real command: a user error exits 2 without a stack trace", async () => {
    const run = await runTool("tools/config-check.ts", ["/nonexistent/config.json"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("config:check: /nonexistent/config.json: no such file\n");
  });
});

describe("config:check on upstream's own documents", () => {
  const UPSTREAM = "test/fixtures/upstream/uniques.json";

  it("accepts upstream's test file as it is (three root _comment keys), and summarises it at a time inside its windows", async () => {
    const io = bufferIo();
    expect(await main([`${REPO_ROOT}${UPSTREAM}`, "--at", AT], io)).toBe(EXIT_OK);
    const out = io.stdout();
    expect(out).toContain("valid. 5 experiments on 2 hosts; status at 2025-06-15T12:00:00Z");
    expect(out).toMatch(/2025-abtests2-foo-10x10 {2}\[live\]/);
    expect(out).toMatch(/2025-abtests2-bar-5x10 {2}\[live\][^\n]*\n[^\n]*sample 50%/);
    expect(out).toMatch(/2025-abtests2-sel2-4x25 {2}\[live\][^\n]*\n[^\n]*selector shared "abtests2-selected" \(same buckets as 2025-abtests2-sel1-4x25\)/);
    expect(out).toMatch(/test\.wikipedia\.org: 1 experiment, 1 live\n {2}2025-abtests2-udom/);
    expect(out).not.toContain("warning");
    expect(io.stderr()).toBe("");
  });

  it("the real command, as a user runs it", async () => {
    const run = await runTool("tools/config-check.ts", [UPSTREAM, "--at", AT]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${UPSTREAM}: valid. 5 experiments on 2 hosts`);
  });

  it('warns about a group named "0" (exit 0: the document is valid upstream)', async () => {
    const doc = {
      "zero-group-test": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", domains: { "en.wikipedia.org": { groups: { "0": [0, 49999], "1": [50000, 99999] } }, "de.wikipedia.org": { groups: { "0": [0, 99999] } } } },
      "zero-client-side": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", cache_split: false, domains: { "en.wikipedia.org": { groups: { "0": [0, 99999] } } } },
    };
    const files = tempFiles({ "zero.json": JSON.stringify(doc) });
    try {
      const io = bufferIo();
      expect(await main([files.path("zero.json"), "--at", AT], io)).toBe(EXIT_OK);
      const warnings = io.stdout().split("\n").filter((l) => l.startsWith("warning: "));
      // One warning for the cache-split experiment, naming its hosts; none for the client-side one, which never reaches the origin.
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('zero-group-test: a group named "0" (on en.wikipedia.org, de.wikipedia.org)');
      expect(warnings[0]).toContain("leaves that pair out of the header");
      const json = bufferIo();
      expect(await main([files.path("zero.json"), "--at", AT, "--json"], json)).toBe(EXIT_OK);
      expect(JSON.parse(json.stdout()).warnings).toEqual([warnings[0]!.slice("warning: ".length)]);
    } finally {
      files.remove();
    }
  });
});
