import { probe } from "./http.js";
import { median } from "./stats.js";
import { configText } from "./fixtures.js";

/**
 * What a config change costs the request path, in workerd: the worker (dist/worker.js,
 * CONFIG_REFRESH_MS small) serves sequential requests; the bench stores a new config
 * version in its KV, then keeps sending requests until one is answered with the new
 * experiments in Server-Timing. The cost is the slowest request of that window over the
 * slowest of a steady window of as many requests right after it (the isolate is
 * single-threaded, so a background compile shows up on whichever request waits for it; the
 * steady window's own slowest request is the tail any ~900 sequential requests have on this
 * machine, which the median would leave in the cost).
 */

export interface ConfigChangeResult {
  readonly experiments: number;
  readonly hosts: number;
  readonly trials: number;
  /** Median sequential request latency before the change. */
  readonly steadyMs: number;
  /** Median over trials: slowest request of a steady window as long as the change's. */
  readonly steadyWorstMs: number;
  /** Median over trials: slowest request between the change and adoption (+5 requests). */
  readonly worstMs: number;
  /** Median over trials of (the change window's slowest − the steady window's slowest). */
  readonly extraMs: number;
  /** worstMs − steadyMs: the slowest request over the median one. */
  readonly extraOverMedianMs: number;
  /** Median over trials: ms from storing the new version to the first response using it. */
  readonly adoptionMs: number;
  readonly requestsUntilAdoption: number;
  readonly adopted: boolean;
}

const PREFIXES = ["bench_alpha", "bench_bravo", "bench_charlie", "bench_delta", "bench_echo", "bench_foxtrot", "bench_golf"];

/** Runs the config-change measurement against the `change` service's port. */
export async function runConfigChange(
  port: number,
  headers: Record<string, string>,
  refreshMs: number,
  quick: boolean,
): Promise<ConfigChangeResult[]> {
  const sizes: [number, number][] = [
    [100, 1],
    [1000, 20],
  ];
  const trials = quick ? 1 : 3;
  const results: ConfigChangeResult[] = [];
  let p = 0;
  for (const [experiments, hosts] of sizes) {
    const worst: number[] = [];
    const steadyWorst: number[] = [];
    const extra: number[] = [];
    const adoption: number[] = [];
    const until: number[] = [];
    const steady: number[] = [];
    let adoptedAll = true;
    for (let t = 0; t < trials; t++) {
      const prefix = PREFIXES[p++ % PREFIXES.length]!;
      const document = configText(experiments, hosts, prefix);
      for (let i = 0; i < 60; i++) steady.push((await probe(port, "/wiki/Main_Page", headers)).ms);
      const body = JSON.stringify({ version: `bench-${prefix}-${Date.now()}`, document });
      const stored = await probe(port, "/__bench/config", { Host: "bench.invalid", "Content-Type": "application/json" }, "POST", body);
      if (stored.status !== 200) throw new Error(`storing the config failed: ${stored.status} ${stored.body}`);
      const t0 = process.hrtime.bigint();
      const window: number[] = [];
      let adoptedAt = -1;
      let adoptedMs = NaN;
      const deadline = t0 + BigInt(Math.max(3000, refreshMs * 4 + 2000)) * 1_000_000n;
      while (process.hrtime.bigint() < deadline) {
        const r = await probe(port, "/wiki/Main_Page", headers);
        window.push(r.ms);
        if (adoptedAt < 0 && String(r.headers["server-timing"] ?? "").includes(prefix)) {
          adoptedAt = window.length;
          adoptedMs = Number(process.hrtime.bigint() - t0) / 1e6;
        }
        if (adoptedAt >= 0 && window.length >= adoptedAt + 5) break;
      }
      if (adoptedAt < 0) adoptedAll = false;
      // The same number of requests again, nothing changing: this machine's own tail.
      let calm = 0;
      for (let i = 0; i < window.length; i++) calm = Math.max(calm, (await probe(port, "/wiki/Main_Page", headers)).ms);
      const slowest = Math.max(...window);
      worst.push(slowest);
      steadyWorst.push(calm);
      extra.push(slowest - calm);
      adoption.push(adoptedMs);
      until.push(adoptedAt);
    }
    const steadyMs = median(steady);
    results.push({
      experiments,
      hosts,
      trials,
      steadyMs,
      steadyWorstMs: median(steadyWorst),
      worstMs: median(worst),
      extraMs: median(extra),
      extraOverMedianMs: median(worst) - steadyMs,
      adoptionMs: median(adoption),
      requestsUntilAdoption: median(until),
      adopted: adoptedAll,
    });
  }
  return results;
}
