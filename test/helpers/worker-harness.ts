import { Miniflare, type MiniflareOptions } from "miniflare";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { projectCompatibility } from "../../emulation/compatibility.js";
import { DEV_KEYS } from "../fixtures/config.js";

/**
 * The one Miniflare harness of the behaviour suites: the built bundle (dist/worker.js, as
 * deployed; test/helpers/fresh-bundle.ts refuses a stale one) inside workerd, with the
 * compatibility date and flags of wrangler.toml, real KV and Cache API, and the
 * development key ring. Outbound HTTP goes to real stub servers on 127.0.0.1.
 *
 * What the worker prints is captured, not shown: the suites provoke errors on purpose and
 * a passing run prints no worker error line (`Harness.printed()` has them; WORKER_LOGS=1
 * shows them while debugging).
 */

const BUNDLE = fileURLToPath(new URL("../../dist/worker.js", import.meta.url));

/** How a suite's worker differs from the plain one. */
export interface HarnessOptions {
  /** Listen on a real 127.0.0.1 port too (raw HTTP, load); `Harness.url` is its address. */
  readonly port?: boolean;
  /** Open an inspector port (CPU and heap profiles). */
  readonly inspector?: boolean;
  /** An entry module that imports the bundle as "./worker.js" and wraps it (fault-harness.ts). */
  readonly wrapper?: string;
  /** Analytics Engine datasets to bind (METRICS). */
  readonly analyticsEngineDatasets?: Record<string, { dataset: string }>;
}

export interface Harness {
  readonly mf: Miniflare;
  /** The worker's own address (a real socket only with `port`). */
  readonly url: URL;
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** The lines the worker has printed so far (they arrive through a pipe: a moment late). */
  printed(): readonly string[];
  /** The first structured line printed with this `event` from now on (waits up to 5 s), or null. */
  nextEvent(event: string): Promise<Record<string, unknown> | null>;
  /** Runs the scheduled handler (the config poll) and waits for it. */
  poll(): Promise<void>;
  kv(): Promise<KVNamespaceLike>;
  dispose(): Promise<void>;
}

/** The subset of the KV binding the tests use. */
export interface KVNamespaceLike {
  get(key: string): Promise<string | null>;
  get(key: string, type: "json"): Promise<unknown>;
  getWithMetadata(key: string): Promise<{ value: string | null; metadata: unknown }>;
  put(key: string, value: string, opts?: { metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The Miniflare options for the bundle with these vars (UNIQ_KEYS: the development ring unless given). */
async function workerOptions(bindings: Record<string, string>, options: HarnessOptions, printed: string[]): Promise<MiniflareOptions> {
  const { date, flags } = projectCompatibility();
  const code: MiniflareOptions =
    options.wrapper === undefined
      ? { modules: true, scriptPath: BUNDLE }
      : {
          modules: [
            { type: "ESModule", path: "wrapper.js", contents: options.wrapper },
            { type: "ESModule", path: "worker.js", contents: await readFile(BUNDLE, "utf8") },
          ],
          modulesRoot: ".",
        };
  return {
    ...code,
    compatibilityDate: date,
    compatibilityFlags: flags,
    kvNamespaces: ["CONFIG"],
    ...(options.analyticsEngineDatasets === undefined ? {} : { analyticsEngineDatasets: options.analyticsEngineDatasets }),
    bindings: { UNIQ_KEYS: DEV_KEYS, CONFIG_REFRESH_MS: "1000", ...bindings },
    ...(options.port ? { host: "127.0.0.1", port: 0 } : {}),
    ...(options.inspector ? { inspectorPort: 0 } : {}),
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      for (const [stream, out] of [
        [stdout, process.stdout],
        [stderr, process.stderr],
      ] as const) {
        createInterface({ input: stream }).on("line", (line) => {
          if (printed.length < 10_000) printed.push(line);
          if (process.env["WORKER_LOGS"] === "1") out.write(`${line}\n`);
        });
      }
    },
  };
}

/** Starts the bundle; dispose() when done. */
export async function startWorker(bindings: Record<string, string>, options: HarnessOptions = {}): Promise<Harness> {
  const printed: string[] = [];
  const mf = new Miniflare(await workerOptions(bindings, options, printed));
  const url = await mf.ready;
  return {
    mf,
    url,
    printed: () => printed,
    async nextEvent(event) {
      const from = printed.length;
      for (let waited = 0; waited < 5000; waited += 20) {
        for (const line of printed.slice(from)) {
          const json = parseLine(line);
          if (json?.["event"] === event) return json;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return null;
    },
    fetch: (u, init) => mf.dispatchFetch(u, { redirect: "manual", ...(init as object) }) as unknown as Promise<Response>,
    async poll() {
      const worker = await mf.getWorker();
      await worker.scheduled({ cron: "* * * * *" });
    },
    kv: async () => (await mf.getKVNamespace("CONFIG")) as unknown as KVNamespaceLike,
    dispose: () => mf.dispose(),
  };
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The WMF-Uniq value a response set, if any. */
export function mintedCookie(res: Response): string | null {
  for (const line of res.headers.getSetCookie()) {
    const m = /^WMF-Uniq=([^;]*)/.exec(line);
    if (m) return m[1]!;
  }
  return null;
}
