import { defineConfig } from "vitest/config";

/**
 * The core's unit tests alone (test/src, plain Node): what `npm run mutate` runs per
 * mutant. FAST_CHECK_MAX_RUNS (set by that script) caps the property tests' runs, and
 * UNIT_TESTS (set by stryker.group.config.mjs) narrows the files to a group's own tests.
 */
export default defineConfig({
  test: {
    include: process.env["UNIT_TESTS"]?.split(",") ?? ["test/src/**/*.test.ts"],
    testTimeout: 20_000,
    setupFiles: process.env["FAST_CHECK_MAX_RUNS"] ? ["test/helpers/fast-check-capped.ts"] : [],
  },
});
