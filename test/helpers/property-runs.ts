/**
 * The runs a property really gets: `wanted`, or fewer under `npm run mutate`
 * (FAST_CHECK_MAX_RUNS, see fast-check-capped.ts). A test that counts how often a case came
 * up scales its expectation by this, so the cap does not fail it.
 */
export function propertyRuns(wanted: number): number {
  const cap = Number(process.env["FAST_CHECK_MAX_RUNS"] ?? Infinity);
  return Math.min(wanted, cap);
}
