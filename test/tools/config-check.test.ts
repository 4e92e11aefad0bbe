import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferIo, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from "../../tools/cli-io.js";
import { parseAtTime } from "../../tools/cli-args.js";
import { checkConfigText, main } from "../../tools/config-check.js";
import { CONFIG_MAX_BYTES, fetchConfig, isJsonContentType, readConfigFile } from "../../tools/config-source.js";
import { bucketPercent, type ExperimentSummary } from "../../tools/config-summary.js";
import { sampleConfig } from "../fixtures/config.js";
import { AT, AT_MS, runTool, serve, tempFiles } from "./cli-test-kit.js";

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
  it("accepts only application/json with no charset or UTF-8", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("application/json; charset=utf-8")).toBe(true);
    expect(isJsonContentType("Application/JSON;charset=\"UTF-8\"")).toBe(true);
    expect(isJsonContentType("application/json; charset=iso-8859-1")).toBe(false);
    expect(isJsonContentType("application/json; profile=x")).toBe(false);
    expect(isJsonContentType("text/json")).toBe(false);
    expect(isJsonContentType("text/html")).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });

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
      expect(big.ok).toBe(false);
      if (!big.ok) expect(big.error).toMatch(/5 MB/);
      expect(await readConfigFile(files.path("ok.json"))).toEqual({ ok: true, text: GOOD });
      const missing = await readConfigFile(files.path("missing.json"));
      expect(missing).toEqual({ ok: false, error: `${files.path("missing.json")}: no such file` });
    } finally {
      files.remove();
    }
  });
});

describe("config:check over HTTP", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve((req, res) => {
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
    expect(await fetchConfig(server.url("/good"))).toEqual({ ok: true, text: GOOD });
    expect(await fetchConfig(server.url("/missing"))).toEqual({ ok: false, error: `GET ${server.url("/missing")}: status 404, expected 200` });
    const html = await fetchConfig(server.url("/html"));
    expect(html.ok).toBe(false);
    if (!html.ok) expect(html.error).toContain('Content-Type "text/html"');
    // The poller does not follow redirects: a 302 is not a 200.
    expect(await fetchConfig(server.url("/redirect"))).toEqual({ ok: false, error: `GET ${server.url("/redirect")}: status 302, expected 200` });
    expect(await fetchConfig(server.url("/latin1"))).toEqual({ ok: false, error: `GET ${server.url("/latin1")}: body is not valid UTF-8` });
    const huge = await fetchConfig(server.url("/huge"));
    expect(huge.ok).toBe(false);
    if (!huge.ok) expect(huge.error).toContain("5 MB");
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
