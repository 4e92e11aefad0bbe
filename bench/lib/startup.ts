import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { spread, type Spread } from "./stats.js";
import { ROOT } from "./workerd.js";

/**
 * What the worker costs before its first request, each figure from fresh Node processes
 * (a new isolate each time, nothing warm): evaluating dist/worker.js (the work every new
 * isolate does at start-up; the Public Suffix List's tables are built there), and the first
 * `registrableDomain` call after loading src/host.ts, i.e. the first cookie Domain an
 * isolate looks up, with cold code. The steady per-host cost is the `registrableDomain`
 * micro case.
 */

export interface StartupResult {
  /** Fresh processes per figure. */
  readonly runs: number;
  /** `import()` of dist/worker.js, ms. */
  readonly workerEvalMs: Spread;
  /** `import()` of src/host.ts alone (bundled with its PSL library), ms. */
  readonly hostEvalMs: Spread;
  /** The first registrableDomain call in the process, µs. */
  readonly firstLookupUs: Spread;
  /** The second call, another host, still cold-ish code, µs. */
  readonly secondLookupUs: Spread;
}

// Printed by the child: [import ms, first call ms, second call ms]; the calls only when asked.
const CHILD = `
const t0 = performance.now();
const m = await import(process.argv[1]);
const t1 = performance.now();
let a = 0, b = 0;
if (process.argv[2] === "lookup") {
  m.registrableDomain("en.m.wikipedia.org");
  const t2 = performance.now();
  m.registrableDomain("wiki.example.github.io");
  a = t2 - t1;
  b = performance.now() - t2;
}
console.log(JSON.stringify([t1 - t0, a, b]));
`;

function child(url: string, mode: "eval" | "lookup"): [number, number, number] {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", CHILD, url, mode], { cwd: ROOT, timeout: 30_000 });
  return JSON.parse(out.toString()) as [number, number, number];
}

/** Measures `runs` fresh processes per figure; `tmp` receives the bundle of src/host.ts. */
export async function measureStartup(dist: string, tmp: string, runs: number): Promise<StartupResult> {
  const hostBundle = join(tmp, "host.mjs");
  await build({
    entryPoints: [join(ROOT, "src/host.ts")],
    outfile: hostBundle,
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    logLevel: "warning",
  });
  const worker: number[] = [];
  const host: number[] = [];
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < runs; i++) {
    worker.push(child(pathToFileURL(dist).href, "eval")[0]);
    const [evalMs, firstMs, secondMs] = child(pathToFileURL(hostBundle).href, "lookup");
    host.push(evalMs);
    first.push(firstMs * 1000);
    second.push(secondMs * 1000);
  }
  return { runs, workerEvalMs: spread(worker), hostEvalMs: spread(host), firstLookupUs: spread(first), secondLookupUs: spread(second) };
}
