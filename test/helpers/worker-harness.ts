import { Miniflare, type MiniflareOptions } from "miniflare";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { projectCompatibility } from "../../emulation/compatibility.js";
import { DEV_KEYS } from "../fixtures/config.js";
import { asBrowser } from "./browser-ua.js";
import { RuntimeLog } from "./runtime-log.js";

/**
 * The one Miniflare harness of the behaviour suites: the built bundle (dist/worker.js, as
 * deployed; test/helpers/fresh-bundle.ts refuses a stale one) inside workerd, with the
 * compatibility date and flags of wrangler.toml, real KV and Cache API, and the
 * development key ring. Outbound HTTP goes to real stub servers on 127.0.0.1; requests
 * carry a browser's User-Agent unless a test sets one (browser-ua.ts).
 *
 * What the worker logs is captured, not printed (`log`, runtime-log.ts): a test that
 * provokes an error takes it and asserts it, and dispose() fails when an error line was
 * left untaken. WORKER_LOGS=1 also prints every line while debugging.
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
  /** The worker's log lines; take the errors a test provokes. */
  readonly log: RuntimeLog;
  fetch(url: string, init?: RequestInit): Promise<Response>;
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
async function workerOptions(bindings: Record<string, string | null>, options: HarnessOptions, log: RuntimeLog): Promise<MiniflareOptions> {
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
    handleRuntimeStdio: log.handleRuntimeStdio,
  };
}

/** Starts the bundle; dispose() when done. */
export async function startWorker(bindings: Record<string, string | null>, options: HarnessOptions = {}): Promise<Harness> {
  const log = new RuntimeLog();
  const mf = new Miniflare(await workerOptions(bindings, options, log));
  const url = await mf.ready;
  return {
    mf,
    url,
    log,
    fetch: (u, init) => mf.dispatchFetch(u, { redirect: "manual", ...(asBrowser(init) as object) }) as unknown as Promise<Response>,
    async poll() {
      const worker = await mf.getWorker();
      await worker.scheduled({ cron: "* * * * *" });
    },
    kv: async () => (await mf.getKVNamespace("CONFIG")) as unknown as KVNamespaceLike,
    async dispose() {
      await mf.dispose();
      await log.settled();
      log.assertClean();
    },
  };
}

/** The WMF-Uniq value a response set, if any. */
export function mintedCookie(res: Response): string | null {
  for (const line of res.headers.getSetCookie()) {
    const m = /^WMF-Uniq=([^;]*)/.exec(line);
    if (m) return m[1]!;
  }
  return null;
}
