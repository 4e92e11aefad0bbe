import { Miniflare, type MiniflareOptions } from "miniflare";
import { asBrowser } from "./browser-ua.js";
import { DEV_KEYS } from "../fixtures/config.js";
import { RuntimeLog } from "./runtime-log.js";

/**
 * The built bundle (dist/worker.js, as deployed) inside workerd via Miniflare, with real
 * KV and Cache API. Outbound HTTP goes to real stub servers on 127.0.0.1. What the worker
 * logs is captured, not printed (`log`); dispose() fails when an error line was left
 * untaken (runtime-log.ts).
 */
export interface Harness {
  readonly mf: Miniflare;
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

/** Starts dist/worker.js; `extra` adds Miniflare options (e.g. an Analytics Engine dataset). */
export async function startWorker(bindings: Record<string, string | null>, extra: Partial<MiniflareOptions> = {}): Promise<Harness> {
  const log = new RuntimeLog();
  const mf = new Miniflare({
    ...(extra as object),
    handleRuntimeStdio: log.handleRuntimeStdio,
    modules: true,
    scriptPath: "dist/worker.js",
    compatibilityDate: "2026-04-26",
    kvNamespaces: ["CONFIG"],
    bindings: { UNIQ_KEYS: DEV_KEYS, CONFIG_REFRESH_MS: "1000", ...bindings },
  });
  await mf.ready;
  return {
    mf,
    log,
    fetch: (url, init) => mf.dispatchFetch(url, { redirect: "manual", ...(asBrowser(init) as object) }) as unknown as Promise<Response>,
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
