import { vi } from "vitest";

/**
 * Setup file for `npm run mutate` only (vitest.unit.config.ts adds it when
 * FAST_CHECK_MAX_RUNS is set): caps every property's runs, so that each of a thousand
 * mutants does not pay for thousands of generated cases. The score is then a lower bound:
 * a mutant only the full property run finds survives here.
 */
const cap = Number(process.env["FAST_CHECK_MAX_RUNS"]);

vi.mock("fast-check", async (importOriginal) => {
  const real = (await importOriginal<typeof import("fast-check")>()).default;
  const assert: typeof real.assert = ((property: Parameters<typeof real.assert>[0], params?: Parameters<typeof real.assert>[1]) =>
    real.assert(property, { ...params, numRuns: Math.min(params?.numRuns ?? 100, cap) })) as typeof real.assert;
  return { default: { ...real, assert }, assert };
});
