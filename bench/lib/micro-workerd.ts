import { probe } from "./http.js";
import { median } from "./stats.js";

/**
 * Drives the workerd micro-bench worker (bench/workers/micro.ts): each case runs K times
 * inside one request, timed from outside, minus an empty loop of the same K, so
 * (t_case − t_noop) / K is the cost of one operation inside workerd. K is calibrated so a
 * request does ~`targetMs` of work; case and no-op requests alternate, medians are kept.
 */

export interface MicroResult {
  readonly name: string;
  readonly group: string;
  readonly experiments: number | null;
  readonly ns: number;
  readonly k: number;
}

async function timed(port: number, index: number, k: number): Promise<number> {
  const r = await probe(port, `/?case=${index}&k=${k}`, { Host: "bench.invalid" });
  if (r.status !== 200) throw new Error(`micro case ${index} answered ${r.status}: ${r.body}`);
  return r.ms;
}

/** Runs every case; `reps` alternating pairs per case. */
export async function runWorkerdMicro(port: number, quick: boolean): Promise<MicroResult[]> {
  const list = JSON.parse((await probe(port, "/cases", { Host: "bench.invalid" })).body) as {
    name: string;
    group: string;
    experiments: number | null;
  }[];
  const targetMs = quick ? 15 : 40;
  const reps = quick ? 5 : 11;
  const results: MicroResult[] = [];
  for (let i = 0; i < list.length; i++) {
    // Warm up (JIT) and calibrate.
    await timed(port, i, 2000);
    let k = 2000;
    const probeMs = Math.max(0.05, median([await timed(port, i, k), await timed(port, i, k)]) - median([await timed(port, -1, k), await timed(port, -1, k)]));
    k = Math.max(200, Math.min(2_000_000, Math.round((k * targetMs) / probeMs)));
    const caseMs: number[] = [];
    const noopMs: number[] = [];
    for (let r = 0; r < reps; r++) {
      caseMs.push(await timed(port, i, k));
      noopMs.push(await timed(port, -1, k));
    }
    const ns = ((median(caseMs) - median(noopMs)) * 1e6) / k;
    const c = list[i]!;
    results.push({ name: c.name, group: c.group, experiments: c.experiments, ns, k });
  }
  return results;
}
