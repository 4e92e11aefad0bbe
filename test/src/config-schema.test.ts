import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { ExperimentSchema, quickExperiment, ReferenceExperimentSchema } from "../../src/config-schema.js";
import { validConfigArb } from "../helpers/config-arbitrary.js";
import { propertyRuns } from "../helpers/property-runs.js";

/**
 * quickExperiment is a fast path beside ExperimentSchema, never a second definition of
 * "valid": on every input it either declines (undefined) or returns exactly the schema's
 * output, key order included; it never accepts what the schema refuses.
 */

const SEED = 14;

// One generated experiment (the first of a valid document).
const experimentArb = validConfigArb.map((c) => c.doc[c.names[0]!] as Record<string, unknown>);

// Valid experiments, then broken copies: a value replaced or removed anywhere, a key added.
const leafArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom("_comment", "unique_domain") },
  { weight: 3, arbitrary: fc.constantFrom(undefined, null, true, false, 0, -1, 1.5, 99999, 100000, "", "x", "_comment", [], {}, [1], [1, 2, 3], ["0", 1]) },
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 100_005 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
);

function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [at];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...at, k]))];
}

function broken(exp: Record<string, unknown>, pick: number, leaf: unknown, mode: number, key: string): unknown {
  const copy = structuredClone(exp) as Record<string, unknown>;
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[pick % all.length]!;
  let parent: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (mode === 0) parent[last] = leaf;
  else if (mode === 1 && !Array.isArray(parent)) delete parent[last];
  else if (!Array.isArray(parent)) parent[key] = leaf;
  else parent[last] = leaf;
  return copy;
}

function agrees(input: unknown): void {
  const schema = v.safeParse(ReferenceExperimentSchema, input);
  // The schema with its own fast path for domains agrees with the reference too.
  const fast = v.safeParse(ExperimentSchema, input);
  expect(fast.success).toBe(schema.success);
  if (fast.success) expect(JSON.stringify(fast.output)).toBe(JSON.stringify(schema.output));
  else expect(fast.issues.map((i) => [i.message, i.path?.map((p) => p.key)])).toStrictEqual(schema.issues!.map((i) => [i.message, i.path?.map((p) => p.key)]));
  for (const reuse of [false, true]) {
    const quick = quickExperiment(structuredClone(input), reuse);
    if (quick === undefined) continue;
    expect(schema.success, JSON.stringify(input)).toBe(true);
    // Same values and the same key order at every level.
    expect(JSON.stringify(quick)).toBe(JSON.stringify(schema.output));
    expect(quick).toStrictEqual(schema.output);
  }
}

describe("quickExperiment (the fast path beside ExperimentSchema)", () => {
  it("returns the schema's output for valid experiments, and takes the usual ones", () => {
    let taken = 0;
    fc.assert(
      fc.property(experimentArb, (exp) => {
        agrees(exp);
        if (quickExperiment(exp, true) !== undefined) taken++;
      }),
      { seed: SEED, numRuns: 400 },
    );
    // Most generated experiments are the usual shape: the fast path is really exercised.
    expect(taken).toBeGreaterThan(propertyRuns(400) / 2);
  });

  it("returns the schema's output when _comment sits anywhere upstream allows it, in any key order", () => {
    fc.assert(
      fc.property(experimentArb, fc.array(fc.nat({ max: 3 }), { minLength: 3, maxLength: 3 }), fc.boolean(), (exp, where, groupsComment) => {
        const domains = exp["domains"] as Record<string, Record<string, unknown>>;
        const out: Record<string, unknown> = {};
        Object.entries(domains).forEach(([host, domain], i) => {
          // The domain's keys rotated, a _comment put at a chosen position, groups commented too.
          const entries = Object.entries(domain);
          const at = where[i % 3]!;
          const rotated = [...entries.slice(at % entries.length), ...entries.slice(0, at % entries.length)];
          rotated.splice(at % (rotated.length + 1), 0, ["_comment", `domain ${i}`]);
          const d = Object.fromEntries(rotated);
          if (groupsComment) d["groups"] = { _comment: "groups", ...(d["groups"] as object) };
          out[host] = d;
        });
        if (where[0] === 0) out["_comment"] = "hosts";
        agrees({ ...exp, domains: out });
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("never accepts an experiment the schema refuses, whatever is broken", () => {
    fc.assert(
      fc.property(experimentArb, fc.nat(), leafArb, fc.integer({ min: 0, max: 2 }), fc.constantFrom("_comment", "groups", "allocations", "x", "unique_domain", "en.wikipedia.org"), (exp, pick, leaf, mode, key) => {
        agrees(broken(exp, pick, leaf, mode, key));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("with reuse, shares the input's objects where they already are the output, and copies where not", () => {
    const domains = {
      "en.wikipedia.org": { groups: { a: [0, 9], b: [10, 19] } },
      "de.wikipedia.org": { groups: { _comment: "dropped", a: [0, 9] } },
    };
    const input = { start: "2025-01-01T00:00:00Z", end: "2026-01-01T00:00:00Z", domains };
    const out = quickExperiment(input, true)!;
    expect(out.domains["en.wikipedia.org"]).toBe(domains["en.wikipedia.org"]);
    expect(out.domains["de.wikipedia.org"]!.groups).toStrictEqual({ a: [0, 9] });
    expect(quickExperiment(input, false)!.domains["en.wikipedia.org"]).not.toBe(domains["en.wikipedia.org"]);
  });
});

describe("quickExperiment, shape by shape", () => {
  const T0 = "2025-01-01T00:00:00Z";
  const T1 = "2026-01-01T00:00:00Z";
  const groups = () => ({ a: [0, 9], b: [10, 19] });
  const domain = (d: Record<string, unknown> = { groups: groups() }) => ({ start: T0, end: T1, domains: { "en.wikipedia.org": d } });
  const experiment = (extra: Record<string, unknown>) => ({ start: T0, end: T1, domains: { "en.wikipedia.org": { groups: groups() } }, ...extra });
  const withGroups = (g: unknown) => domain({ groups: g });

  // Each case names one condition of the fast path: it takes the usual shapes (agreeing with
  // the schema) and declines everything else, valid or not, so the schema decides and words it.
  const cases: [string, unknown, boolean][] = [
    ["the usual experiment", experiment({}), true],
    ["every optional key", experiment({ cache_split: false, shared_selector: "shared-selector", _comment: "note" }), true],
    ["keys in another order", { domains: domain().domains, _comment: "c", shared_selector: "shared-selector", cache_split: true, end: T1, start: T0 }, true],
    ["a domain with unique_domain and _comment, in any order", domain({ groups: groups(), _comment: "d", unique_domain: true }), true],
    ["a _comment in domains, before the hosts", { ...domain(), domains: { _comment: "hosts", "a.example": { groups: groups() }, "b.example": { groups: groups() } } }, true],
    ["a _comment in domains, between the hosts", { ...domain(), domains: { "a.example": { groups: groups() }, _comment: "hosts", "b.example": { groups: groups() } } }, true],
    ["a _comment in groups", withGroups({ a: [0, 9], _comment: "g", b: [10, 19] }), true],
    ["the first and last buckets", withGroups({ a: [0, 0], b: [99999, 99999] }), true],
    ["null", null, false],
    ["an array", [], false],
    ["a string", "x", false],
    ["an eligibility rule (targeting: the schema's)", experiment({ eligibility: "true" }), false],
    ["a key that is there but undefined", experiment({ cache_split: undefined }), false],
    ["an unknown key", experiment({ weight: 1 }), false],
    ["a start that is no string", experiment({ start: 5 }), false],
    ["a start without the T", experiment({ start: "2025-01-01 00:00:00Z" }), false],
    ["a start that is no real date", experiment({ start: "2025-02-30T00:00:00Z" }), false],
    // A real instant that Date reads, but not in the contract's four-digit form.
    ["a start with a six-digit year", experiment({ start: "+010000-01-01T00:00:00Z" }), false],
    ["an end with a six-digit year", experiment({ end: "+010000-01-01T00:00:00Z" }), false],
    ["an end that is no string", experiment({ end: 5 }), false],
    ["an end with fractions", experiment({ end: "2026-01-01T00:00:00.000Z" }), false],
    ["an end that is no real date", experiment({ end: "2025-02-30T00:00:00Z" }), false],
    ["a cache_split that is no boolean", experiment({ cache_split: "yes" }), false],
    ["a shared_selector that is no string", experiment({ shared_selector: 5 }), false],
    ["a shared_selector too short", experiment({ shared_selector: "short" }), false],
    // As a string it would be a valid name.
    ["a shared_selector that is a number", experiment({ shared_selector: 12345678 }), false],
    ["a _comment that is no string", experiment({ _comment: 5 }), false],
    ["no domains", { start: T0, end: T1 }, false],
    ["domains that are an array", experiment({ domains: [] }), false],
    // Its indices would pass for host names.
    ["domains that are an array of domains", experiment({ domains: [{ groups: groups() }] }), false],
    ["domains that are null", experiment({ domains: null }), false],
    ["empty domains", experiment({ domains: {} }), false],
    ["domains with only a _comment", experiment({ domains: { _comment: "none yet" } }), false],
    ["a _comment in domains that is no string", experiment({ domains: { _comment: 5, "en.wikipedia.org": { groups: groups() } } }), false],
    ["an upper-case host", experiment({ domains: { "EN.wikipedia.org": { groups: groups() } } }), false],
    ["a domain that is no object", experiment({ domains: { "en.wikipedia.org": 5 } }), false],
    ["a domain that is null", experiment({ domains: { "en.wikipedia.org": null } }), false],
    ["a domain without groups", domain({ unique_domain: true }), false],
    ["a domain with allocations (targeting: the schema's)", domain({ groups: groups(), allocations: [] }), false],
    ["a unique_domain that is no boolean", domain({ groups: groups(), unique_domain: 1 }), false],
    ["a domain _comment that is no string", domain({ groups: groups(), _comment: 1 }), false],
    ["an unknown domain key", domain({ groups: groups(), weight: 1 }), false],
    // With a value of the kind unique_domain or _comment takes.
    ["an unknown domain key with a boolean", domain({ groups: groups(), weight: true }), false],
    ["an unknown domain key with a string", domain({ groups: groups(), note: "x" }), false],
    ["groups that are an array", withGroups([]), false],
    ["groups that are null", withGroups(null), false],
    ["groups that are undefined", withGroups(undefined), false],
    // Its indices would pass for group names.
    ["groups that are an array of ranges", withGroups([[0, 9]]), false],
    ["empty groups", withGroups({}), false],
    ["groups with only a _comment", withGroups({ _comment: "none yet" }), false],
    ["a groups _comment that is no string", withGroups({ _comment: 1, a: [0, 9] }), false],
    ["a range that is no array", withGroups({ a: "0-9" }), false],
    ["a range of one", withGroups({ a: [0] }), false],
    ["a range of three", withGroups({ a: [0, 1, 2] }), false],
    ["a range that is an object with a length", withGroups({ a: { 0: 0, 1: 9, length: 2 } }), false],
    ["a bad group name", withGroups({ "a b": [0, 9] }), false],
    ["a negative first bucket", withGroups({ a: [-1, 9] }), false],
    ["a first bucket past the last", withGroups({ a: [100000, 100000] }), false],
    ["a fractional first bucket", withGroups({ a: [0.5, 9] }), false],
    ["a string first bucket", withGroups({ a: ["0", 9] }), false],
    ["a negative last bucket", withGroups({ a: [0, -1] }), false],
    ["a last bucket past the last", withGroups({ a: [0, 100000] }), false],
    ["a fractional last bucket", withGroups({ a: [0, 9.5] }), false],
    ["a string last bucket", withGroups({ a: [0, "9"] }), false],
  ];

  it("the schema's own word for an experiment that is no object (parseConfig says it before)", () => {
    expect(v.safeParse(ExperimentSchema, null).issues!.map((i) => i.message)).toEqual(["experiment must be an object"]);
  });

  it.each(cases)("%s", (_, input, taken) => {
    agrees(input);
    for (const reuse of [false, true]) expect(quickExperiment(structuredClone(input), reuse) !== undefined).toBe(taken);
  });

  // With reuse, an object already in the schema's form (its keys in the schema's order, no
  // _comment to drop) is shared; any other is a copy in that form. Without reuse, nothing is shared.
  const sharing: [string, Record<string, unknown>, boolean, boolean][] = [
    ["groups alone", { groups: { a: [0, 9] } }, true, true],
    ["unique_domain, then groups", { unique_domain: true, groups: { a: [0, 9] } }, true, true],
    ["unique_domain, _comment, then groups", { unique_domain: true, _comment: "d", groups: { a: [0, 9] } }, true, true],
    ["_comment, then groups", { _comment: "d", groups: { a: [0, 9] } }, true, true],
    ["groups, then unique_domain", { groups: { a: [0, 9] }, unique_domain: true }, false, true],
    ["groups, then _comment", { groups: { a: [0, 9] }, _comment: "d" }, false, true],
    ["_comment, then unique_domain", { _comment: "d", unique_domain: false, groups: { a: [0, 9] } }, false, true],
    ["a _comment in groups", { groups: { _comment: "g", a: [0, 9] } }, false, false],
  ];

  it.each(sharing)("with reuse, %s", (_, d, sharesDomain, sharesGroups) => {
    const input = { start: T0, end: T1, domains: { "en.wikipedia.org": d } };
    const expected = v.parse(ReferenceExperimentSchema, structuredClone(input));
    const out = quickExperiment(input, true)!;
    expect(JSON.stringify(out)).toBe(JSON.stringify(expected));
    expect(out.domains["en.wikipedia.org"] === d).toBe(sharesDomain);
    expect(out.domains["en.wikipedia.org"]!.groups === d["groups"]).toBe(sharesGroups);
    // The domains object itself is shared when no host had to be copied.
    expect((out.domains as unknown) === input.domains).toBe(sharesDomain);
    const copied = quickExperiment(input, false)!;
    expect((copied.domains as unknown) === input.domains || copied.domains["en.wikipedia.org"] === d || copied.domains["en.wikipedia.org"]!.groups === d["groups"]).toBe(false);
  });

  it("with reuse, a domains _comment makes a copy that still shares each host already in form", () => {
    const a = { groups: { a: [0, 9] } };
    const b = { groups: { b: [0, 9] }, unique_domain: true };
    const c = { groups: { c: [0, 9] } };
    const domains = { "a.example": a, _comment: "hosts", "b.example": b, "c.example": c };
    const out = quickExperiment({ start: T0, end: T1, domains }, true)!;
    expect(Object.keys(out.domains)).toEqual(["a.example", "b.example", "c.example"]);
    expect(out.domains === (domains as unknown)).toBe(false);
    expect(out.domains["a.example"]).toBe(a);
    expect(out.domains["b.example"]).toStrictEqual({ unique_domain: true, groups: { b: [0, 9] } });
    expect(out.domains["c.example"]).toBe(c);
  });
});

describe("ExperimentSchema, issue by issue", () => {
  const T0 = "2025-01-01T00:00:00Z";
  const T1 = "2026-01-01T00:00:00Z";
  const H = "en.wikipedia.org";
  const G = ["domains", H, "groups"];
  // Keys in the schema's order (its output's), domains last.
  const exp = (extra: Record<string, unknown> = {}) => ({ start: T0, end: T1, ...extra, domains: extra["domains"] ?? { [H]: { groups: { a: [0, 9], b: [10, 19] } } } });
  const dom = (d: Record<string, unknown>) => exp({ domains: { [H]: { groups: { a: [0, 9] }, ...d } } });
  const grp = (g: unknown) => exp({ domains: { [H]: { groups: g } } });
  const alloc = (a: unknown) => dom({ allocations: [a] });
  const many = <T>(n: number, item: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => item(i));
  const TS = "must be a UTC timestamp like 2025-06-01T14:30:00Z (no fractions, ending in Z)";
  const REAL = "is not a real calendar date and time";
  const CONSTANT = "must be a string, a finite number, true or false, or a list of one of those";

  // Each issue as the message, the path's keys, and whether it is about the key itself (a
  // name that does not match, a key that is missing or unknown).
  const issuesOf = (input: unknown) =>
    v.safeParse(ExperimentSchema, input).issues?.map((i) => {
      const path = (i.path ?? []).map((p) => p.key as string | number);
      return (i.path ?? []).at(-1)?.origin === "key" ? [i.message, path, "key"] : [i.message, path];
    }) ?? [];

  it.each([
    ["an experiment that is no object", 5, [["experiment must be an object", []]]],
    ["a missing start", { end: T1, domains: exp().domains }, [["is required", ["start"], "key"]]],
    ["an unknown experiment key", exp({ weight: 1 }), [["unknown key", ["weight"], "key"]]],
    ["a start with a space for the T", exp({ start: "2025-06-01 14:30:00Z" }), [[TS, ["start"]], [REAL, ["start"]]]],
    ["a start with text after the Z", exp({ start: "2025-06-01T14:30:00Zx" }), [[TS, ["start"]], [REAL, ["start"]]]],
    ["a start with text before it", exp({ start: "x2025-06-01T14:30:00Z" }), [[TS, ["start"]], [REAL, ["start"]]]],
    ["an end on 30 February", exp({ end: "2025-02-30T00:00:00Z" }), [[REAL, ["end"]]]],
    ["a cache_split that is no boolean", exp({ cache_split: "yes" }), [["must be true or false", ["cache_split"]]]],
    ["a shared_selector too short", exp({ shared_selector: "short" }), [["must match ^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$", ["shared_selector"]]]],
    ["an experiment _comment that is no string", exp({ _comment: 5 }), [["must be a string", ["_comment"]]]],
    ["an eligibility that is no string", exp({ eligibility: true }), [["must be a rule (a string)", ["eligibility"]]]],
    ["domains that are an array", exp({ domains: [] }), [["must be an object keyed by host", ["domains"]]]],
    ["empty domains", exp({ domains: {} }), [["needs at least one domain", ["domains"]]]],
    ["domains with only a _comment", exp({ domains: { _comment: "none yet" } }), [["needs at least one domain", ["domains"]]]],
    ["a domains _comment that is no string", exp({ domains: { _comment: 5, [H]: { groups: { a: [0, 9] } } } }), [["must be a string", ["domains", "_comment"]]]],
    ["an upper-case host", exp({ domains: { "EN.wikipedia.org": { groups: { a: [0, 9] } } } }), [["host must be lower-case and match ^[a-z0-9][-_.a-z0-9]{0,254}$", ["domains", "EN.wikipedia.org"], "key"]]],
    ["a domain that is no object", exp({ domains: { [H]: 5 } }), [["must be an object with groups", ["domains", H]]]],
    // Not missing: there, and undefined (parseConfig takes any value, not only JSON's).
    ["a domain that is undefined", exp({ domains: { [H]: undefined } }), [["must be an object with groups", ["domains", H]]]],
    ["a list constant with an infinite number in it", exp({ constants: { a: [1, JSON.parse("1e999")] } }), [["must be a finite number", ["constants", "a", 1]]]],
    ["a domain without groups", exp({ domains: { [H]: {} } }), [["is required", ["domains", H, "groups"], "key"]]],
    ["an unknown domain key", dom({ weight: 1 }), [["unknown key", ["domains", H, "weight"], "key"]]],
    ["a unique_domain that is no boolean", dom({ unique_domain: 1 }), [["must be true or false", ["domains", H, "unique_domain"]]]],
    ["a domain _comment that is no string", dom({ _comment: 1 }), [["must be a string", ["domains", H, "_comment"]]]],
    ["groups that are an array", grp([]), [["must be an object of group ranges", G]]],
    ["empty groups", grp({}), [["needs at least one group", G]]],
    ["groups with only a _comment", grp({ _comment: "none yet" }), [["needs at least one group", G]]],
    ["a groups _comment that is no string", grp({ _comment: 1, a: [0, 9] }), [["must be a string", [...G, "_comment"]]]],
    ["a bad group name", grp({ "a b": [0, 9] }), [["group name must match ^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$", [...G, "a b"], "key"]]],
    ["two bad groups", grp({ "a b": [0, 9], c: [1.5, 2] }), [["group name must match ^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$", [...G, "a b"], "key"], ["must be an integer", [...G, "c", 0]]]],
    ["a range that is no array", grp({ a: "0-9" }), [["must be a [first, last] pair of bucket numbers", [...G, "a"]]]],
    ["a range of three", grp({ a: [0, 1, 2] }), [["must be a [first, last] pair of bucket numbers", [...G, "a", 2]]]],
    ["a string bucket", grp({ a: ["0", 9] }), [["must be a number", [...G, "a", 0]]]],
    ["a fractional bucket", grp({ a: [0, 9.5] }), [["must be an integer", [...G, "a", 1]]]],
    ["a negative bucket", grp({ a: [-1, 9] }), [["must be >= 0", [...G, "a", 0]]]],
    ["bucket 100,000", grp({ a: [0, 100_000] }), [["must be <= 99999", [...G, "a", 1]]]],
    ["bucket 100,001", grp({ a: [0, 100_001] }), [["must be <= 99999", [...G, "a", 1]]]],
    ["allocations that are no list", dom({ allocations: "x" }), [["must be a list of allocations", ["domains", H, "allocations"]]]],
    ["17 allocations", dom({ allocations: many(17, () => ({ rule: "true", groups: { a: [0, 9] } })) }), [["has more than 16 allocations", ["domains", H, "allocations"]]]],
    ["an allocation that is no object", alloc(5), [["must be an object with a rule and groups", ["domains", H, "allocations", 0]]]],
    ["an allocation without a rule", alloc({ groups: { a: [0, 9] } }), [["is required", ["domains", H, "allocations", 0, "rule"], "key"]]],
    ["an allocation rule that is no string", alloc({ rule: 1, groups: { a: [0, 9] } }), [["must be a rule (a string)", ["domains", H, "allocations", 0, "rule"]]]],
    ["an unknown allocation key", alloc({ rule: "true", groups: { a: [0, 9] }, weight: 1 }), [["unknown key", ["domains", H, "allocations", 0, "weight"], "key"]]],
    ["an allocation's bad bucket", alloc({ rule: "true", groups: { a: [0, -1] } }), [["must be >= 0", ["domains", H, "allocations", 0, "groups", "a", 1]]]],
    ["constants that are a list", exp({ constants: [] }), [["must be an object of named constants", ["constants"]]]],
    ["empty constants", exp({ constants: {} }), [["needs at least one constant", ["constants"]]]],
    ["a bad constant name", exp({ constants: { "1a": 1 } }), [["constant name must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$", ["constants", "1a"], "key"]]],
    ["a constant that is an object", exp({ constants: { a: {} } }), [[CONSTANT, ["constants", "a"]]]],
    ["a constant that is null", exp({ constants: { a: null } }), [[CONSTANT, ["constants", "a"]]]],
    ["a constant that is infinite (JSON's 1e999)", exp({ constants: { a: JSON.parse("1e999") } }), [["must be a finite number", ["constants", "a"]]]],
    // The union words it for the constant: no one of its kinds took the list.
    ["a list constant with an object in it", exp({ constants: { a: ["x", {}] } }), [[CONSTANT, ["constants", "a"]]]],
    ["a list constant of 1,001 items", exp({ constants: { a: many(1001, (i) => i) } }), [["list has more than 1000 items", ["constants", "a"]]]],
    ["65 constants", exp({ constants: Object.fromEntries(many(65, (i) => [`c${i}`, i])) }), [["has more than 64 constants", ["constants"]]]],
  ] as [string, unknown, unknown[]][])("%s", (_, input, expected) => {
    expect(issuesOf(input)).toStrictEqual(expected);
    agrees(input);
  });

  // At every bound, and with every kind of value the schema allows: the output is the input.
  it.each([
    ["the first and last buckets", grp({ a: [0, 0], b: [99_999, 99_999] })],
    ["16 allocations", dom({ allocations: many(16, (i) => ({ rule: `x == ${i}`, groups: { a: [0, 9] }, _comment: "c" })) })],
    ["every kind of constant", exp({ eligibility: "true", constants: { s: "x", n: -1.5, t: true, f: false, list: ["en", "de"], nums: [1, 2], flags: [true], empty: [] } })],
    ["a list constant of 1,000 items", exp({ constants: { a: many(1000, (i) => i) } })],
    ["64 constants", exp({ constants: Object.fromEntries(many(64, (i) => [`c${i}`, i])) })],
  ])("accepts %s as it is", (_, input) => {
    const r = v.safeParse(ExperimentSchema, input);
    expect(r.issues).toBeUndefined();
    expect(r.output).toStrictEqual(input);
    // And in the same key order.
    expect(JSON.stringify(r.output)).toBe(JSON.stringify(input));
    agrees(input);
  });

  it("shares no object with its input (a caller may change either)", () => {
    const domain = { unique_domain: true, groups: { a: [0, 9] } };
    const input = exp({ domains: { [H]: domain } });
    const out = v.parse(ExperimentSchema, input);
    expect(out).toStrictEqual(input);
    expect(out.domains[H]).not.toBe(domain);
    expect(out.domains[H]!.groups).not.toBe(domain.groups);
    expect(out.domains[H]!.groups["a"]).not.toBe(domain.groups.a);
  });
});
