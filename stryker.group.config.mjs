// @ts-check
import base from "./stryker.config.mjs";

/**
 * `MUTATE=src/a.ts,src/b.ts npm run mutate:group`: the files named, each against its own
 * tests (test/src/<name>.test.ts, <name>.*.test.ts and <name>-*.test.ts, plus any in
 * MUTATE_TESTS), with static mutants included. The full run ignores those (each one runs the
 * whole suite); this is how test/src/MUTATION.md checks them, group by group.
 */
const files = (process.env["MUTATE"] ?? "").split(",").filter((f) => f !== "");
if (files.length === 0) throw new Error("set MUTATE to a comma-separated list of src/ files");
const name = process.env["MUTATE_NAME"] ?? "group";
const tests = files.flatMap((f) => {
  const stem = f.replace(/^src\//, "").replace(/\.ts$/, "");
  return [`test/src/${stem}.test.ts`, `test/src/${stem}.*.test.ts`, `test/src/${stem}-*.test.ts`];
});
// Read by vitest.unit.config.ts in Stryker's test runner processes, which inherit the environment.
process.env["UNIT_TESTS"] = [...tests, ...(process.env["MUTATE_TESTS"] ?? "").split(",").filter((t) => t !== "")].join(",");

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  ...base,
  mutate: files,
  ignoreStatic: false,
  incremental: false,
  // One runner: the statics each run their file's whole suite, and the machine is shared.
  concurrency: 1,
  tempDirName: `.stryker-tmp-${name}`,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
};
