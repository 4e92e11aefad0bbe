import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config-parse.js";
import { buildBucketMap, diffBucketMaps, formatDiff, type Band, type BucketMap, type ExperimentMap } from "../../tools/bucket-map.js";
import { summariseConfig } from "../../tools/config-summary.js";
import { sampleConfig } from "../fixtures/config.js";
import { rulesConfig } from "../fixtures/rules-config.js";
import { AT_MS } from "./cli-test-kit.js";

const EN = "en.wikipedia.org";
const DE = "de.wikipedia.org";

function mapOf(doc: Record<string, unknown>): BucketMap {
  const parsed = parseConfig(doc);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return buildBucketMap(parsed.config, AT_MS);
}

function exp(map: BucketMap, host: string, name: string): ExperimentMap {
  const e = map.hosts.find((h) => h.host === host)?.experiments.find((x) => x.name === name);
  if (!e) throw new Error(`${name} not on ${host}`);
  return e;
}

const cut = (band: Band) => band.segments.map((s) => [s.group, s.first, s.last]);

/** One experiment on en with these groups (and optional extra fields). */
function one(groups: Record<string, [number, number]>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "ramp-experiment": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", ...extra, domains: { [EN]: { groups } } },
  };
}

describe("buildBucketMap", () => {
  const map = mapOf(sampleConfig());

  it("draws each live and scheduled experiment as segments covering 0..99,999, gaps unenrolled", () => {
    expect(cut(exp(map, EN, "fifty-fifty-test").bands[0]!)).toEqual([
      ["control", 0, 49999],
      ["treatment", 50000, 99999],
    ]);
    const ten = exp(map, EN, "ten-percent-sample").bands[0]!;
    expect(cut(ten)).toEqual([
      ["control", 0, 4999],
      ["treatment", 5000, 9999],
      [null, 10000, 99999],
    ]);
    expect(ten).toMatchObject({ rule: null, sampleBuckets: 10000, samplePercent: "10%" });
    expect(ten.segments[2]).toMatchObject({ buckets: 90000, percent: "90%" });
    // A one-bucket group, the rest a gap.
    expect(cut(exp(mapOf(one({ only: [0, 0] })), EN, "ramp-experiment").bands[0]!)).toEqual([
      ["only", 0, 0],
      [null, 1, 99999],
    ]);
    // Gaps before, between and after groups.
    expect(cut(exp(mapOf(one({ b: [50000, 50009], a: [10, 19] })), EN, "ramp-experiment").bands[0]!)).toEqual([
      [null, 0, 9],
      ["a", 10, 19],
      [null, 20, 49999],
      ["b", 50000, 50009],
      [null, 50010, 99999],
    ]);
    for (const host of map.hosts) {
      for (const e of host.experiments) {
        for (const b of e.bands) {
          expect(b.segments[0]!.first).toBe(0);
          expect(b.segments.at(-1)!.last).toBe(99999);
          for (let i = 1; i < b.segments.length; i++) expect(b.segments[i]!.first).toBe(b.segments[i - 1]!.last + 1);
        }
      }
    }
  });

  it("shows live and not-yet experiments, names the ended ones", () => {
    const en = map.hosts.find((h) => h.host === EN)!;
    expect(en.experiments.map((e) => [e.name, e.status])).toContainEqual(["not-started-yet", "not-yet"]);
    expect(en.experiments.map((e) => e.name)).not.toContain("already-ended-test");
    expect(en.ended).toEqual(["already-ended-test"]);
    expect(en).toMatchObject({ live: 6, scheduled: 1 });
  });

  it("marks shared buckets and unique_domain by bucket space", () => {
    const a = exp(map, EN, "shared-a-experiment");
    const b = exp(map, EN, "shared-b-experiment");
    expect(a.bucketSpace).toBe("shared-selector-1");
    expect(b.bucketSpace).toBe(a.bucketSpace);
    expect(a.sameBucketsAs).toEqual(["shared-b-experiment"]);
    expect(a).toMatchObject({ sharedSelector: true, selector: "shared-selector-1" });
    // unique_domain: each host its own bucket space; without it, one space across hosts.
    const de = exp(map, DE, "per-domain-test");
    expect(de.uniqueDomain).toBe(true);
    expect(de.bucketSpace).toBe(`per-domain-test @ ${DE}`);
    expect(exp(map, EN, "per-domain-test").bucketSpace).toBe(`per-domain-test @ ${EN}`);
    expect(exp(map, DE, "fifty-fifty-test")).toMatchObject({ uniqueDomain: false, bucketSpace: "fifty-fifty-test" });
    expect(exp(map, EN, "fifty-fifty-test").bucketSpace).toBe("fifty-fifty-test");
  });

  it("puts experiments that share buckets next to each other, at the first one's place", () => {
    const doc = {
      "shared-one-exp": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", shared_selector: "common-selector", domains: { [EN]: { groups: { a: [0, 9] } } } },
      "standalone-exp": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", domains: { [EN]: { groups: { a: [0, 9] } } } },
      "shared-two-exp": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", shared_selector: "common-selector", domains: { [EN]: { groups: { b: [0, 9] } } } },
    };
    expect(mapOf(doc).hosts[0]!.experiments.map((e) => e.name)).toEqual(["shared-one-exp", "shared-two-exp", "standalone-exp"]);
  });

  it("gives each group one colour across the experiment's bands", () => {
    const e = exp(buildBucketMap(rulesConfig(), AT_MS), DE, "mobile-first-layout");
    expect(e.colours).toEqual({ control: 0, treatment: 1 });
  });

  it("reads the §8 rules: eligibility, constants, one band per allocation in match order", () => {
    const e = exp(buildBucketMap(rulesConfig(), AT_MS), DE, "mobile-first-layout");
    expect(e.eligibility).toBe("country in launch_countries && !loggedIn");
    expect(e.constants).toEqual(["launch_countries"]);
    expect(e.bands.map((b) => b.rule)).toEqual([null, 'platform == "mobile"', 'language == "en"']);
    expect(cut(e.bands[1]!)).toEqual([
      ["control", 0, 49999],
      ["treatment", 50000, 99999],
    ]);
    expect(cut(e.bands[2]!)).toEqual([
      ["treatment", 0, 999],
      [null, 1000, 99999],
    ]);
    // Without rules: none of it.
    expect(exp(map, EN, "fifty-fifty-test")).toMatchObject({ eligibility: null, constants: [], bands: [{ rule: null }] });
  });

  it("warns beside the experiment about a group named 0 (contract §4), once", () => {
    const config = rulesConfig();
    const zero = exp(buildBucketMap(config, AT_MS), DE, "zero-group-test");
    expect(zero.warnings).toHaveLength(1);
    expect(zero.warnings[0]).toMatch(/^group "0": MediaWiki drops a group named 0/);
    expect(exp(buildBucketMap(config, AT_MS), DE, "mobile-first-layout").warnings).toEqual([]);
    // When config:check's summary already says it, the map does not repeat it.
    const summary = summariseConfig(config, AT_MS);
    const said = { ...summary, warnings: [`${DE}: "zero-group-test" has a group named "0"; MediaWiki drops it`] };
    const again = exp(buildBucketMap(config, AT_MS, said), DE, "zero-group-test");
    expect(again.warnings).toEqual(['"zero-group-test" has a group named "0"; MediaWiki drops it']);
  });

  it("places the summary's warnings: beside the experiment named, under the host, or on the page", () => {
    const parsed = parseConfig(sampleConfig());
    if (!parsed.ok) throw new Error("fixture");
    const summary = summariseConfig(parsed.config, AT_MS);
    const warnings = [`${EN}: 200 experiments live at once`, `${DE}: fifty-fifty-test looks odd`, "the document is large"];
    const m = buildBucketMap(parsed.config, AT_MS, { ...summary, warnings });
    expect(m.hosts.find((h) => h.host === EN)!.warnings).toEqual(["200 experiments live at once"]);
    expect(exp(m, DE, "fifty-fifty-test").warnings).toEqual(["fifty-fifty-test looks odd"]);
    expect(exp(m, EN, "fifty-fifty-test").warnings).toEqual([]);
    expect(m.warnings).toEqual(["the document is large"]);
  });
});

describe("diffBucketMaps", () => {
  const diffOne = (before: Record<string, unknown>, after: Record<string, unknown>) => {
    const d = diffBucketMaps(mapOf(before), mapOf(after));
    return { d, e: d.hosts[0]!.experiments[0]! };
  };

  it("a ramp that only widens enrols new buckets and reshuffles nobody", () => {
    const { d, e } = diffOne(one({ control: [0, 4999], treatment: [50000, 54999] }), one({ control: [0, 9999], treatment: [50000, 59999] }));
    expect(e.kind).toBe("changed");
    expect(e.reshuffled).toBe(0);
    expect(d.reshuffling).toEqual([]);
    const band = e.bands[0]!;
    expect(band.groups.map((g) => [g.group, g.kind, g.delta])).toEqual([
      ["control", "widened", 5000],
      ["treatment", "widened", 5000],
    ]);
    expect(band.enrolled).toBe(10000);
    expect(band.segments.map((s) => [s.kind, s.first, s.last])).toEqual([
      ["same", 0, 4999],
      ["enrolled", 5000, 9999],
      ["same", 10000, 49999],
      ["same", 50000, 54999],
      ["enrolled", 55000, 59999],
      ["same", 60000, 99999],
    ]);
  });

  it("a ramp that moves a group flags the buckets whose visitors change group", () => {
    const { d, e } = diffOne(one({ control: [0, 4999], treatment: [5000, 9999] }), one({ control: [0, 9999], treatment: [10000, 19999] }));
    expect(e.bands[0]!.groups.map((g) => [g.group, g.kind])).toEqual([
      ["control", "widened"],
      ["treatment", "moved"],
    ]);
    const moves = e.bands[0]!.segments.filter((s) => s.kind !== "same" && s.kind !== "enrolled");
    expect(moves).toEqual([{ first: 5000, last: 9999, buckets: 5000, percent: "5%", before: "treatment", after: "control", kind: "reshuffled" }]);
    expect(e.reshuffled).toBe(5000);
    expect(d.reshuffling).toEqual([`${EN}/ramp-experiment`]);
  });

  it("narrowing drops visitors: flagged like a reshuffle", () => {
    const { e } = diffOne(one({ control: [0, 9999] }), one({ control: [0, 4999] }));
    expect(e.bands[0]!.groups[0]).toMatchObject({ kind: "narrowed", delta: -5000 });
    expect(e.bands[0]!.segments.find((s) => s.kind === "dropped")).toMatchObject({ first: 5000, last: 9999, before: "control", after: null });
    expect(e.reshuffled).toBe(5000);
  });

  it("a new selector re-draws every bucket: everyone enrolled is reshuffled", () => {
    const { e } = diffOne(one({ control: [0, 4999] }), one({ control: [0, 4999] }, { shared_selector: "another-selector" }));
    expect(e.rebucketed).toBe(true);
    expect(e.kind).toBe("changed");
    expect(e.reshuffled).toBe(5000);
    expect(e.notes[0]).toMatch(/bucket space "ramp-experiment" -> "another-selector"/);
  });

  it("reports unchanged, added and removed experiments", () => {
    const both = one({ control: [0, 4999] });
    expect(diffOne(both, both).e).toMatchObject({ kind: "unchanged", reshuffled: 0 });
    const other = { "other-experiment": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", domains: { [EN]: { groups: { x: [0, 9] } } } } };
    const d = diffBucketMaps(mapOf(both), mapOf(other));
    expect(d.hosts[0]!.experiments.map((x) => [x.name, x.kind])).toEqual([
      ["other-experiment", "added"],
      ["ramp-experiment", "removed"],
    ]);
    expect(d.reshuffling).toEqual([]);
    expect(d.changed).toBe(2);
  });

  it("compares a new allocation with the default groups its visitors had", () => {
    const before = rulesConfig();
    const experiments = [
      {
        name: "mobile-first-layout",
        start: "2025-06-01T00:00:00Z",
        end: "2025-07-01T00:00:00Z",
        domains: { [DE]: { groups: { control: [0, 4999], treatment: [5000, 9999] }, allocations: [{ rule: 'platform == "mobile"', groups: { treatment: [0, 9999] } }] } },
      },
    ];
    const after = rulesConfig(experiments as never);
    const d = diffBucketMaps(buildBucketMap(before, AT_MS), buildBucketMap(after, AT_MS));
    const e = d.hosts[0]!.experiments.find((x) => x.name === "mobile-first-layout")!;
    expect(e.notes).toContain('eligibility "country in launch_countries && !loggedIn" -> (none): visitors may become (in)eligible');
    const mobile = e.bands.find((b) => b.rule === 'platform == "mobile"')!;
    expect(mobile.ruleChange).toBe("same");
    // Before: control [0, 49999] for mobile; after: treatment [0, 9999]. Mobile control visitors move.
    expect(mobile.segments.filter((s) => s.kind === "reshuffled").map((s) => [s.first, s.last, s.before, s.after])).toEqual([[0, 9999, "control", "treatment"]]);
    const lang = e.bands.find((b) => b.rule === 'language == "en"')!;
    expect(lang.ruleChange).toBe("removed");
    // Its visitors fall back to the default groups: treatment [0, 999] -> control [0, 999].
    expect(lang.segments.find((s) => s.kind === "reshuffled")).toMatchObject({ first: 0, last: 999, before: "treatment", after: "control" });
  });

  it("formats the changes for the terminal", () => {
    const { d } = diffOne(one({ control: [0, 4999], treatment: [5000, 9999] }), one({ control: [0, 9999], treatment: [10000, 19999] }));
    const text = formatDiff(d, "old.json");
    expect(text).toContain("changes against old.json: 1 experiment on a host changed");
    expect(text).toContain("ramp-experiment: changed  RESHUFFLES 5000 buckets (5%)");
    expect(text).toContain("control [0, 4999] -> [0, 9999] widened (+5000 buckets)");
    expect(text).toContain("! buckets [5000, 9999] (5%): treatment -> control");
    expect(text).toContain(`warning: reshuffles visitors already enrolled: ${EN}/ramp-experiment`);
  });
});
