import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config-parse.js";
import { escapeHtml } from "../../src/html.js";
import { buildBucketMap, diffBucketMaps } from "../../tools/bucket-map.js";
import { MAP_PAGE_CSP, renderBucketDiffHtml, renderBucketMapHtml, renderIssuesHtml } from "../../tools/bucket-map-html.js";
import { bufferIo, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from "../../tools/cli-io.js";
import { main } from "../../tools/config-check.js";
import { sampleConfig } from "../fixtures/config.js";
import { rulesConfig, rulesExperiments } from "../fixtures/rules-config.js";
import { AT, AT_MS, tempFiles } from "./cli-test-kit.js";

const EVIL = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;

function sampleMap() {
  const parsed = parseConfig(sampleConfig());
  if (!parsed.ok) throw new Error("fixture");
  return buildBucketMap(parsed.config, AT_MS);
}

/** No markup came from the input and nothing can load: the page is text, styles and links to itself. */
function expectSelfContained(page: string): void {
  expect(page).not.toMatch(/<script|<img|<iframe|<link rel="stylesheet"|@import|url\(/i);
  expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(MAP_PAGE_CSP)}">`);
  for (const m of page.matchAll(/\b(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^(#|data:,$)/);
}

describe("renderBucketMapHtml", () => {
  it("draws every segment with its group and range as data attributes", () => {
    const page = renderBucketMapHtml(sampleMap(), { source: "config.json" });
    expectSelfContained(page);
    expect(page).toContain('<section class="host" id="host-en.wikipedia.org" data-host="en.wikipedia.org">');
    expect(page).toMatch(/data-experiment="ten-percent-sample"[^>]*>/);
    expect(page).toContain('data-kind="group" data-group="control" data-first="0" data-last="4999" data-buckets="5000" style="left:0%;width:5%"');
    expect(page).toContain('data-kind="unenrolled" data-first="10000" data-last="99999" data-buckets="90000" style="left:10%;width:90%"');
    // Shared buckets are framed together; unique_domain and ended experiments are marked.
    expect(page).toMatch(/<div class="shared-buckets" data-bucket-space="shared-selector-1">[\s\S]*data-experiment="shared-a-experiment"[\s\S]*data-experiment="shared-b-experiment"/);
    // (The legend shows the unique_domain badge too: look in the experiment's own head.)
    const head = (name: string) => page.match(new RegExp(`data-experiment="${name}"[^>]*>\\s*<div class="exp-head">(.*?)</div>`))![1];
    expect(head("per-domain-test")).toContain('<span class="badge unique"');
    expect(head("fifty-fifty-test")).not.toContain('<span class="badge unique"');
    expect(page).toContain("Ended (not drawn): already-ended-test");
  });

  it("escapes rules, warnings and the source, which come from the operator's input", () => {
    const experiments = rulesExperiments();
    (experiments[0] as { eligibility?: string }).eligibility = `country == ${JSON.stringify(EVIL)}`;
    const map = buildBucketMap(rulesConfig(experiments), AT_MS);
    const page = renderBucketMapHtml({ ...map, warnings: [EVIL] }, { source: `odd${EVIL}.json` });
    expectSelfContained(page);
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;");
    expect(page).toContain(`data-eligibility="country == &quot;\\&quot;&gt;&lt;script&gt;`);
    // The rule bands are drawn, each labelled with its rule.
    expect(page).toContain(`data-rule="platform == &quot;mobile&quot;"`);
    expect(page).toContain(`if <code>language == &quot;en&quot;</code>`);
    expect(page).toContain("⚠ group &quot;0&quot;: MediaWiki drops a group named 0");
  });

  it("lists the problems of an invalid config, escaped", () => {
    const page = renderIssuesHtml(EVIL, [{ path: `$["${EVIL}"]`, message: "unknown key" }]);
    expectSelfContained(page);
    expect(page).toContain("<li><code>$[&quot;&quot;&gt;&lt;script&gt;");
  });
});

describe("renderBucketDiffHtml", () => {
  it("flags the buckets a ramp would reshuffle", () => {
    const before = sampleConfig();
    const after = structuredClone(before) as Record<string, { domains: Record<string, { groups: Record<string, number[]> }> }>;
    after["ten-percent-sample"]!.domains["en.wikipedia.org"]!.groups = { control: [0, 9999], treatment: [10000, 19999] };
    const map = (doc: unknown) => {
      const p = parseConfig(doc);
      if (!p.ok) throw new Error("fixture");
      return buildBucketMap(p.config, AT_MS);
    };
    const page = renderBucketDiffHtml(diffBucketMaps(map(before), map(after)), { source: "new.json", against: "old.json" });
    expectSelfContained(page);
    expect(page).toContain('data-reshuffling="1"');
    expect(page).toMatch(/<article class="exp reshuffling" data-experiment="ten-percent-sample"[^>]*data-change="changed" data-reshuffled="5000">/);
    expect(page).toContain('class="chg reshuffled" data-change="reshuffled" data-before="treatment" data-after="control" data-first="5000" data-last="9999"');
    expect(page).toContain('data-group="control" data-group-change="widened"');
    expect(page).toContain('data-group="treatment" data-group-change="moved"');
    expect(page).toMatch(/data-experiment="fifty-fifty-test"[^>]*data-change="unchanged"/);
  });
});

describe("config:check --html and --against", () => {
  const ramp = (groups: Record<string, number[]>) =>
    JSON.stringify({ "ramp-experiment": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", domains: { "en.wikipedia.org": { groups } } } });

  it("writes the map, and with --against the diff, and says so", async () => {
    const files = tempFiles({
      "old.json": ramp({ control: [0, 4999], treatment: [5000, 9999] }),
      "new.json": ramp({ control: [0, 9999], treatment: [10000, 19999] }),
    });
    try {
      const io = bufferIo();
      expect(await main([files.path("new.json"), "--at", AT, "--html", files.path("map.html")], io)).toBe(EXIT_OK);
      expect(io.stdout()).toContain(`wrote ${files.path("map.html")}: the bucket map`);
      expect(readFileSync(files.path("map.html"), "utf8")).toContain('data-group="treatment" data-first="10000" data-last="19999"');

      const diff = bufferIo();
      expect(await main([files.path("new.json"), "--at", AT, "--against", files.path("old.json"), "--html", files.path("diff.html")], diff)).toBe(EXIT_OK);
      expect(diff.stdout()).toContain("ramp-experiment: changed  RESHUFFLES 5000 buckets (5%)");
      expect(readFileSync(files.path("diff.html"), "utf8")).toContain('data-change="reshuffled" data-before="treatment" data-after="control"');

      const json = bufferIo();
      expect(await main([files.path("new.json"), "--at", AT, "--against", files.path("old.json"), "--json"], json)).toBe(EXIT_OK);
      const body = JSON.parse(json.stdout());
      expect(body.changes).toMatchObject({ changed: 1, reshuffling: ["en.wikipedia.org/ramp-experiment"] });
      expect(body.changes.hosts[0].experiments[0].bands[0].moves).toEqual([
        { first: 5000, last: 9999, buckets: 5000, percent: "5%", before: "treatment", after: "control", kind: "reshuffled" },
      ]);
    } finally {
      files.remove();
    }
  });

  it("an invalid config writes the list of problems and exits 1; an invalid OLD is a usage error", async () => {
    const files = tempFiles({ "bad.json": ramp({ a: [0, 10], b: [5, 20] }), "good.json": ramp({ a: [0, 10] }) });
    try {
      const io = bufferIo();
      expect(await main([files.path("bad.json"), "--html", files.path("bad.html")], io)).toBe(EXIT_INVALID);
      expect(readFileSync(files.path("bad.html"), "utf8")).toContain("overlaps");
      const old = bufferIo();
      expect(await main([files.path("good.json"), "--against", files.path("bad.json")], old)).toBe(EXIT_USAGE);
      expect(old.stderr()).toMatch(/--against .*bad\.json: invalid \(1 problems?\), nothing to compare with/);
      const empty = bufferIo();
      expect(await main([files.path("good.json"), "--html="], empty)).toBe(EXIT_USAGE);
    } finally {
      files.remove();
    }
  });
});
