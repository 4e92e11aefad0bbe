import { describe, expect, it } from "vitest";
import { formatSummary, runSoak } from "./soak-lib.js";

/**
 * The short, bounded form of the soak (`npm run soak` runs the 5-minute one): 15 s of
 * steady load with config changes every 2.5 s. Any violation fails the test; the summary
 * is printed either way.
 */
describe("soak (short)", () => {
  it("15 s of load with config changes: no worker 5xx, stable groups, ramp never moves anyone, no leaks", async () => {
    const summary = await runSoak({ seconds: 15, concurrency: 8, visitors: 160, changeEveryMs: 2500, log: () => undefined });
    console.log(formatSummary(summary));
    expect(summary.violations).toEqual([]);
    // Not a speed floor (the machine's load decides the rate): at least one checked request
    // per minted visitor, so a loop that stalls or dies still fails.
    expect(summary.requests).toBeGreaterThanOrEqual(160);
    expect(summary.configVersions).toBeGreaterThanOrEqual(5);
    expect(summary.byKind.firstVisit).toBeGreaterThan(0);
    expect(summary.byKind.event).toBeGreaterThan(0);
    expect(summary.byKind.cachedPage).toBeGreaterThan(0);
  }, 90_000);
});
