import { bench, describe } from "vitest";
import { coreCases, type CoreCase } from "./lib/core-cases.js";

/**
 * Node micro-benchmarks of the core fast paths (bench/lib/core-cases.ts). Mean time per
 * call is the per-request cost in Node; `bench/run.ts` turns it into ns per request and
 * puts it next to the same cases measured inside workerd. BENCH_QUICK=1 shortens each.
 */

const quick = process.env["BENCH_QUICK"] === "1";
const options = quick ? { time: 150, warmupTime: 50 } : { time: 500, warmupTime: 150 };
const cases = coreCases();
const BATCH = 32;
const groups: Record<CoreCase["group"], string> = {
  enroll: "enrollment per request",
  token: "WMF-Uniq token",
  codec: "header codecs",
  host: "cookie Domain (Public Suffix List)",
};

for (const [group, title] of Object.entries(groups)) {
  describe(title, () => {
    for (const c of cases.filter((x) => x.group === group)) {
      // Each call runs the operation BATCH times so the timer's own cost (tens of ns)
      // does not swamp sub-microsecond operations; ns-reporter divides it out.
      let sink: unknown;
      bench(`${c.name} [×${BATCH}]`, () => {
        for (let i = 0; i < BATCH; i++) sink = c.run();
      }, options);
      void sink;
    }
  });
}
