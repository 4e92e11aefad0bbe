import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { closeProbes } from "./http.js";
import { isStopping, stopAll } from "./processes.js";
import { ROOT } from "./workerd.js";

/**
 * Runs a bench script's main: one catch (reported unless the run is being stopped, exit
 * code 1), one finally (probes closed, every child process stopped, the scratch folder
 * removed; kept after a failure when `keepScratchOnFailure`, for a look at what went wrong).
 */
export async function runBenchEntry(name: string, main: () => Promise<void>, scratch: string, keepScratchOnFailure = false): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (!isStopping()) console.error(`${name} failed: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  } finally {
    closeProbes();
    await stopAll();
    const failed = process.exitCode !== undefined && process.exitCode !== 0;
    if (keepScratchOnFailure && failed) console.error(`${name}: scratch kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The worker as `npm run build` makes it, but without --minify (the same code, named), in
 * `dir`: what CPU profiles are taken of, since dist/worker.js is minified.
 */
export function readableBuild(dir: string): string {
  const out = join(dir, "readable");
  const r = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--minify=false", "--outdir", out], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`unminified build failed: ${r.stdout}${r.stderr}`);
  return join(out, "index.js");
}
