import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NOW } from "../fixtures/config.js";
import { seededRandom } from "../helpers/random.js";

/**
 * Shared by the operator-tool suites: temp files, a local HTTP server, spawning a tool. The
 * config they report on is the suites' one sample config (test/fixtures/config.ts).
 */

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The fixtures' fixed clock (test/fixtures/config.ts NOW), as --at takes it. */
export const AT = "2025-06-15T12:00:00Z";
export const AT_MS = NOW;

/**
 * A config with targeting (contract §8), live at AT on de.wikipedia.org and its mobile
 * host: an experiment for German-speaking, logged-out readers in DE or AT, with a
 * mobile allocation; one with a path and a platform allocation; one without rules (and
 * not cache-split).
 */
export function targetingConfig(): Record<string, unknown> {
  return {
    "german-readers-test": {
      start: "2025-06-01T00:00:00Z",
      end: "2025-07-01T00:00:00Z",
      eligibility: '${country in launch_countries && language == "de" && !loggedIn}',
      constants: { launch_countries: ["DE", "AT"] },
      domains: {
        "de.wikipedia.org": {
          groups: { control: [0, 4999], treatment: [5000, 9999] },
          allocations: [{ rule: 'platform == "mobile"', groups: { control: [0, 49999], treatment: [50000, 99999] } }],
        },
        "de.m.wikipedia.org": {
          groups: { control: [0, 4999], treatment: [5000, 9999] },
          allocations: [{ rule: 'platform == "mobile"', groups: { control: [0, 49999], treatment: [50000, 99999] } }],
        },
      },
    },
    "mobile-ramp-test": {
      start: "2025-06-01T00:00:00Z",
      end: "2025-07-01T00:00:00Z",
      domains: {
        "de.wikipedia.org": {
          groups: { off: [0, 9999], on: [10000, 19999] },
          allocations: [
            { rule: 'path == "/wiki/Spezial:Suche"', groups: { on: [0, 99999] } },
            { rule: 'platform == "mobile"', groups: { off: [0, 49999], on: [50000, 99999] } },
          ],
        },
      },
    },
    "plain-test-everyone": {
      start: "2025-06-01T00:00:00Z",
      end: "2025-07-01T00:00:00Z",
      cache_split: false,
      domains: { "de.wikipedia.org": { groups: { a: [0, 49999], b: [50000, 99999] } } },
    },
  };
}

/** A temp directory with the given files; returns its path and a cleanup. */
export function tempFiles(files: Record<string, string>): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "ee-cli-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A node:http server on 127.0.0.1 with an ephemeral port. */
export async function serve(handler: RequestListener): Promise<{ url: (path: string) => string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Spawns `npx tsx <script> ...args` from the repo root without blocking the event loop
 * (a test's HTTP server must keep answering meanwhile).
 */
export function runTool(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "npx",
      ["tsx", script, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, UNIQ_KEYS: "", CONFIG_URL: "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** A seeded fill for minting reproducible cookies (the suites' one generator, test/helpers/random.ts). */
export function seededFill(seed: number): (buffer: Uint8Array) => void {
  const r = seededRandom(seed);
  return (buffer) => r.fill(buffer);
}
