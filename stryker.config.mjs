// @ts-check
/**
 * `npm run mutate` (not in CI): mutation testing of the core (src/) against its unit tests
 * (test/src through vitest.unit.config.ts, property runs capped by FAST_CHECK_MAX_RUNS).
 * Incremental: only mutants in changed code, or covered by changed tests, run again.
 * Surviving mutants, and why each one stays: test/src/MUTATION.md.
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.unit.config.ts" },
  mutate: ["src/**/*.ts"],
  coverageAnalysis: "perTest",
  // The machine is shared: two test processes at most.
  concurrency: 2,
  // A mutant that loops for ever is a timeout (detected) after 10 s more than its tests' baseline.
  timeoutMS: 10_000,
  // Static mutants (module-level constants: patterns, tables) run every test of the suite
  // each, hours on two cores; they are reported as ignored, and counted in MUTATION.md.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false },
  tempDirName: ".stryker-tmp",
  thresholds: { high: 90, low: 85, break: 85 },
};
