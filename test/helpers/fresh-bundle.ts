import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Vitest globalSetup for the suites that run the built bundle: no behaviour suite may pass
 * on a stale dist/worker.js. When the bundle is missing or older than anything it is built
 * from (worker/, src/, wrangler.toml), it is rebuilt once, loudly; a failed build stops the run.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCES = ["worker", "src", "wrangler.toml"];

/** The newest modification time under `path` (a file or a folder), ms. */
function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why the bundle must be rebuilt, or null when it is fresh. */
function staleReason(root = ROOT): string | null {
  const bundle = join(root, "dist/worker.js");
  if (!existsSync(bundle)) return "dist/worker.js does not exist";
  const built = statSync(bundle).mtimeMs;
  const newer = SOURCES.filter((s) => newestMtime(join(root, s)) > built);
  return newer.length === 0 ? null : `dist/worker.js is older than ${newer.join(", ")}`;
}

export default function setup(): void {
  const reason = staleReason();
  if (reason === null) return;
  console.warn(`${reason}: running npm run build before the behaviour suites`);
  try {
    execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  } catch {
    throw new Error(`${reason}, and npm run build failed: fix the build, the suites would test old code`);
  }
  const still = staleReason();
  if (still !== null) throw new Error(`${still} even after npm run build`);
}
