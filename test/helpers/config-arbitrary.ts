import fc from "fast-check";

/**
 * fast-check generators for experiment configs that follow every rule of contract §1 (the
 * patterns are copied from docs/contract.md, not imported from src/, so a wrong pattern in
 * src/ cannot hide here). Shared by the config and codec property tests.
 */

export const CONTRACT_EXPERIMENT_NAME = /^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$/;
export const CONTRACT_GROUP_NAME = /^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$/;
export const CONTRACT_HOST = /^[a-z0-9][-_.a-z0-9]{0,254}$/;
export const BUCKET_COUNT = 100_000;

/** Fixed clock for generated configs: 2025-06-15T12:00:00Z. */
export const GEN_NOW = Date.parse("2025-06-15T12:00:00Z");
const DAY = 86_400_000;

/** `2025-06-01T14:30:00Z` form (whole seconds, Z). */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export const experimentNameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(CONTRACT_EXPERIMENT_NAME) },
  { weight: 3, arbitrary: fc.constantFrom("fifty-fifty-test", "ten-percent-sample", "Search.Ranking_v2", "reading-list-ab", "ABCDEFGH", "a.b.c.d.e") },
  // Integer-like names: JavaScript objects list them first; the document order must win.
  { weight: 1, arbitrary: fc.integer({ min: 10_000_000, max: 99_999_999 }).map(String) },
);

export const groupNameArb: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(CONTRACT_GROUP_NAME),
  fc.constantFrom("control", "treatment", "a", "b", "B", "x", "on", "off", "v1.2", "toString", "valueOf", "0"),
);

export const hostArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("en.wikipedia.org", "de.wikipedia.org", "commons.wikimedia.org", "en.m.wikipedia.org", "xn--bcher-kva.example") },
  { weight: 1, arbitrary: fc.stringMatching(CONTRACT_HOST).filter((h) => h.length <= 80) },
);

const selectorArb = fc.oneof(fc.constantFrom("shared-selector-1", "shared-selector-2", "Shared.Selector_3"), experimentNameArb);

/** Sorted, non-overlapping inclusive ranges inside 0..99999 (1..5 of them). */
const rangesArb: fc.Arbitrary<[number, number][]> = fc.oneof(
  // Gapped: 2k distinct cut points, some ranges a single bucket.
  fc.integer({ min: 1, max: 5 }).chain((k) =>
    fc
      .tuple(
        fc.uniqueArray(fc.integer({ min: 0, max: BUCKET_COUNT - 1 }), { minLength: 2 * k, maxLength: 2 * k }),
        fc.array(fc.boolean(), { minLength: k, maxLength: k }),
      )
      .map(([cuts, points]) => {
        const c = [...cuts].sort((a, b) => a - b);
        return points.map((p, i): [number, number] => [c[2 * i]!, p ? c[2 * i]! : c[2 * i + 1]!]);
      }),
  ),
  // Contiguous over every bucket: k-1 boundaries.
  fc.integer({ min: 1, max: 5 }).chain((k) =>
    fc.uniqueArray(fc.integer({ min: 1, max: BUCKET_COUNT - 1 }), { minLength: k - 1, maxLength: k - 1 }).map((cuts) => {
      const c = [0, ...[...cuts].sort((a, b) => a - b), BUCKET_COUNT];
      return c.slice(0, -1).map((lo, i): [number, number] => [lo, c[i + 1]! - 1]);
    }),
  ),
);

/** Groups with distinct (case-insensitively) names, ranges shuffled into document order. */
const groupsArb: fc.Arbitrary<Record<string, [number, number]>> = rangesArb.chain((ranges) =>
  fc
    .tuple(
      fc.uniqueArray(groupNameArb, { minLength: ranges.length, maxLength: ranges.length, selector: (g) => g.toLowerCase() }),
      fc.shuffledSubarray(ranges, { minLength: ranges.length, maxLength: ranges.length }),
    )
    .map(([names, shuffled]) => Object.fromEntries(names.map((n, i) => [n, shuffled[i]!]))),
);

const domainArb = fc.tuple(groupsArb, fc.option(fc.boolean(), { nil: undefined })).map(([groups, unique]) => {
  const d: Record<string, unknown> = {};
  if (unique !== undefined) d.unique_domain = unique;
  d.groups = groups;
  return d;
});

/** When an experiment runs, relative to GEN_NOW: mostly live, sometimes not yet or over. */
const windowArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 1, max: 60 * DAY }), fc.integer({ min: 1000, max: 90 * DAY })).map(([back, ahead]) => [GEN_NOW - back, GEN_NOW + ahead] as const) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1000, max: 30 * DAY }), fc.integer({ min: 1000, max: 30 * DAY })).map(([wait, len]) => [GEN_NOW + wait, GEN_NOW + wait + len] as const) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1000, max: 30 * DAY }), fc.integer({ min: 1000, max: 30 * DAY })).map(([ago, len]) => [GEN_NOW - ago - len, GEN_NOW - ago] as const) },
);

const experimentArb: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    window: windowArb,
    cacheSplit: fc.option(fc.boolean(), { nil: undefined }),
    selector: fc.option(selectorArb, { nil: undefined, freq: 3 }),
    comment: fc.option(fc.string({ maxLength: 20 }), { nil: undefined, freq: 4 }),
    hosts: fc.uniqueArray(hostArb, { minLength: 1, maxLength: 3 }),
    domains: fc.array(domainArb, { minLength: 3, maxLength: 3 }),
  })
  .map(({ window, cacheSplit, selector, comment, hosts, domains }) => {
    const start = isoSeconds(window[0]);
    let end = isoSeconds(window[1]);
    if (end <= start) end = isoSeconds(window[0] + 1000);
    const e: Record<string, unknown> = { start, end };
    if (cacheSplit !== undefined) e.cache_split = cacheSplit;
    if (selector !== undefined) e.shared_selector = selector;
    if (comment !== undefined) e._comment = comment;
    e.domains = Object.fromEntries(hosts.map((h, i) => [h, domains[i]!]));
    return e;
  });

/** A valid document, and its experiment names in document order (1..8 experiments). */
export interface GeneratedConfig {
  readonly doc: Record<string, unknown>;
  readonly names: readonly string[];
  /** The document as JSON text with experiments in `names` order (integer-like names included). */
  readonly text: string;
}

export const validConfigArb: fc.Arbitrary<GeneratedConfig> = fc
  .tuple(
    fc.uniqueArray(experimentNameArb, { minLength: 1, maxLength: 8, selector: (n) => n.toLowerCase() }),
    fc.array(experimentArb, { minLength: 8, maxLength: 8 }),
    fc.option(fc.string({ maxLength: 30 }), { nil: undefined, freq: 3 }),
  )
  .map(([names, exps, comment]) => {
    const doc: Record<string, unknown> = {};
    if (comment !== undefined) doc._comment = comment;
    names.forEach((n, i) => (doc[n] = exps[i]!));
    const entries = [...(comment !== undefined ? [["_comment", comment] as const] : []), ...names.map((n, i) => [n, exps[i]!] as const)];
    const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
    return { doc, names, text };
  });
