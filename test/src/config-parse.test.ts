import { describe, expect, it } from "vitest";
import { parseConfig, parseConfigText, type ConfigResult } from "../../src/config-parse.js";
import { sampleConfig } from "../fixtures/config.js";

type Doc = Record<string, any>;
const base = (): Doc => ({
  "valid-experiment": {
    start: "2025-06-01T14:30:00Z",
    end: "2025-07-01T14:30:00Z",
    domains: { "en.wikipedia.org": { groups: { control: [0, 4999], treatment: [5000, 9999] } } },
  },
});

function issuesOf(result: ConfigResult): string[] {
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("parseConfig accepts", () => {
  it("the realistic multi-experiment, multi-host fixture, in document order", () => {
    const r = parseConfig(sampleConfig());
    expect(issuesOf(r)).toEqual([]);
    if (!r.ok) return;
    expect(r.config.experiments.map((e) => e.name)).toEqual(Object.keys(sampleConfig()).filter((k) => k !== "_comment"));
    const en = r.config.hosts.get("en.wikipedia.org")!;
    expect(en.experiments.map((e) => e.name)).toContain("client-side-only");
    expect(r.config.hosts.get("de.wikipedia.org")!.experiments.map((e) => e.name)).toEqual(["fifty-fifty-test", "per-domain-test"]);
    // Shared selectors share one derivation slot; everything else has its own.
    const slot = (name: string) => en.slots[en.experiments.findIndex((e) => e.name === name)];
    expect(slot("shared-a-experiment")).toBe(slot("shared-b-experiment"));
    expect(slot("fifty-fifty-test")).not.toBe(slot("ten-percent-sample"));
    expect(en.experiments.find((e) => e.name === "client-side-only")!.cacheSplit).toBe(false);
    expect(en.experiments.find((e) => e.name === "fifty-fifty-test")!.cacheSplit).toBe(true);
  });

  it("optional fields, a comment-only document, and ranges in any order", () => {
    const doc = base();
    doc["valid-experiment"].domains["en.wikipedia.org"].groups = { b: [50000, 99999], a: [0, 0] };
    doc["valid-experiment"].cache_split = false;
    doc["valid-experiment"]._comment = "note";
    doc["valid-experiment"].domains["en.wikipedia.org"].unique_domain = false;
    const r = parseConfig(doc);
    expect(issuesOf(r)).toEqual([]);
    if (r.ok) expect(r.config.hosts.get("en.wikipedia.org")!.experiments[0]!.groups).toEqual(["a", "b"]);
    expect(issuesOf(parseConfig({ _comment: "nothing yet" }))).toEqual([]);
    expect(issuesOf(parseConfig({}))).toEqual([]);
  });

  it("integer-like experiment names stay in document order when parsed from text", () => {
    const text = JSON.stringify({ "zz-experiment": base()["valid-experiment"] }).replace(/}$/, `, "12345678": ${JSON.stringify(base()["valid-experiment"])}}`);
    const r = parseConfigText(text);
    expect(issuesOf(r)).toEqual([]);
    if (r.ok) expect(r.config.hosts.get("en.wikipedia.org")!.experiments.map((e) => e.name)).toEqual(["zz-experiment", "12345678"]);
  });
});

describe("parseConfig rejects, with the path of each problem", () => {
  const cases: [string, (d: Doc) => unknown, string][] = [
    ["an array document", () => [], "$: config must be a JSON object"],
    ["null", () => null, "$: config must be a JSON object"],
    ["a short experiment name", (d) => ({ short: d["valid-experiment"] }), "$.short: experiment name must match"],
    ["a bad character in a name", (d) => ({ "bad name!!": d["valid-experiment"] }), '$["bad name!!"]: experiment name must match'],
    ["a name starting with a dash", (d) => ({ "-leading-dash": d["valid-experiment"] }), "experiment name must match"],
    ["a 64-character name", (d) => ({ ["a".repeat(64)]: d["valid-experiment"] }), "experiment name must match"],
    ["a non-string comment", () => ({ _comment: 5 }), "$._comment: must be a string"],
    ["an experiment that is not an object", () => ({ "valid-experiment": [] }), '$["valid-experiment"]: experiment must be an object'],
    ["an unknown experiment key", (d) => ((d["valid-experiment"].sample_rate = 5), d), '$["valid-experiment"].sample_rate: unknown key'],
    ["a missing start", (d) => (delete d["valid-experiment"].start, d), '$["valid-experiment"].start: is required'],
    ["fractional seconds", (d) => ((d["valid-experiment"].start = "2025-06-01T14:30:00.000Z"), d), ".start: must be a UTC timestamp"],
    ["an offset instead of Z", (d) => ((d["valid-experiment"].start = "2025-06-01T14:30:00+00:00"), d), ".start: must be a UTC timestamp"],
    ["an impossible date", (d) => ((d["valid-experiment"].end = "2025-02-30T00:00:00Z"), d), ".end: is not a real calendar date"],
    ["end before start", (d) => ((d["valid-experiment"].end = "2025-05-01T00:00:00Z"), d), ".end: end must be after start"],
    ["end equal to start", (d) => ((d["valid-experiment"].end = d["valid-experiment"].start), d), ".end: end must be after start"],
    ["a non-boolean cache_split", (d) => ((d["valid-experiment"].cache_split = "yes"), d), ".cache_split: must be true or false"],
    ["a bad shared_selector", (d) => ((d["valid-experiment"].shared_selector = "short"), d), ".shared_selector: must match"],
    ["missing domains", (d) => (delete d["valid-experiment"].domains, d), ".domains: is required"],
    ["empty domains", (d) => ((d["valid-experiment"].domains = {}), d), ".domains: needs at least one domain"],
    ["an upper-case host", (d) => ((d["valid-experiment"].domains = { "EN.wikipedia.org": d["valid-experiment"].domains["en.wikipedia.org"] }), d), "host must be lower-case"],
    ["a host with a port", (d) => ((d["valid-experiment"].domains = { "en.wikipedia.org:443": d["valid-experiment"].domains["en.wikipedia.org"] }), d), "host must be lower-case"],
    ["an unknown domain key", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].weight = 1), d), '.domains["en.wikipedia.org"].weight: unknown key'],
    ["a non-boolean unique_domain", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].unique_domain = 1), d), ".unique_domain: must be true or false"],
    ["empty groups", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = {}), d), ".groups: needs at least one group"],
    ["a bad group name", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { "a b": [0, 1] }), d), "group name must match"],
    ["a range of three", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [0, 1, 2] }), d), ".groups.a[2]: must be a [first, last] pair"],
    ["a range that is not an array", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: "0-1" }), d), ".groups.a: must be a [first, last] pair"],
    ["a fractional bucket", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [0, 1.5] }), d), ".groups.a[1]: must be an integer"],
    ["a negative bucket", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [-1, 5] }), d), ".groups.a[0]: must be >= 0"],
    ["bucket 100000", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [0, 100000] }), d), ".groups.a[1]: must be <= 99999"],
    ["a string bucket", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: ["0", 5] }), d), ".groups.a[0]: must be a number"],
    ["a reversed range", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [10, 5] }), d), ".groups.a: range [10, 5] is reversed"],
    ["overlapping ranges", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [0, 10], b: [10, 20] }), d), '.groups.b: range [10, 20] overlaps group "a"'],
    ["a range inside a wider one", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { wide: [0, 100], b: [10, 20], c: [30, 40] }), d), '.groups.c: range [30, 40] overlaps group "wide"'],
    ["group names differing only by case", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { Control: [0, 1], control: [2, 3] }), d), 'group name differs from "Control" only by case'],
    ["experiment names differing only by case", (d) => ({ ...d, "VALID-experiment": d["valid-experiment"] }), 'differs from "valid-experiment" only by case'],
  ];

  it.each(cases)("%s", (_, mutate, expected) => {
    const issues = issuesOf(parseConfig(mutate(base())));
    expect(issues.join("\n")).toContain(expected);
  });

  it("reports every problem at once, not just the first", () => {
    const d = base();
    d["valid-experiment"].start = "yesterday";
    d["valid-experiment"].domains["en.wikipedia.org"].groups.treatment = [100, 200000];
    d["other-experiment"] = { ...base()["valid-experiment"], bogus: true };
    const issues = issuesOf(parseConfig(d));
    expect(issues.length).toBeGreaterThanOrEqual(3);
    expect(issues.join("\n")).toMatch(/start/);
    expect(issues.join("\n")).toMatch(/treatment\[1\]/);
    expect(issues.join("\n")).toMatch(/bogus: unknown key/);
  });

  it("invalid JSON text and duplicate keys", () => {
    expect(issuesOf(parseConfigText("{not json"))[0]).toMatch(/^\$: invalid JSON/);
    const dup = `{"valid-experiment": ${JSON.stringify(base()["valid-experiment"])}, "valid-experiment": ${JSON.stringify(base()["valid-experiment"])}}`;
    expect(issuesOf(parseConfigText(dup))).toEqual(['$: duplicate key "valid-experiment"']);
    const dupGroup = JSON.stringify(base()).replace('"treatment":[5000,9999]', '"treatment":[5000,9999],"control":[10000,10001]');
    expect(issuesOf(parseConfigText(dupGroup))).toContain('$["valid-experiment"].domains["en.wikipedia.org"].groups: duplicate key "control"');
  });
});
