/**
 * The few Workers runtime shapes the bench-only workers use, declared locally because
 * bench/ typechecks under the Node tsconfig (no @cloudflare/workers-types there). Request,
 * Response, Headers and fetch are globals in both Node 20 and workerd.
 */

/** The `ctx` argument of a module worker's fetch handler. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}

/** A module worker's fetch handler (what dist/worker.js exports as default.fetch). */
export interface WorkerModule {
  fetch(request: Request, env: Record<string, unknown>, ctx: WorkerContext): Promise<Response> | Response;
  scheduled?(controller: unknown, env: Record<string, unknown>, ctx: WorkerContext): Promise<void> | void;
}

/** The origin URL for a request: ORIGIN_URL plus the path and query, never resolved. */
export function originUrl(origin: string, requestUrl: string): string {
  const u = new URL(requestUrl);
  return origin + u.pathname + u.search;
}
