import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CompiledConfig } from "../../src/config-compile.js";
import { parseConfig, parseConfigText, type ConfigResult } from "../../src/config-parse.js";
import { selectorFingerprint } from "../../src/subject.js";
import { sampleConfig } from "../fixtures/config.js";
import {
  BUCKET_COUNT,
  CONTRACT_EXPERIMENT_NAME,
  CONTRACT_GROUP_NAME,
  CONTRACT_HOST,
  experimentNameArb,
  groupNameArb,
  hostArb,
  validConfigArb,
} from "../helpers/config-arbitrary.js";

/**
 * Properties of the config boundary (contract §1). The oracle below restates every rule of
 * contract §1 from its text, independently of src/ (no shared regexes, no valibot):
 *
 *   parseConfig accepts  ⇒  the oracle finds no broken rule;
 *   the oracle finds none and no two names differ only by case  ⇒  parseConfig accepts;
 *   accepted  ⇒  the compiled config holds every experiment, per host, in document order.
 *
 * (One rule of contract §1 is a decision beyond upstream's: experiment names, and group names
 * of one domain, that differ only by case are rejected as look-alikes. The oracle reports
 * those separately, so the second property is exact.)
 */

const SEED = 42;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// ---------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------

interface OracleResult {
  /** Broken contract §1 rules (empty: valid). */
  readonly broken: string[];
  /** Look-alike names (the decided rule of contract §1; upstream is silent). */
  readonly caseTwins: string[];
  /** Experiment names in the given key order. */
  readonly experiments: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(o, k);

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
function realTimestamp(s: unknown): s is string {
  if (typeof s !== "string") return false;
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return days !== undefined && d >= 1 && d <= days && h <= 23 && mi <= 59 && se <= 59;
}

const isBucket = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= BUCKET_COUNT - 1;

/** The entries of a `domains` or `groups` object, its `_comment` left out. */
function withoutComment(o: Record<string, unknown>): [string, any][] {
  return Object.entries(o).filter(([k]) => k !== "_comment");
}

function oracle(doc: unknown, keyOrder?: readonly string[]): OracleResult {
  const broken: string[] = [];
  const caseTwins: string[] = [];
  const experiments: string[] = [];
  if (!isObject(doc)) return { broken: ["document is not an object"], caseTwins, experiments };
  const folded = new Set<string>();
  for (const name of keyOrder ?? Object.keys(doc)) {
    const exp = doc[name];
    if (name === "_comment") {
      if (typeof exp !== "string") broken.push("top-level _comment not a string");
      continue;
    }
    if (!CONTRACT_EXPERIMENT_NAME.test(name)) broken.push(`bad experiment name ${JSON.stringify(name)}`);
    if (folded.has(name.toLowerCase())) caseTwins.push(name);
    folded.add(name.toLowerCase());
    experiments.push(name);
    if (!isObject(exp)) {
      broken.push(`${name}: not an object`);
      continue;
    }
    for (const k of Object.keys(exp)) {
      if (!["start", "end", "cache_split", "shared_selector", "_comment", "domains"].includes(k)) broken.push(`${name}: unknown key ${k}`);
    }
    if (!realTimestamp(exp.start)) broken.push(`${name}: start`);
    if (!realTimestamp(exp.end)) broken.push(`${name}: end`);
    // Same fixed-width form: string order is time order.
    if (realTimestamp(exp.start) && realTimestamp(exp.end) && !(exp.start < exp.end)) broken.push(`${name}: start >= end`);
    if (own(exp, "cache_split") && typeof exp.cache_split !== "boolean") broken.push(`${name}: cache_split`);
    if (own(exp, "shared_selector") && !(typeof exp.shared_selector === "string" && CONTRACT_EXPERIMENT_NAME.test(exp.shared_selector))) {
      broken.push(`${name}: shared_selector`);
    }
    if (own(exp, "_comment") && typeof exp._comment !== "string") broken.push(`${name}: _comment`);
    // `_comment` (a string) may sit in domains, a domain and groups too, and is no host or group.
    if (!isObject(exp.domains) || withoutComment(exp.domains).length === 0) {
      broken.push(`${name}: domains`);
      continue;
    }
    if (own(exp.domains, "_comment") && typeof exp.domains._comment !== "string") broken.push(`${name}: domains _comment`);
    for (const [host, domain] of withoutComment(exp.domains)) {
      if (!CONTRACT_HOST.test(host)) broken.push(`${name}: bad host ${JSON.stringify(host)}`);
      if (!isObject(domain)) {
        broken.push(`${name}/${host}: not an object`);
        continue;
      }
      for (const k of Object.keys(domain)) if (k !== "unique_domain" && k !== "groups" && k !== "_comment") broken.push(`${name}/${host}: unknown key ${k}`);
      if (own(domain, "unique_domain") && typeof domain.unique_domain !== "boolean") broken.push(`${name}/${host}: unique_domain`);
      if (own(domain, "_comment") && typeof domain._comment !== "string") broken.push(`${name}/${host}: _comment`);
      if (!isObject(domain.groups) || withoutComment(domain.groups).length === 0) {
        broken.push(`${name}/${host}: groups`);
        continue;
      }
      if (own(domain.groups, "_comment") && typeof domain.groups._comment !== "string") broken.push(`${name}/${host}: groups _comment`);
      const ranges: [number, number][] = [];
      const groupFolded = new Set<string>();
      for (const [group, range] of withoutComment(domain.groups)) {
        if (!CONTRACT_GROUP_NAME.test(group)) broken.push(`${name}/${host}: bad group ${JSON.stringify(group)}`);
        if (groupFolded.has(group.toLowerCase())) caseTwins.push(`${name}/${host}/${group}`);
        groupFolded.add(group.toLowerCase());
        if (!Array.isArray(range) || range.length !== 2 || !isBucket(range[0]) || !isBucket(range[1])) {
          broken.push(`${name}/${host}/${group}: range shape`);
          continue;
        }
        if (range[0] > range[1]) broken.push(`${name}/${host}/${group}: reversed`);
        ranges.push([range[0], range[1]]);
      }
      // Overlap, checked pairwise (no sorting trick shared with src/).
      for (let i = 0; i < ranges.length; i++) {
        for (let j = i + 1; j < ranges.length; j++) {
          const [a, b] = [ranges[i]!, ranges[j]!];
          if (a[0] <= a[1] && b[0] <= b[1] && a[0] <= b[1] && b[0] <= a[1]) broken.push(`${name}/${host}: overlap`);
        }
      }
    }
  }
  return { broken, caseTwins, experiments };
}

// ---------------------------------------------------------------------------------------
// What an accepted document must compile to
// ---------------------------------------------------------------------------------------

function expectCompiled(config: CompiledConfig, doc: Record<string, any>, order: readonly string[]): void {
  const names = order.filter((k) => k !== "_comment");
  expect(config.experiments.map((e) => e.name)).toEqual(names);
  const hosts = new Set(names.flatMap((n) => withoutComment(doc[n].domains).map(([h]) => h)));
  expect(new Set(config.hosts.keys())).toEqual(hosts);
  for (const host of hosts) {
    const plan = config.hosts.get(host)!;
    const onHost = names.filter((n) => Object.hasOwn(doc[n].domains, host));
    expect(plan.experiments.map((e) => e.name)).toEqual(onHost);
    const slotOf = new Map<string, number>();
    for (const [index, compiled] of plan.experiments.entries()) {
      const slot = plan.slots[index]!;
      const exp = doc[compiled.name];
      const domain = exp.domains[host];
      const groups = (withoutComment(domain.groups) as [string, [number, number]][]).sort((a, b) => a[1][0] - b[1][0]);
      expect(compiled.groups).toEqual(groups.map(([g]) => g));
      expect(Array.from(compiled.lo)).toEqual(groups.map(([, r]) => r[0]));
      expect(Array.from(compiled.hi)).toEqual(groups.map(([, r]) => r[1]));
      expect(compiled.pairs).toEqual(groups.map(([g]) => `${compiled.name}=${g};`));
      expect(compiled.eventPrefixes).toEqual(groups.map(([g]) => `${compiled.name}=${g}/`));
      expect(compiled.cacheSplit).toBe(exp.cache_split ?? true);
      expect(compiled.startMs).toBe(Date.parse(exp.start));
      expect(compiled.endMs).toBe(Date.parse(exp.end));
      // Experiments with the same selector (and the same host input) share one derivation slot.
      const label = `${exp.shared_selector ?? compiled.name}\u0000${domain.unique_domain === true ? host : ""}`;
      if (slotOf.has(label)) expect(slot).toBe(slotOf.get(label));
      else {
        expect([...slotOf.values()]).not.toContain(slot);
        slotOf.set(label, slot);
      }
      // The slot holds that (selector, host) input's fingerprint.
      expect(Array.from(plan.fingerprints[slot]!)).toEqual(
        Array.from(selectorFingerprint(exp.shared_selector ?? compiled.name, domain.unique_domain === true ? host : null)),
      );
    }
    expect(plan.fingerprints.length).toBe(slotOf.size);
  }
}

function checkAgainstOracle(result: ConfigResult, doc: unknown, order?: readonly string[]): void {
  const o = oracle(doc, order);
  if (result.ok) {
    expect(o.broken, "accepted a document that breaks contract §1").toEqual([]);
    expectCompiled(result.config, doc as Record<string, any>, order ?? Object.keys(doc as object));
  } else {
    expect(result.issues.length).toBeGreaterThan(0);
    for (const issue of result.issues) {
      expect(issue.path.startsWith("$")).toBe(true);
      expect(typeof issue.message).toBe("string");
    }
    if (o.broken.length === 0) {
      expect(o.caseTwins.length, `rejected a valid document: ${JSON.stringify(result.issues)}`).toBeGreaterThan(0);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Mutations of a valid document
// ---------------------------------------------------------------------------------------

type Path = (string | number)[];

function allPaths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...allPaths(x, [...at, i])));
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) out.push(...allPaths(x, [...at, k]));
  return out;
}

function parentOf(doc: any, path: Path): { parent: any; key: string | number } | null {
  if (path.length === 0) return null;
  let parent = doc;
  for (const p of path.slice(0, -1)) parent = parent[p];
  return { parent, key: path[path.length - 1]! };
}

/** Renames a key in place, keeping its position. */
function renameKey(obj: Record<string, unknown>, from: string, to: string): void {
  const entries = Object.entries(obj).map(([k, v]) => [k === from ? to : k, v] as const);
  for (const k of Object.keys(obj)) delete obj[k];
  for (const [k, v] of entries) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Names that break a rule, and a few that do not. */
const injectedName = fc.oneof(
  fc.constantFrom(
    "", "short", "has space-in-it", "-leading-dash", ".leading-dot", "_comment", "toString", "hasOwnProperty",
    "expérience-test", "UPPER.Case.Host", "en.wikipedia.org:443", "en.wikipedia.org.", "-bad.host", "a".repeat(64), "a".repeat(63), "b".repeat(256),
    "tab\there-name", "new\nline-name", "semi;colon-name", "equals=sign-name", "slash/name-here", "EN.WIKIPEDIA.ORG", "xn--bcher-kva.example",
  ),
  experimentNameArb,
  groupNameArb,
  hostArb,
  fc.string({ maxLength: 12 }),
);

const timestampish = fc.oneof(
  fc.constantFrom(
    "2025-06-01T14:30:00Z", "2025-06-01T14:30:00.000Z", "2025-06-01T14:30:00z", "2025-06-01T14:30:00+00:00", "2025-06-01 14:30:00Z",
    "2025-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z", "2025-06-01T24:00:00Z",
    "2025-06-01T23:59:60Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2025-06-01", "", "2100-02-29T00:00:00Z", "2000-02-29T12:00:00Z",
  ),
  fc.date({ min: new Date("1990-01-01"), max: new Date("2040-01-01"), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z")),
);

const rangeish: fc.Arbitrary<Json> = fc.oneof(
  fc.tuple(fc.integer({ min: -5, max: BUCKET_COUNT + 5 }), fc.integer({ min: -5, max: BUCKET_COUNT + 5 })),
  fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99_999 })),
  fc.constantFrom<Json>([0, 99_999], [0, 0], [99_999, 99_999], [0.5, 10], [1, 2, 3], [1], [], ["0", "10"], [null, 5], { lo: 0, hi: 5 }, [1e21, 1e22], [-0, 0]),
);

type Mutation =
  | { kind: "delete"; at: number }
  | { kind: "replace"; at: number; value: Json }
  | { kind: "retype"; at: number; how: number }
  | { kind: "rename"; at: number; name: string }
  | { kind: "addKey"; at: number; name: string; value: Json }
  | { kind: "setRange"; at: number; group: string; range: Json }
  | { kind: "setDate"; at: number; field: "start" | "end"; value: string }
  | { kind: "twin"; at: number; how: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant("retype" as const), at: fc.nat(), how: fc.nat({ max: 6 }) }),
  fc.record({ kind: fc.constant("rename" as const), at: fc.nat(), name: injectedName }),
  fc.record({ kind: fc.constant("addKey" as const), at: fc.nat(), name: injectedName, value: fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant("setRange" as const), at: fc.nat(), group: fc.oneof(groupNameArb, injectedName), range: rangeish }),
  fc.record({ kind: fc.constant("setDate" as const), at: fc.nat(), field: fc.constantFrom("start" as const, "end" as const), value: timestampish }),
  fc.record({ kind: fc.constant("twin" as const), at: fc.nat(), how: fc.nat({ max: 2 }) }),
);

function applyMutation(doc: any, m: Mutation): void {
  const paths = allPaths(doc);
  const path = paths[m.at % paths.length]!;
  const target = path.reduce((o: any, p) => o[p], doc);
  const where = parentOf(doc, path);
  const experiments = Object.keys(doc).filter((k) => isObject(doc[k]));
  const exp = experiments.length > 0 ? doc[experiments[m.at % experiments.length]!] : null;
  switch (m.kind) {
    case "delete":
      if (!where) return;
      if (Array.isArray(where.parent)) where.parent.splice(where.key as number, 1);
      else delete where.parent[where.key];
      return;
    case "replace":
      if (where) where.parent[where.key] = m.value;
      return;
    case "retype": {
      if (!where) return;
      const v = where.parent[where.key];
      const retyped = [String(v), [v], { value: v }, null, typeof v === "number" ? v + 0.5 : 1, JSON.stringify(v), v === true ? "true" : false][m.how];
      where.parent[where.key] = retyped;
      return;
    }
    case "rename":
      if (where && isObject(where.parent) && !Object.hasOwn(where.parent, m.name)) renameKey(where.parent, where.key as string, m.name);
      return;
    case "addKey":
      if (isObject(target) && !Object.hasOwn(target, m.name)) Object.defineProperty(target, m.name, { value: m.value, enumerable: true, writable: true, configurable: true });
      return;
    case "setRange": {
      if (!isObject(exp) || !isObject(exp.domains)) return;
      const hosts = Object.keys(exp.domains);
      const domain = exp.domains[hosts[m.at % Math.max(1, hosts.length)]!];
      if (isObject(domain) && isObject(domain.groups)) Object.defineProperty(domain.groups, m.group, { value: m.range, enumerable: true, writable: true, configurable: true });
      return;
    }
    case "setDate":
      if (isObject(exp)) exp[m.field] = m.value;
      return;
    case "twin": {
      // A look-alike: an experiment or a group whose name differs only by case.
      if (!isObject(exp)) return;
      const name = experiments[m.at % experiments.length]!;
      if (m.how === 0) {
        const twin = name === name.toUpperCase() ? name.toLowerCase() : name.toUpperCase();
        if (twin !== name && !Object.hasOwn(doc, twin)) doc[twin] = structuredClone(exp);
      } else if (isObject(exp.domains)) {
        for (const domain of Object.values(exp.domains)) {
          if (!isObject(domain) || !isObject(domain.groups)) continue;
          const [g] = Object.keys(domain.groups);
          const twin = g === undefined ? undefined : g === g.toUpperCase() ? g.toLowerCase() : g.toUpperCase();
          if (g !== undefined && twin !== g && twin !== undefined && !Object.hasOwn(domain.groups, twin)) domain.groups[twin] = [99_999, 99_999];
          break;
        }
      }
      return;
    }
  }
}

const mutatedArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map((ms) => {
  const doc = structuredClone(sampleConfig());
  for (const m of ms) applyMutation(doc, m);
  return doc;
});

// ---------------------------------------------------------------------------------------

describe("parseConfig / parseConfigText never throw", () => {
  it("on random JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseConfig(v);
        checkAgainstOracle(r, v);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("on random JSON text, and on text that is not JSON at all", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ unit: "binary", maxLength: 200 }), fc.json().map((t) => t.slice(0, Math.floor(t.length / 2)))), (text) => {
        const r = parseConfigText(text);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          expect(r.ok).toBe(false);
          return;
        }
        if (r.ok) expect(oracle(parsed).broken).toEqual([]);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("on objects keyed by valid experiment names with random values", () => {
    fc.assert(
      fc.property(fc.dictionary(experimentNameArb, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), (doc) => {
        checkAgainstOracle(parseConfig(doc), doc);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

describe("mutated valid documents (from test/fixtures sampleConfig())", () => {
  it("the unmutated fixture is valid by the oracle and accepted", () => {
    const doc = sampleConfig();
    expect(oracle(doc).broken).toEqual([]);
    checkAgainstOracle(parseConfig(doc), doc);
  });

  it("are accepted exactly when they keep every contract §1 rule (object and text agree)", () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(mutatedArb, (doc) => {
        const r = parseConfig(doc);
        checkAgainstOracle(r, doc);
        const text = JSON.stringify(doc);
        const fromText = parseConfigText(text);
        expect(fromText.ok).toBe(r.ok);
        if (fromText.ok) expectCompiled(fromText.config, doc as Record<string, any>, Object.keys(doc));
        if (r.ok) accepted++;
        else rejected++;
      }),
      { seed: SEED, numRuns: 3000 },
    );
    // The generator must exercise both sides, or the property says little (npm run mutate
    // caps the runs: then each side must merely be seen).
    const full = accepted + rejected === 3000;
    expect(accepted).toBeGreaterThan(full ? 200 : 0);
    expect(rejected).toBeGreaterThan(full ? 1000 : 0);
  });
});

describe("generated valid documents", () => {
  it("are accepted and compile every experiment, per host, in document order", () => {
    fc.assert(
      fc.property(validConfigArb, ({ doc, names }) => {
        const o = oracle(doc);
        expect(o.broken).toEqual([]);
        const r = parseConfig(doc);
        expect(r.ok).toBe(true);
        checkAgainstOracle(r, doc);
        expect(names.length).toBeGreaterThan(0);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("parsed from text, keep the text's order even for integer-like names", () => {
    fc.assert(
      fc.property(validConfigArb, fc.constantFrom(0, 2, "\t"), ({ doc, names, text }, indent) => {
        const pretty = indent === 0 ? text : JSON.stringify(JSON.parse(text), null, indent);
        // JSON.stringify(JSON.parse(...)) would reorder integer-like keys: only use it when there are none.
        const source = names.some((n) => /^\d+$/.test(n)) ? text : pretty;
        const r = parseConfigText(source);
        expect(r.ok).toBe(true);
        if (r.ok) expectCompiled(r.config, doc as Record<string, any>, names);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("a duplicated key anywhere in the text is rejected (JSON.parse would silently keep the last)", () => {
    fc.assert(
      fc.property(validConfigArb, fc.nat(), fc.constantFrom("experiment", "field", "group", "host"), ({ names, text, doc }, at, level) => {
        const name = names[at % names.length]!;
        const exp = doc[name] as Record<string, any>;
        let dup: string;
        if (level === "experiment") {
          dup = text.replace(/}$/, () => `,${JSON.stringify(name)}:${JSON.stringify(exp)}}`);
        } else {
          const copy = JSON.stringify(exp);
          const host = Object.keys(exp.domains)[0]!;
          const group = Object.keys(exp.domains[host].groups)[0]!;
          let mutated: string;
          if (level === "field") mutated = copy.replace(/^\{/, () => `{"start":${JSON.stringify(exp.start)},`);
          else if (level === "host") mutated = copy.replace(`"domains":{`, () => `"domains":{${JSON.stringify(host)}:${JSON.stringify(exp.domains[host])},`);
          else mutated = copy.replace(`"groups":{`, () => `"groups":{${JSON.stringify(group)}:${JSON.stringify(exp.domains[host].groups[group])},`);
          dup = text.replace(`${JSON.stringify(name)}:${copy}`, () => `${JSON.stringify(name)}:${mutated}`);
        }
        expect(dup).not.toBe(text);
        // Still the same document to JSON.parse ...
        expect(JSON.parse(dup)).toEqual(JSON.parse(text));
        // ... but an authoring error to the config boundary.
        const r = parseConfigText(dup);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.issues.some((i) => /duplicate key/.test(i.message))).toBe(true);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("one broken rule (injected into a valid document) is always rejected", () => {
    const breakers: [string, (d: Record<string, any>, name: string) => void][] = [
      ["overlapping ranges", (d, n) => {
        const dom = Object.values(d[n].domains)[0] as any;
        const [, r] = Object.entries(dom.groups)[0] as [string, [number, number]];
        dom.groups["overlapping-group"] = [r[1], r[1]];
      }],
      ["a reversed range", (d, n) => {
        const dom = Object.values(d[n].domains)[0] as any;
        dom.groups = { only: [7, 6] };
      }],
      ["end == start", (d, n) => (d[n].end = d[n].start)],
      ["no domains", (d, n) => (d[n].domains = {})],
      ["no groups", (d, n) => ((Object.values(d[n].domains)[0] as any).groups = {})],
      ["an upper-case host", (d, n) => (d[n].domains = { "EN.wikipedia.org": { groups: { a: [0, 1] } } })],
      ["a host with a port", (d, n) => (d[n].domains = { "en.wikipedia.org:443": { groups: { a: [0, 1] } } })],
      ["a bucket past 99999", (d, n) => (d[n].domains = { "en.wikipedia.org": { groups: { a: [0, 100_000] } } })],
      ["a fractional bucket", (d, n) => (d[n].domains = { "en.wikipedia.org": { groups: { a: [0, 1.5] } } })],
      ["an unknown experiment key", (d, n) => (d[n].sample_rate = 0.5)],
      ["an unknown domain key", (d, n) => ((Object.values(d[n].domains)[0] as any).weight = 1)],
      ["a timestamp with fractions", (d, n) => (d[n].start = "2025-06-01T00:00:00.000Z")],
      ["a non-UTC timestamp", (d, n) => (d[n].end = "2099-06-01T00:00:00+02:00")],
      ["a bad shared_selector", (d, n) => (d[n].shared_selector = "short")],
      ["a string cache_split", (d, n) => (d[n].cache_split = "true")],
      ["a non-string _comment", (d) => (d._comment = 1)],
    ];
    fc.assert(
      fc.property(validConfigArb, fc.nat(), fc.nat({ max: breakers.length - 1 }), ({ doc, names }, at, b) => {
        const d = structuredClone(doc) as Record<string, any>;
        breakers[b]![1](d, names[at % names.length]!);
        expect(oracle(d).broken.length, breakers[b]![0]).toBeGreaterThan(0);
        expect(parseConfig(d).ok, breakers[b]![0]).toBe(false);
        expect(parseConfigText(JSON.stringify(d)).ok, breakers[b]![0]).toBe(false);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

/**
 * Regression (was a bug, fixed): valibot's v.record silently skips the keys "constructor" and
 * "prototype" (its prototype-pollution guard, valibot/dist/index.mjs _isValidObjectKey), and
 * src/config-schema.ts uses v.record for `groups` and `domains`. Both names are valid by
 * contract §1 (group: ^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$, host: ^[a-z0-9][-_.a-z0-9]{0,254}$),
 * so a group called "prototype" (a plausible name) vanishes from the compiled config: the
 * document is accepted, and its visitors are silently never enrolled in that group. A
 * domain "prototype" vanishes the same way (or the experiment is rejected with "needs at
 * least one domain" when it was the only one).
 */
describe("names that are valid by contract §1 but special to JavaScript", () => {
  it("a group or host named constructor/prototype is kept, not silently dropped", () => {
    fc.assert(
      fc.property(validConfigArb, fc.nat(), fc.constantFrom("constructor", "prototype"), fc.boolean(), ({ doc, names }, at, special, asHost) => {
        const d = structuredClone(doc) as Record<string, any>;
        const name = names[at % names.length]!;
        const host = Object.keys(d[name].domains)[0]!;
        if (asHost) {
          if (Object.hasOwn(d[name].domains, special)) return;
          renameKey(d[name].domains, host, special);
        } else {
          const groups = d[name].domains[host].groups;
          const first = Object.keys(groups)[0]!;
          if (Object.keys(groups).some((g) => g.toLowerCase() === special)) return;
          renameKey(groups, first, special);
        }
        expect(oracle(d).broken).toEqual([]);
        const r = parseConfig(d);
        expect(r.ok).toBe(true);
        if (r.ok) expectCompiled(r.config, d, Object.keys(d));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
