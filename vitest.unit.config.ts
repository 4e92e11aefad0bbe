import { defineConfig } from "vitest/config";

/**
 * The core's unit tests alone (test/src, plain Node): what `npm run mutate` runs per
 * mutant. FAST_CHECK_MAX_RUNS (set by that script) caps the property tests' runs.
 */
export default defineConfig({
  test: {
    include: ["test/src/**/*.test.ts"],
    testTimeout: 20_000,
    setupFiles: process.env["FAST_CHECK_MAX_RUNS"] ? ["test/helpers/fast-check-capped.ts"] : [],
  },
});
