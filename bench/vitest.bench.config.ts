import { defineConfig } from "vitest/config";

/** `npm run bench:core`: the Node micro-benchmarks (bench/**\/*.bench.ts), nothing else. */
export default defineConfig({
  test: {
    include: [],
    benchmark: {
      include: ["bench/**/*.bench.ts"],
      reporters: ["default", "./bench/lib/ns-reporter.ts"],
    },
  },
});
