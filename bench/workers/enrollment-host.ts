import target from "./target-worker.js";
import { MemoryKV } from "./memory-kv.js";
import type { WorkerContext } from "./runtime.js";

/**
 * Hosts dist/worker.js, unchanged, for the load bench: gives it a `CONFIG` KV namespace
 * held in memory and filled with KV layout v1 from the bench's text bindings, then calls
 * its default export's fetch(request, env, ctx). One path is the bench's own:
 * `POST /__bench/config` replaces the stored config (body: {version, document}) so the
 * bench can time the first requests after a config change.
 *
 * Diagnostic only: with BENCH_HIDE_CACHE_API = "1" the isolate's global `caches` is
 * removed before the worker runs, so it takes its no-cache path (a direct origin fetch
 * instead of a split-cache lookup first). The bench uses it to attribute cost.
 */

const BENCH_PREFIX = "BENCH_";
let state: { env: Record<string, unknown>; kv: MemoryKV } | null = null;

function setup(env: Record<string, unknown>): { env: Record<string, unknown>; kv: MemoryKV } {
  if (env["BENCH_HIDE_CACHE_API"] === "1") hideCacheApi();
  const version = env["BENCH_CONFIG_VERSION"] as string;
  const document = env["BENCH_CONFIG_TEXT"] as string;
  const kv = new MemoryKV();
  void storeConfig(kv, version, document);
  const workerEnv: Record<string, unknown> = { CONFIG: kv };
  for (const [k, v] of Object.entries(env)) if (!k.startsWith(BENCH_PREFIX)) workerEnv[k] = v;
  return { env: workerEnv, kv };
}

function hideCacheApi(): void {
  const g = globalThis as { caches?: unknown };
  delete g.caches;
  if (typeof g.caches !== "undefined") Object.defineProperty(globalThis, "caches", { value: undefined, configurable: true, writable: true });
  if (typeof g.caches !== "undefined") throw new Error("cannot hide the Cache API in this runtime");
}

async function storeConfig(kv: MemoryKV, version: string, document: string): Promise<void> {
  const now = new Date().toISOString();
  await kv.put("config/v1/document", document, { metadata: { version } });
  await kv.put("config/v1/version", version);
  await kv.put(
    "poll/v1/status",
    JSON.stringify({ ok: true, version, lastAttempt: now, lastSuccess: now, lastError: null }),
  );
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: WorkerContext): Promise<Response> {
    state ??= setup(env);
    if (request.method === "POST" && new URL(request.url).pathname === "/__bench/config") {
      const body = (await request.json()) as { version: string; document: string };
      await storeConfig(state.kv, body.version, body.document);
      return new Response("stored\n");
    }
    return target.fetch(request, state.env, ctx);
  },
};
