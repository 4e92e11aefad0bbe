import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints every vitest benchmark as nanoseconds per operation (median of the samples,
 * divided by the batch size written in the bench name as `[×N]`), because vitest's own
 * table shows milliseconds per call, too coarse for sub-microsecond code.
 */
export default class NsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows: [string, string][] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        // The benchmark statistics live on the runner task, which vitest 4 does not type
        // on TestCase; read it defensively.
        const task = (t as unknown as { task?: { result?: { benchmark?: { median: number } } } }).task;
        const bench = task?.result?.benchmark;
        if (!bench) continue;
        rows.push([t.fullName, formatNs(nsPerOp(t.name, bench.median))]);
      }
    }
    if (rows.length === 0) return;
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log("\n ns per operation (median; batch size divided out)\n");
    for (const [name, ns] of rows) console.log(`   ${name.padEnd(width)}  ${ns.padStart(12)}`);
    console.log("");
  }
}

/** Batch size encoded in a bench name (`… [×64]`), 1 if none. */
function batchOf(name: string): number {
  const m = /\[×(\d+)\]$/.exec(name);
  return m ? Number(m[1]) : 1;
}

/** Median milliseconds per bench call -> nanoseconds per operation. */
export function nsPerOp(name: string, medianMs: number): number {
  return (medianMs * 1e6) / batchOf(name);
}

function formatNs(ns: number): string {
  return ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(ns < 100 ? 1 : 0)} ns`;
}
