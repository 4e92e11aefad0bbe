import { defineConfig } from "vitest/config";

/** The core's unit tests alone (test/src, plain Node): what `npm run mutate` runs per mutant. */
export default defineConfig({
  test: {
    include: ["test/src/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
