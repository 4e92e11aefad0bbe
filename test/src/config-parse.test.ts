import { describe, expect, it } from "vitest";
import { formatPath, parseConfig, parseConfigText, type ConfigResult } from "../../src/config-parse.js";
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

  it("keeps no object of a document it is given: the caller may change the document afterwards", () => {
    const doc = base();
    doc["valid-experiment"].domains["de.wikipedia.org"] = { unique_domain: true, groups: { a: [0, 9] } };
    const r = parseConfig(doc);
    if (!r.ok) throw new Error("rejected");
    const before = JSON.stringify(r.config.experiments);
    const exp = doc["valid-experiment"];
    exp.domains["en.wikipedia.org"].groups.control[1] = 1;
    exp.domains["de.wikipedia.org"].unique_domain = false;
    exp.domains["fr.wikipedia.org"] = { groups: { a: [0, 9] } };
    exp.end = "2030-01-01T00:00:00Z";
    expect(JSON.stringify(r.config.experiments)).toBe(before);
  });

  it("a name in the given order that the document does not hold is skipped", () => {
    const r = parseConfig(base(), ["missing-experiment", "valid-experiment"]);
    expect(issuesOf(r)).toEqual([]);
    if (r.ok) expect(r.config.experiments.map((e) => e.name)).toEqual(["valid-experiment"]);
  });

  it("integer-like experiment names stay in document order when parsed from text", () => {
    const text = JSON.stringify({ "zz-experiment": base()["valid-experiment"] }).replace(/}$/, `, "12345678": ${JSON.stringify(base()["valid-experiment"])}}`);
    const r = parseConfigText(text);
    expect(issuesOf(r)).toEqual([]);
    if (r.ok) expect(r.config.hosts.get("en.wikipedia.org")!.experiments.map((e) => e.name)).toEqual(["zz-experiment", "12345678"]);
  });
});

describe("_comment at the five levels upstream allows it (contract §1)", () => {
  const commented = (): Doc => {
    const d = base();
    d._comment = "root";
    const exp = d["valid-experiment"];
    exp._comment = "experiment";
    exp.domains._comment = "domains";
    exp.domains["en.wikipedia.org"]._comment = "domain";
    exp.domains["en.wikipedia.org"].groups._comment = "groups";
    return d;
  };

  it("is accepted at the root, in an experiment, in domains, in a domain and in groups, and never taken for a host or group", () => {
    const r = parseConfig(commented());
    expect(issuesOf(r)).toEqual([]);
    if (!r.ok) return;
    expect([...r.config.hosts.keys()]).toEqual(["en.wikipedia.org"]);
    expect(r.config.hosts.get("en.wikipedia.org")!.experiments[0]!.groups).toEqual(["control", "treatment"]);
    expect(Object.keys(r.config.experiments[0]!.domains)).toEqual(["en.wikipedia.org"]);
    expect(Object.keys(r.config.experiments[0]!.domains["en.wikipedia.org"]!.groups)).toEqual(["control", "treatment"]);
  });

  it("may repeat within any of those objects, as in upstream's own test file; the last one counts, as in upstream's parser", () => {
    const exp = JSON.stringify(commented()["valid-experiment"])
      .replace('"_comment":"experiment"', '"_comment":"e1","_comment":"e2"')
      .replace('"_comment":"domains"', '"_comment":"d1","_comment":"d2"')
      .replace('"_comment":"domain"', '"_comment":"h1","_comment":"h2"')
      .replace('"_comment":"groups"', '"_comment":"g1","_comment":"g2"');
    const other = JSON.stringify({ ...base()["valid-experiment"], domains: { "de.wikipedia.org": { groups: { a: [0, 99999] } } } });
    const text = `{"_comment":"one","valid-experiment":${exp},"_comment":"two","other-experiment":${other},"_comment":"three"}`;
    const r = parseConfigText(text);
    expect(issuesOf(r)).toEqual([]);
    if (!r.ok) return;
    // Experiment order is document order; the comments between them change nothing.
    expect(r.config.experiments.map((e) => e.name)).toEqual(["valid-experiment", "other-experiment"]);
    expect(r.config.experiments[0]!._comment).toBe("e2");
  });

  it("a repeated comment changes no enrollment: the compiled plan equals the uncommented one", () => {
    const plain = parseConfig(base());
    const exp = JSON.stringify(commented()["valid-experiment"]);
    const text = `{"_comment":"a","valid-experiment":${exp},"_comment":"b","_comment":"c"}`;
    const noisy = parseConfigText(text);
    expect(plain.ok && noisy.ok).toBe(true);
    if (!plain.ok || !noisy.ok) return;
    const planOf = (c: typeof plain.config) => {
      const p = c.hosts.get("en.wikipedia.org")!;
      return { experiments: p.experiments, slots: Array.from(p.slots), fingerprints: p.fingerprints.map((f) => Array.from(f)) };
    };
    expect(planOf(noisy.config)).toEqual(planOf(plain.config));
  });

  it("must be a string at every level", () => {
    for (const [where, mutate, path] of [
      ["experiment", (d: Doc) => (d["valid-experiment"]._comment = 1), '$["valid-experiment"]._comment'],
      ["domains", (d: Doc) => (d["valid-experiment"].domains._comment = {}), '$["valid-experiment"].domains._comment'],
      ["domain", (d: Doc) => (d["valid-experiment"].domains["en.wikipedia.org"]._comment = null), '$["valid-experiment"].domains["en.wikipedia.org"]._comment'],
      ["groups", (d: Doc) => (d["valid-experiment"].domains["en.wikipedia.org"].groups._comment = [0, 1]), '$["valid-experiment"].domains["en.wikipedia.org"].groups._comment'],
    ] as const) {
      const d = base();
      mutate(d);
      expect(issuesOf(parseConfig(d)), where).toEqual([`${path}: must be a string`]);
    }
  });

  it("does not count as a domain or a group", () => {
    const d = base();
    d["valid-experiment"].domains = { _comment: "no hosts yet" };
    expect(issuesOf(parseConfig(d))).toEqual(['$["valid-experiment"].domains: needs at least one domain']);
    const g = base();
    g["valid-experiment"].domains["en.wikipedia.org"].groups = { _comment: "no groups yet" };
    expect(issuesOf(parseConfig(g))).toEqual(['$["valid-experiment"].domains["en.wikipedia.org"].groups: needs at least one group']);
  });

  it("any other repeated key stays an error, with its path", () => {
    const exp = JSON.stringify(base()["valid-experiment"]);
    const cases: [string, string][] = [
      [exp.replace('"start":', '"end":"2025-07-01T14:30:00Z","start":'), '$["valid-experiment"]: duplicate key "end"'],
      [exp.replace('"groups":', '"unique_domain":true,"unique_domain":false,"groups":'), '$["valid-experiment"].domains["en.wikipedia.org"]: duplicate key "unique_domain"'],
      [exp.replace('"domains":{', '"domains":{"en.wikipedia.org":{"groups":{"a":[0,1]}},'), '$["valid-experiment"].domains: duplicate key "en.wikipedia.org"'],
    ];
    for (const [text, expected] of cases) expect(issuesOf(parseConfigText(`{"_comment":"x","valid-experiment":${text},"_comment":"y"}`))).toEqual([expected]);
  });
});

describe("parseConfig rejects, with the path of each problem", () => {
  // Every issue, exactly: the path (each step of it) and the message.
  const groups = (g: unknown) => (d: Doc) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = g), d);
  const cases: [string, (d: Doc) => unknown, string[]][] = [
    ["an array document", () => [], ["$: config must be a JSON object keyed by experiment name"]],
    ["null", () => null, ["$: config must be a JSON object keyed by experiment name"]],
    // A string has keys of its own ("0", ...), a number none: neither is an empty config.
    ["a string document", () => "experiment", ["$: config must be a JSON object keyed by experiment name"]],
    ["a number document", () => 5, ["$: config must be a JSON object keyed by experiment name"]],
    ["a short experiment name", (d) => ({ short: d["valid-experiment"] }), ["$.short: experiment name must match ^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$"]],
    ["a bad character in a name", (d) => ({ "bad name!!": d["valid-experiment"] }), ['$["bad name!!"]: experiment name must match ^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$']],
    ["a name starting with a dash", (d) => ({ "-leading-dash": d["valid-experiment"] }), ['$["-leading-dash"]: experiment name must match ^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$']],
    ["a 64-character name", (d) => ({ ["a".repeat(64)]: d["valid-experiment"] }), ["$.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: experiment name must match ^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$"]],
    ["a non-string comment", () => ({ _comment: 5 }), ["$._comment: must be a string"]],
    ["an experiment that is not an object", () => ({ "valid-experiment": [] }), ['$["valid-experiment"]: experiment must be an object']],
    ["an unknown experiment key", (d) => ((d["valid-experiment"].sample_rate = 5), d), ['$["valid-experiment"].sample_rate: unknown key']],
    ["a missing start", (d) => (delete d["valid-experiment"].start, d), ['$["valid-experiment"].start: is required']],
    ["fractional seconds", (d) => ((d["valid-experiment"].start = "2025-06-01T14:30:00.000Z"), d), ['$["valid-experiment"].start: must be a UTC timestamp like 2025-06-01T14:30:00Z (no fractions, ending in Z)', '$["valid-experiment"].start: is not a real calendar date and time']],
    ["an offset instead of Z", (d) => ((d["valid-experiment"].start = "2025-06-01T14:30:00+00:00"), d), ['$["valid-experiment"].start: must be a UTC timestamp like 2025-06-01T14:30:00Z (no fractions, ending in Z)', '$["valid-experiment"].start: is not a real calendar date and time']],
    ["an impossible date", (d) => ((d["valid-experiment"].end = "2025-02-30T00:00:00Z"), d), ['$["valid-experiment"].end: is not a real calendar date and time']],
    ["end before start", (d) => ((d["valid-experiment"].end = "2025-05-01T00:00:00Z"), d), ['$["valid-experiment"].end: end must be after start']],
    ["end equal to start", (d) => ((d["valid-experiment"].end = d["valid-experiment"].start), d), ['$["valid-experiment"].end: end must be after start']],
    ["a non-boolean cache_split", (d) => ((d["valid-experiment"].cache_split = "yes"), d), ['$["valid-experiment"].cache_split: must be true or false']],
    ["a bad shared_selector", (d) => ((d["valid-experiment"].shared_selector = "short"), d), ['$["valid-experiment"].shared_selector: must match ^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$']],
    ["missing domains", (d) => (delete d["valid-experiment"].domains, d), ['$["valid-experiment"].domains: is required']],
    ["empty domains", (d) => ((d["valid-experiment"].domains = {}), d), ['$["valid-experiment"].domains: needs at least one domain']],
    ["an upper-case host", (d) => ((d["valid-experiment"].domains = { "EN.wikipedia.org": d["valid-experiment"].domains["en.wikipedia.org"] }), d), ['$["valid-experiment"].domains["EN.wikipedia.org"]: host must be lower-case and match ^[a-z0-9][-_.a-z0-9]{0,254}$']],
    ["a host with a port", (d) => ((d["valid-experiment"].domains = { "en.wikipedia.org:443": d["valid-experiment"].domains["en.wikipedia.org"] }), d), ['$["valid-experiment"].domains["en.wikipedia.org:443"]: host must be lower-case and match ^[a-z0-9][-_.a-z0-9]{0,254}$']],
    ["an unknown domain key", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].weight = 1), d), ['$["valid-experiment"].domains["en.wikipedia.org"].weight: unknown key']],
    ["a non-boolean unique_domain", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].unique_domain = 1), d), ['$["valid-experiment"].domains["en.wikipedia.org"].unique_domain: must be true or false']],
    ["empty groups", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = {}), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups: needs at least one group']],
    ["a bad group name", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { "a b": [0, 1] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups["a b"]: group name must match ^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$']],
    ["a range of three", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [0, 1, 2] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.a[2]: must be a [first, last] pair of bucket numbers']],
    ["a range that is not an array", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: "0-1" }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.a: must be a [first, last] pair of bucket numbers']],
    ["a fractional bucket", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [0, 1.5] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.a[1]: must be an integer']],
    ["a negative bucket", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [-1, 5] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.a[0]: must be >= 0']],
    ["bucket 100000", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [0, 100000] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.a[1]: must be <= 99999']],
    ["a string bucket", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: ["0", 5] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.a[0]: must be a number']],
    ["a reversed range", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [10, 5] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.a: range [10, 5] is reversed: first must be <= last']],
    ["overlapping ranges", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { a: [0, 10], b: [10, 20] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.b: range [10, 20] overlaps group "a" [0, 10]']],
    ["a range inside a wider one", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { wide: [0, 100], b: [10, 20], c: [30, 40] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.b: range [10, 20] overlaps group "wide" [0, 100]', '$["valid-experiment"].domains["en.wikipedia.org"].groups.c: range [30, 40] overlaps group "wide" [0, 100]']],
    ["group names differing only by case", (d) => ((d["valid-experiment"].domains["en.wikipedia.org"].groups = { Control: [0, 1], control: [2, 3] }), d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.control: group name differs from "Control" only by case']],
    ["experiment names differing only by case", (d) => ({ ...d, "VALID-experiment": d["valid-experiment"] }), ['$["VALID-experiment"]: experiment name differs from "valid-experiment" only by case']],
    ["a reversed range beside another: only the reversal is reported", groups({ a: [5, 2], b: [0, 7] }), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.a: range [5, 2] is reversed: first must be <= last']],
    ["overlaps name the range reaching furthest, the earlier one on a tie", groups({ a: [0, 10], b: [5, 10], c: [8, 12] }), [
      '$["valid-experiment"].domains["en.wikipedia.org"].groups.b: range [5, 10] overlaps group "a" [0, 10]',
      '$["valid-experiment"].domains["en.wikipedia.org"].groups.c: range [8, 12] overlaps group "a" [0, 10]',
    ]],
    // The later range written first: the check must not depend on the order ranges are written in.
    ["a range starting where an earlier-written one ends", groups({ high: [10, 20], low: [0, 10] }), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.high: range [10, 20] overlaps group "low" [0, 10]']],
    ["a one-bucket range inside another", groups({ one: [5, 5], wide: [0, 10] }), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.one: range [5, 5] overlaps group "wide" [0, 10]']],
    // Past eight groups the table is checked without the pairwise fast path.
    ["an overlap among nine groups", groups(Object.fromEntries([...Array.from({ length: 8 }, (_, i) => [`g${i}`, [i * 10, i * 10 + 9]]), ["late", [75, 80]]])), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.late: range [75, 80] overlaps group "g7" [70, 79]']],
    ["case twins among nine groups", groups(Object.fromEntries([...Array.from({ length: 8 }, (_, i) => [`g${i}`, [i * 10, i * 10 + 9]]), ["G0", [90, 99]]])), ['$["valid-experiment"].domains["en.wikipedia.org"].groups.G0: group name differs from "g0" only by case']],
    ["a domain that is not an object", (d) => ((d["valid-experiment"].domains = { "en.wikipedia.org": 5 }), d), ['$["valid-experiment"].domains["en.wikipedia.org"]: must be an object with groups']],
    // Only an object built in code can hold undefined: it is no missing key, it is no object.
    ["a domain that is undefined", (d) => ((d["valid-experiment"].domains = { "en.wikipedia.org": undefined }), d), ['$["valid-experiment"].domains["en.wikipedia.org"]: must be an object with groups']],
    ["groups that are an array", groups([]), ['$["valid-experiment"].domains["en.wikipedia.org"].groups: must be an object of group ranges']],
    ["groups that are a string", groups("x"), ['$["valid-experiment"].domains["en.wikipedia.org"].groups: must be an object of group ranges']],
    ["domains that are an array", (d) => ((d["valid-experiment"].domains = []), d), ['$["valid-experiment"].domains: must be an object keyed by host']],
    ["missing groups", (d) => (delete d["valid-experiment"].domains["en.wikipedia.org"].groups, d), ['$["valid-experiment"].domains["en.wikipedia.org"].groups: is required']],
    ["an experiment that is null", () => ({ "valid-experiment": null }), ['$["valid-experiment"]: experiment must be an object']],
    ["an experiment that is a string", () => ({ "valid-experiment": "x" }), ['$["valid-experiment"]: experiment must be an object']],
    ...["x2025-06-01T14:30:00Z", "2025-06-01T14:30:00Zx"].map((start): [string, (d: Doc) => unknown, string[]] => [
      `a timestamp with something around it (${start})`,
      (d) => ((d["valid-experiment"].start = start), d),
      [
        '$["valid-experiment"].start: must be a UTC timestamp like 2025-06-01T14:30:00Z (no fractions, ending in Z)',
        '$["valid-experiment"].start: is not a real calendar date and time',
      ],
    ]),
  ];

  it.each(cases)("%s", (_, mutate, expected) => {
    expect(issuesOf(parseConfig(mutate(base())))).toEqual(expected);
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

describe("formatPath", () => {
  it("writes identifiers as .key, indices as [3], and any other key as a JSON string", () => {
    expect(formatPath([])).toBe("$");
    expect(formatPath(["a", "b_c", "_x9", 3, 0])).toBe("$.a.b_c._x9[3][0]");
    expect(formatPath(["odd.key", "1a", "a-b", "", 'q"', "en.wikipedia.org"])).toBe('$["odd.key"]["1a"]["a-b"][""]["q\\""]["en.wikipedia.org"]');
    // Digits as a string key are no index either.
    expect(formatPath(["3"])).toBe('$["3"]');
  });
});
