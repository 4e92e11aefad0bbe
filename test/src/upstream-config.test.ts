import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CompiledConfig } from "../../src/config-compile.js";
import { parseConfigText } from "../../src/config-parse.js";
import { enroll } from "../../src/enroll.js";
import { encodeAllPairs, encodePageHeader } from "../../src/enrollment-header.js";
import { parseKeyRing } from "../../src/keyring.js";
import { mintToken, type Identity } from "../../src/token.js";
import { DEV_KEYS } from "../fixtures/config.js";
import { seededRandom } from "../helpers/random.js";
import { lazy } from "../helpers/lazy.js";

/**
 * Upstream's own test document (test/fixtures/upstream/README.md), byte for byte, through
 * the core: it parses, and 100,000 seeded visitors enroll as its ranges and comments say.
 * The IDs are seeded, so every statistic is the same on every run; the thresholds are
 * chi-square critical values at p = 0.001, which only a real bias exceeds.
 */

const FILE = new URL("../fixtures/upstream/uniques.json", import.meta.url);
const bytes = readFileSync(FILE);
const text = bytes.toString("utf8");

// Inside every window of the file (2024-01-01 .. 2200-12-31), and fixed, so the test does not age.
const AT = Date.parse("2025-06-15T12:00:00Z");
const EN = "en.wikipedia.org";
const TEST = "test.wikipedia.org";
const FOO = "2025-abtests2-foo-10x10";
const BAR = "2025-abtests2-bar-5x10";
const SEL1 = "2025-abtests2-sel1-4x25";
const SEL2 = "2025-abtests2-sel2-4x25";
const UDOM = "2025-abtests2-udom";

// Chi-square critical values at p = 0.001 by degrees of freedom.
const CHI2_001: Record<number, number> = { 5: 20.52, 9: 27.88, 45: 80.08 };

function chi2(observed: readonly number[], expected: readonly number[]): number {
  return observed.reduce((s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!, 0);
}

/** Pearson's chi-square of an r×c table against independence. */
function independence(table: readonly (readonly number[])[]): { x2: number; df: number } {
  const rows = table.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = table[0]!.map((_, j) => table.reduce((a, r) => a + r[j]!, 0));
  const n = rows.reduce((a, b) => a + b, 0);
  let x2 = 0;
  table.forEach((r, i) => r.forEach((o, j) => (x2 += (o - (rows[i]! * cols[j]!) / n) ** 2 / ((rows[i]! * cols[j]!) / n))));
  return { x2, df: (rows.length - 1) * (cols.length - 1) };
}

const ring = lazy(() => {
  const r = parseKeyRing(DEV_KEYS);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
});

function compiled(): CompiledConfig {
  const r = parseConfigText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

// Under `npm run mutate` (instrumented, once per mutant) a fifth of the sample: still enough for every test below.
const N = process.env["FAST_CHECK_MAX_RUNS"] ? 20_000 : 100_000;
const rnd = seededRandom(0x75_6e_69_71);
// Made on first use (npm run mutate runs a few tests per mutant, often none of these).
let sample: Identity[] | null = null;
const population = (): Identity[] => (sample ??= Array.from({ length: N }, () => mintToken(ring(), AT, (b) => rnd.fill(b)).identity));

/** Each visitor's group per experiment on `host` ("none" = not enrolled). */
function groupsOn(config: CompiledConfig, host: string): Map<string, string>[] {
  return population().map((id) => {
    const e = enroll(id, host, AT, config);
    const out = new Map<string, string>();
    e.experiments.forEach((x, i) => out.set(x.name, x.groups[e.groups[i]!]!));
    return out;
  });
}

describe("upstream's uniques.json (modules/varnish/files/tests/uniques.json)", () => {
  it("is stored byte for byte: 3071 bytes, one final newline, the recorded SHA-256, three root _comment keys", () => {
    expect(bytes.length).toBe(3071);
    expect(text.endsWith("}\n") && !text.endsWith("\n\n")).toBe(true);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe("0525a3b0d4c227e5098ab23e256b4e686e2cc9263c12901f8d65f626059d7e3f");
    expect(text.match(/^ {4}"_comment":/gm)).toHaveLength(3);
  });

  it("parses: five experiments in document order, two hosts, the comments ignored", () => {
    const config = compiled();
    expect(config.experiments.map((e) => e.name)).toEqual([FOO, BAR, SEL1, SEL2, UDOM]);
    expect([...config.hosts.keys()]).toEqual([EN, TEST]);
    expect(config.hosts.get(EN)!.experiments.map((e) => e.name)).toEqual([FOO, BAR, SEL1, SEL2, UDOM]);
    expect(config.hosts.get(TEST)!.experiments.map((e) => e.name)).toEqual([UDOM]);
  });

  describe(`${N.toLocaleString("en")} seeded visitors at ${new Date(AT).toISOString()}`, () => {
    // Made inside the first test that asks, not at collection: a run that selects none of
    // these tests skips the work, and npm run mutate sees which tests run it.
    const config = lazy(() => compiled());
    const en = lazy(() => groupsOn(config(), EN));
    const onTest = lazy(() => groupsOn(config(), TEST));
    const count = (rows: Map<string, string>[], exp: string, group: string) => rows.filter((r) => (r.get(exp) ?? "none") === group).length;

    it("the 10 × 10 % experiment enrolls everyone, spread evenly over its ten groups", () => {
      const groups = Array.from({ length: 10 }, (_, i) => `grp${i}`);
      const observed = groups.map((g) => count(en(), FOO, g));
      expect(observed.reduce((a, b) => a + b, 0)).toBe(N);
      expect(chi2(observed, groups.map(() => N / 10))).toBeLessThan(CHI2_001[9]!);
    });

    it("the 5 × 10 % experiment enrolls about half, evenly over its five groups", () => {
      const categories = ["grp0", "grp1", "grp2", "grp3", "grp4", "none"];
      const observed = categories.map((g) => count(en(), BAR, g));
      const enrolled = N - observed[5]!;
      expect(enrolled / N).toBeGreaterThan(0.49);
      expect(enrolled / N).toBeLessThan(0.51);
      expect(chi2(observed, [0.1, 0.1, 0.1, 0.1, 0.1, 0.5].map((p) => p * N))).toBeLessThan(CHI2_001[5]!);
    });

    it("the two experiments with their own selectors are independent, though their ranges coincide", () => {
      // As the file's comment says: same domains, same first half of ranges, "random correlation".
      const fooGroups = Array.from({ length: 10 }, (_, i) => `grp${i}`);
      const barGroups = ["grp0", "grp1", "grp2", "grp3", "grp4", "none"];
      const table = fooGroups.map((f) => barGroups.map((b) => en().filter((r) => r.get(FOO) === f && (r.get(BAR) ?? "none") === b).length));
      const { x2, df } = independence(table);
      expect(df).toBe(45);
      expect(x2).toBeLessThan(CHI2_001[45]!);
      // Were they sharing a bucket, everyone in BAR would have the same group in FOO.
      const inBar = en().filter((r) => r.has(BAR));
      const same = inBar.filter((r) => r.get(BAR) === r.get(FOO)).length / inBar.length;
      expect(same).toBeGreaterThan(0.09);
      expect(same).toBeLessThan(0.11);
    });

    it("the two shared-selector experiments always agree; whoever is in sel1's grp3 is not in sel2", () => {
      let both = 0;
      const disagreements: string[] = [];
      for (const r of en()) {
        const one = r.get(SEL1); // 4 × 25 %: everyone is in one of its groups
        const two = r.get(SEL2);
        if (two !== undefined) both++;
        if (one === undefined || (two === undefined ? one !== "grp3" : two !== one)) disagreements.push(`${one} / ${two}`);
      }
      expect(disagreements).toEqual([]);
      expect(both / N).toBeGreaterThan(0.74);
      expect(both / N).toBeLessThan(0.76);
    });

    it("the unique_domain experiment assigns en and test independently", () => {
      const categories = ["grp0", "grp1", "grp2", "none"];
      const table = categories.map((a) => categories.map((b) => en().filter((r, i) => (r.get(UDOM) ?? "none") === a && (onTest()[i]!.get(UDOM) ?? "none") === b).length));
      expect(independence(table).x2).toBeLessThan(CHI2_001[9]!);
      // Independent 4-way categories of 25 % each agree a quarter of the time (not always).
      const agree = en().filter((r, i) => (r.get(UDOM) ?? "none") === (onTest()[i]!.get(UDOM) ?? "none")).length / N;
      expect(agree).toBeGreaterThan(0.24);
      expect(agree).toBeLessThan(0.26);
      // Each host on its own still fills its ranges: 25 % each, 25 % not enrolled.
      for (const rows of [en(), onTest()]) {
        expect(chi2(categories.map((g) => count(rows, UDOM, g)), categories.map(() => N / 4))).toBeLessThan(16.27);
      }
    });

    it("the headers list the experiments in document order", () => {
      const e = enroll(population()[0]!, EN, AT, config());
      const names = [...encodePageHeader(e).matchAll(/([^=;]+)=/g)].map((m) => m[1]);
      expect(names).toEqual([FOO, BAR, SEL1, SEL2, UDOM].filter((n) => en()[0]!.has(n)));
      expect(encodeAllPairs(e)).toBe(encodePageHeader(e));
    });
  });
});
