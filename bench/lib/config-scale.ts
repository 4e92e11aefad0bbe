import { parseConfigText } from "../../src/config-parse.js";
import { median } from "./stats.js";
import { configText } from "./fixtures.js";

/**
 * Config scale, run as its own Node process with --expose-gc (bench/run.ts starts it):
 * time and heap to parse + validate + compile (parseConfigText) configs of N experiments
 * × H hosts. Prints one JSON array on stdout.
 *
 * - ms: median wall time of `reps` parses after two warm-up parses.
 * - retainedBytes: heap held by the compiled config (after full GCs, result kept alive).
 * - transientBytes: heap growth across one parse with no GC forced in between, an
 *   approximation of the peak the parse needs (GC may still run during it).
 */

export interface ScaleResult {
  readonly experiments: number;
  readonly hosts: number;
  readonly textBytes: number;
  readonly ms: number;
  readonly msMin: number;
  readonly msMax: number;
  readonly retainedBytes: number;
  readonly transientBytes: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const quick = process.argv.includes("--quick");
const sizes: [number, number][] = [
  [10, 20],
  [100, 20],
  [1000, 20],
  [1, 1],
  [10, 1],
  [100, 1],
];

function fullGc(): void {
  for (let i = 0; i < 3; i++) gc!();
}

const results: ScaleResult[] = [];
for (const [experiments, hosts] of sizes) {
  const text = configText(experiments, hosts);
  const check = parseConfigText(text);
  if (!check.ok) throw new Error(`config ${experiments}×${hosts} does not validate: ${JSON.stringify(check.issues.slice(0, 3))}`);
  parseConfigText(text);
  const reps = quick ? (experiments >= 1000 ? 3 : 7) : experiments >= 1000 ? 9 : 25;
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    const r = parseConfigText(text);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!r.ok) throw new Error("unreachable");
  }
  fullGc();
  const before = process.memoryUsage().heapUsed;
  const kept = parseConfigText(text);
  const afterParse = process.memoryUsage().heapUsed;
  fullGc();
  const after = process.memoryUsage().heapUsed;
  if (!kept.ok) throw new Error("unreachable");
  results.push({
    experiments,
    hosts,
    textBytes: text.length,
    ms: median(times),
    msMin: Math.min(...times),
    msMax: Math.max(...times),
    retainedBytes: Math.max(0, after - before),
    transientBytes: Math.max(0, afterParse - before),
  });
  // Keep `kept` alive until after the measurement.
  if (kept.config.hosts.size < 0) console.log("");
}
process.stdout.write(JSON.stringify(results));
