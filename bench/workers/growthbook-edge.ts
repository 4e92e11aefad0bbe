import { handleRequest } from "@growthbook/edge-cloudflare";
import { MemoryKV } from "./memory-kv.js";

/**
 * The GrowthBook edge worker exactly as its example deploys it (`handleRequest(request,
 * env)`), offline: its payload sits in a `KV_GB_PAYLOAD` namespace (in memory, like ours)
 * under `gb_payload`, so it never contacts GROWTHBOOK_API_HOST.
 */

let env: Record<string, unknown> | null = null;

export default {
  fetch(request: Request, bindings: Record<string, unknown>): Promise<Response> {
    env ??= { ...bindings, KV_GB_PAYLOAD: new MemoryKV({ gb_payload: bindings["BENCH_GB_PAYLOAD"] as string }) };
    return handleRequest(request, env as Parameters<typeof handleRequest>[1]);
  },
};
