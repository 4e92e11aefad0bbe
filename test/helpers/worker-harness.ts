import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import { asBrowser } from "./browser-ua.js";
import { DEV_KEYS } from "../fixtures/config.js";

/**
 * The built bundle (dist/worker.js, as deployed) inside workerd via Miniflare, with real
 * KV and Cache API. Outbound HTTP goes to real stub servers on 127.0.0.1.
 */
export interface Harness {
  readonly mf: Miniflare;
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** Runs the scheduled handler (the config poll) and waits for it. */
  poll(): Promise<void>;
  kv(): Promise<KVNamespaceLike>;
  /** The lines the worker wrote, when started with `captureLogs` (then they are not printed). */
  logs(): readonly string[];
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  /** Keep the worker's console lines for the test to assert on, instead of printing them. */
  readonly captureLogs?: boolean;
}

/** The subset of the KV binding the tests use. */
export interface KVNamespaceLike {
  get(key: string): Promise<string | null>;
  get(key: string, type: "json"): Promise<unknown>;
  getWithMetadata(key: string): Promise<{ value: string | null; metadata: unknown }>;
  put(key: string, value: string, opts?: { metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
}

export async function startWorker(bindings: Record<string, string | null>, options: HarnessOptions = {}): Promise<Harness> {
  const lines: string[] = [];
  const capture = (stream: Readable) => {
    stream.setEncoding("utf8");
    let rest = "";
    stream.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) if (line.trim() !== "") lines.push(line);
    });
  };
  const mf = new Miniflare({
    modules: true,
    scriptPath: "dist/worker.js",
    compatibilityDate: "2026-04-26",
    kvNamespaces: ["CONFIG"],
    bindings: { UNIQ_KEYS: DEV_KEYS, CONFIG_REFRESH_MS: "1000", ...bindings },
    ...(options.captureLogs === true
      ? {
          handleRuntimeStdio(stdout: Readable, stderr: Readable) {
            capture(stdout);
            capture(stderr);
          },
        }
      : {}),
  });
  await mf.ready;
  return {
    mf,
    fetch: (url, init) => mf.dispatchFetch(url, { redirect: "manual", ...(asBrowser(init) as object) }) as unknown as Promise<Response>,
    async poll() {
      const worker = await mf.getWorker();
      await worker.scheduled({ cron: "* * * * *" });
    },
    kv: async () => (await mf.getKVNamespace("CONFIG")) as unknown as KVNamespaceLike,
    logs: () => lines,
    dispose: () => mf.dispose(),
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
