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
