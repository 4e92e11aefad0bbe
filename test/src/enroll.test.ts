import { describe, expect, it } from "vitest";
import type { CompiledConfig } from "../../src/config-compile.js";
import { parseConfig } from "../../src/config-parse.js";
import { enroll, type EnrollmentStep } from "../../src/enroll.js";
import { MAX_LIVE_EXPERIMENTS } from "../../src/contract.js";
import { parseKeyRing } from "../../src/keyring.js";
import { buildContext, type RequestContext } from "../../src/request-context.js";
import { bucketOf } from "../../src/subject.js";
import { mintToken, type Identity } from "../../src/token.js";
import { DEV_KEYS, NOW, sampleConfig, targetedExperiments } from "../fixtures/config.js";
import { BROWSER_UA } from "../helpers/browser-ua.js";
import { seededRandom } from "../helpers/random.js";
import { lazy } from "../helpers/lazy.js";

const ring = lazy(() => {
  const r = parseKeyRing(DEV_KEYS);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
});

function compile(doc: unknown): CompiledConfig {
  const r = parseConfig(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

function identities(n: number, seed: number): Identity[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => mintToken(ring(), NOW, (b) => rnd.fill(b)).identity);
}

const groupsOf = (id: Identity, host: string, config: CompiledConfig, now = NOW): Record<string, string> => {
  const e = enroll(id, host, now, config);
  return Object.fromEntries(e.experiments.map((x, i) => [x.name, x.groups[e.groups[i]!]!]));
};

// Chi-square critical values at p = 0.001: a fixed seed passes them unless there is real bias.
const CHI2_001 = { 1: 10.83, 2: 13.82, 99: 148.23 } as const;
const chi2 = (observed: number[], expected: number[]) => observed.reduce((s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!, 0);

// Under `npm run mutate` (instrumented, once per mutant) a fifth of the sample: still enough for every test below.
const N = process.env["FAST_CHECK_MAX_RUNS"] ? 20_000 : 100_000;
// Made on first use: a run that selects none of the tests here (npm run mutate runs a few
// tests per mutant) does not pay for minting the whole sample.
let sample: Identity[] | null = null;
const population = (): Identity[] => (sample ??= identities(N, 20250615));
const config = lazy(() => compile(sampleConfig()));

describe("enroll", () => {
  it("enrolls only in live experiments of the host, in config order", () => {
    const g = groupsOf(population()[0]!, "en.wikipedia.org", config());
    const names = Object.keys(g);
    expect(names).not.toContain("not-started-yet");
    expect(names).not.toContain("already-ended-test");
    const order = ["fifty-fifty-test", "ten-percent-sample", "shared-a-experiment", "shared-b-experiment", "per-domain-test", "client-side-only"];
    expect(names).toEqual(order.filter((n) => names.includes(n)));
    expect(groupsOf(population()[0]!, "fr.wikipedia.org", config())).toEqual({});
  });

  it("start is inclusive and end exclusive", () => {
    const start = Date.parse("2025-07-01T00:00:00Z");
    expect(Object.keys(groupsOf(population()[0]!, "en.wikipedia.org", config(), start - 1))).not.toContain("not-started-yet");
    expect(Object.keys(groupsOf(population()[0]!, "en.wikipedia.org", config(), start))).toContain("not-started-yet");
    expect(Object.keys(groupsOf(population()[0]!, "en.wikipedia.org", config(), start))).not.toContain("fifty-fifty-test");
  });

  it("is deterministic: the same identity always gets the same groups", () => {
    for (const id of population().slice(0, 50)) {
      expect(groupsOf(id, "en.wikipedia.org", config())).toEqual(groupsOf(id, "en.wikipedia.org", config()));
    }
  });

  it("a host with nothing live (or not in the config) gets the one shared empty result", () => {
    const empty = enroll(population()[0]!, "fr.wikipedia.org", NOW, config());
    expect(empty).toEqual({ experiments: [], tables: [], groups: [], subjects: new Uint32Array(0), slots: [], live: 0, skipped: 0, forced: 0 });
    expect(enroll(population()[1]!, "en.wikipedia.org", Date.parse("2030-01-01T00:00:00Z"), config())).toBe(empty);
  });

  it("a page enrollment computes only the bucket words; the event intake's, the whole subject", () => {
    const page = enroll(population()[0]!, "en.wikipedia.org", NOW, config());
    const events = enroll(population()[0]!, "en.wikipedia.org", NOW, config(), true);
    expect(page.groups).toEqual(events.groups);
    for (const slot of page.slots) {
      expect(Array.from(page.subjects.subarray(slot * 4, slot * 4 + 2))).toEqual(Array.from(events.subjects.subarray(slot * 4, slot * 4 + 2)));
      expect(Array.from(page.subjects.subarray(slot * 4 + 2, slot * 4 + 4))).toEqual([0, 0]);
      expect(Array.from(events.subjects.subarray(slot * 4 + 2, slot * 4 + 4))).not.toEqual([0, 0]);
    }
  });

  it("reports live and skipped counts, and caps the experiments evaluated", () => {
    const many: Record<string, unknown> = {};
    for (let i = 0; i < MAX_LIVE_EXPERIMENTS + 5; i++) {
      many[`bulk-experiment-${String(i).padStart(3, "0")}`] = {
        start: "2025-06-01T00:00:00Z",
        end: "2025-07-01T00:00:00Z",
        domains: { "en.wikipedia.org": { groups: { all: [0, 99999] } } },
      };
    }
    const e = enroll(population()[0]!, "en.wikipedia.org", NOW, compile(many));
    expect(e.live).toBe(MAX_LIVE_EXPERIMENTS);
    expect(e.skipped).toBe(5);
    expect(e.experiments).toHaveLength(MAX_LIVE_EXPERIMENTS);
    expect(e.experiments.at(-1)!.name).toBe(`bulk-experiment-${MAX_LIVE_EXPERIMENTS - 1}`);
  });
});

const DE = "de.wikipedia.org";
const targeted = lazy(() => compile(targetedExperiments("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z")));
const contextOf = (country: string): (() => RequestContext) => () =>
  buildContext(DE, { path: "/wiki/X", userAgent: BROWSER_UA, acceptLanguage: "de", country, cookieHeader: null, verifiedBot: false }, /Session$/);
/** One experiment on en with the given groups (and allocations), live at NOW. */
const single = (domain: Record<string, unknown>) =>
  compile({ "single-experiment": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", domains: { "en.wikipedia.org": domain } } });
const bucketAt = (id: Identity): number => {
  const steps: EnrollmentStep[] = [];
  enroll(id, "en.wikipedia.org", NOW, single({ groups: { all: [0, 99999] } }), false, undefined, steps);
  return steps[0]!.bucket;
};

describe("enroll: ranges, rules, previews and the trace", () => {
  it("a bucket is in a range from its first to its last value, and in no group when below a range", () => {
    // The visitor's bucket is the same in every config with the same selector (its name).
    const id = population()[0]!;
    const b = bucketAt(id);
    expect(b).toBeGreaterThan(1);
    expect(groupsOf(id, "en.wikipedia.org", single({ groups: { only: [b, b] } }))).toEqual({ "single-experiment": "only" });
    // Below a range is in none of it, even with a later range: the search stops at the first range above.
    expect(groupsOf(id, "en.wikipedia.org", single({ groups: { low: [0, b - 2], high: [b + 1, 99999] } }))).toEqual({});
    expect(groupsOf(id, "en.wikipedia.org", single({ groups: { low: [0, b - 1], high: [b, 99999] } }))).toEqual({ "single-experiment": "high" });
  });

  it("a rule without a request context is a programming error, said so", () => {
    expect(() => enroll(population()[0]!, DE, NOW, targeted())).toThrow("an experiment has a rule, but enroll() was given no request context");
  });

  it("the trace says why: ineligible, allocated, or forced by a preview", () => {
    const id = population()[0]!;
    const steps: EnrollmentStep[] = [];
    enroll(id, DE, NOW, targeted(), false, contextOf("US"), steps);
    expect(steps.map(({ experiment, ...s }) => ({ name: experiment.name, ...s }))).toEqual([
      { name: "german-readers-only", eligible: false, allocation: -1, bucket: -1, group: null },
      { name: "mobile-gets-more", eligible: true, allocation: -1, bucket: steps[1]!.bucket, group: steps[1]!.bucket < 5000 ? "control" : steps[1]!.bucket < 10000 ? "treatment" : null },
    ]);
    const forced: EnrollmentStep[] = [];
    const e = enroll(id, DE, NOW, targeted(), false, contextOf("US"), forced, new Map([["german-readers-only", "control"], ["mobile-gets-more", "treatment"]]));
    expect(forced.map(({ experiment, ...s }) => ({ name: experiment.name, ...s }))).toEqual([
      { name: "german-readers-only", eligible: true, allocation: -1, bucket: -1, group: "control", forced: true },
      { name: "mobile-gets-more", eligible: true, allocation: -1, bucket: -1, group: "treatment", forced: true },
    ]);
    expect(e.forced).toBe(2);
    expect(e.groups).toEqual([0, 1]);
  });

  it("a preview may force a group only an allocation has, taken from that allocation's table", () => {
    const config = single({
      groups: { control: [0, 4999] },
      allocations: [
        { rule: 'country == "FR"', groups: { wide: [0, 49999] } },
        { rule: 'country == "DE"', groups: { extra: [0, 49999], more: [50000, 99999] } },
      ],
    });
    const steps: EnrollmentStep[] = [];
    const e = enroll(population()[0]!, "en.wikipedia.org", NOW, config, false, contextOf("US"), steps, new Map([["single-experiment", "extra"]]));
    expect(steps.map((s) => [s.allocation, s.group, s.forced])).toEqual([[1, "extra", true]]);
    expect(e.tables[0]).toBe(config.hosts.get("en.wikipedia.org")!.experiments[0]!.allocations[1]!.table);
    expect(e.groups).toEqual([0]);
  });
});

describe(`statistics over ${N.toLocaleString("en")} random IDs`, () => {
  let computed: Record<string, string>[] | null = null;
  const results = (): Record<string, string>[] => (computed ??= population().map((id) => groupsOf(id, "en.wikipedia.org", config())));
  const count = (exp: string, group: string) => results().filter((r) => r[exp] === group).length;

  it("buckets are uniform (100 bins)", () => {
    const e = population().map((id) => {
      const r = enroll(id, "en.wikipedia.org", NOW, config());
      return bucketOf(r.subjects, r.slots[0]! * 4);
    });
    const bins = new Array(100).fill(0);
    for (const b of e) bins[Math.floor(b / 1000)]++;
    expect(chi2(bins, new Array(100).fill(N / 100))).toBeLessThan(CHI2_001[99]);
  });

  it("a 50/50 experiment splits evenly", () => {
    const obs = [count("fifty-fifty-test", "control"), count("fifty-fifty-test", "treatment")];
    expect(obs[0]! + obs[1]!).toBe(N);
    expect(chi2(obs, [N / 2, N / 2])).toBeLessThan(CHI2_001[1]);
  });

  it("a 10% sample enrolls 10% (5% per group) and leaves 90% out", () => {
    const obs = [count("ten-percent-sample", "control"), count("ten-percent-sample", "treatment")];
    const out = N - obs[0]! - obs[1]!;
    expect(chi2([...obs, out], [N * 0.05, N * 0.05, N * 0.9])).toBeLessThan(CHI2_001[2]);
  });

  it("would catch a real bias: a 52/48 split fails the same test", () => {
    expect(chi2([N * 0.52, N * 0.48], [N / 2, N / 2])).toBeGreaterThan(CHI2_001[1]);
  });

  it("experiments with different selectors are independent (2x2 contingency)", () => {
    const table = [0, 0, 0, 0];
    for (const r of results()) table[(r["fifty-fifty-test"] === "treatment" ? 2 : 0) + (r["client-side-only"] === "on" ? 1 : 0)]!++;
    const row = [table[0]! + table[1]!, table[2]! + table[3]!];
    const col = [table[0]! + table[2]!, table[1]! + table[3]!];
    const expected = [row[0]! * col[0]! / N, row[0]! * col[1]! / N, row[1]! * col[0]! / N, row[1]! * col[1]! / N];
    expect(chi2(table, expected)).toBeLessThan(CHI2_001[1]);
  });

  it("shared selectors coincide for every visitor", () => {
    // One assertion over all of them (an expect per visitor costs more than the enrollment).
    expect(results().filter((r) => r["shared-a-experiment"] !== r["shared-b-experiment"])).toEqual([]);
    expect(count("shared-a-experiment", "a") + count("shared-a-experiment", "b")).toBe(N);
  });

  it("unique_domain gives each host its own, independent assignment", () => {
    let same = 0;
    for (const id of population().slice(0, 20_000)) {
      if (groupsOf(id, "en.wikipedia.org", config())["per-domain-test"] === groupsOf(id, "de.wikipedia.org", config())["per-domain-test"]) same++;
    }
    expect(chi2([same, 20_000 - same], [10_000, 10_000])).toBeLessThan(CHI2_001[1]);
    // Without unique_domain, one visitor has the same group on both hosts.
    const differ = population()
      .slice(0, 2_000)
      .filter((id) => groupsOf(id, "en.wikipedia.org", config())["fifty-fifty-test"] !== groupsOf(id, "de.wikipedia.org", config())["fifty-fifty-test"]);
    expect(differ).toEqual([]);
  });

  it("widening a range (ramp-up) keeps everyone already enrolled in their group", () => {
    const at = (treatmentEnd: number) =>
      compile({
        "ramping-experiment": {
          start: "2025-06-01T00:00:00Z",
          end: "2025-07-01T00:00:00Z",
          domains: { "en.wikipedia.org": { groups: { control: [0, 999], treatment: [50000, 50000 + treatmentEnd] } } },
        },
      });
    const before = at(999), after = at(9999);
    let kept = 0;
    const moved: string[] = [];
    for (const id of population()) {
      const g = groupsOf(id, "en.wikipedia.org", before)["ramping-experiment"];
      if (g === undefined) continue;
      kept++;
      const now = groupsOf(id, "en.wikipedia.org", after)["ramping-experiment"];
      if (now !== g) moved.push(`${g} -> ${now}`);
    }
    expect(moved).toEqual([]);
    expect(kept).toBeGreaterThan(N * 0.015); // 2 % of the sample expected
  });
});
