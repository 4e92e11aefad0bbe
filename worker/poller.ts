import { acceptConfigResponse, pollRequestHeaders, readCapped, screenConfigResponse, type ConfigRefusal } from "../src/config-source.js";
import { WORKER_VERSION } from "../src/version.js";
import { adoptConfig, KV_KEYS, storeAcceptedDocument, type DocumentMetadata } from "./config-store.js";
import { counters } from "./counters.js";
import { log } from "./log.js";
import { recordPoll } from "./metrics.js";
import type { Settings } from "./settings.js";

/**
 * The scheduled config poller (cron, every minute). It accepts a document under the rules
 * of src/config-source.ts (the same as the tools'); any other outcome keeps the last good
 * config and is recorded. An accepted new version is stored in KV and installed in this
 * isolate's memo at once. It never throws.
 */

/**
 * `X-Experiment-Config-Poller` (contract §1): upstream's fetchers send their host name; a
 * Worker has none, and every isolate of a deployment polls as one, so it names the kind.
 */
export const POLLER = "edge-enrollment worker (scheduled poll)";

export type PollOutcome = "updated" | "unchanged" | "not-modified" | "rejected" | "failed";

/** The `poll/v1/status` record: what operators and the status endpoint read. */
export interface PollStatus {
  readonly v: 1;
  readonly outcome: PollOutcome;
  readonly reason: string | null;
  readonly httpStatus: number | null;
  readonly durationMs: number;
  readonly at: string;
  /** Version of the config in KV after this poll. */
  readonly version: string | null;
  readonly lastSuccessAt: string | null;
  readonly consecutiveFailures: number;
  readonly etag: string | null;
  /** First problems of a rejected document (path: message). */
  readonly issues?: readonly string[];
}

export interface PollDeps {
  readonly kv: KVNamespace;
  readonly metrics?: AnalyticsEngineDataset | undefined;
  readonly settings: Settings;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

/** One poll. Resolves to the status it recorded; never rejects. */
export async function pollConfig(deps: PollDeps): Promise<PollStatus> {
  const started = deps.now();
  let previous: PollStatus | null = null;
  let currentVersion: string | null = null;
  let status: Omit<PollStatus, "durationMs" | "at" | "lastSuccessAt" | "consecutiveFailures" | "v">;
  try {
    [previous, currentVersion] = await Promise.all([
      deps.kv.get<PollStatus>(KV_KEYS.pollStatus, "json").catch(() => null),
      deps.kv.get(KV_KEYS.version),
    ]);
    status = await fetchAndStore(deps, currentVersion, previous?.etag ?? null, started);
  } catch (e) {
    status = { outcome: "failed", reason: `error: ${(e as Error).message}`, httpStatus: null, version: currentVersion, etag: previous?.etag ?? null };
  }
  const ok = status.outcome === "updated" || status.outcome === "unchanged" || status.outcome === "not-modified";
  const at = new Date(started).toISOString();
  const record: PollStatus = {
    v: 1,
    ...status,
    durationMs: deps.now() - started,
    at,
    lastSuccessAt: ok ? at : (previous?.lastSuccessAt ?? null),
    consecutiveFailures: ok ? 0 : (previous?.consecutiveFailures ?? 0) + 1,
  };
  if (!ok) counters.config.rejected++;
  log(ok ? "info" : "error", "config.poll", { ...record, issues: record.issues?.slice(0, 3) });
  recordPoll(deps.metrics, record.outcome, record.reason, record.durationMs, record.consecutiveFailures);
  try {
    await deps.kv.put(KV_KEYS.pollStatus, JSON.stringify(record));
  } catch (e) {
    log("error", "config.poll_status_write_failed", { error: (e as Error).message });
  }
  return record;
}

async function fetchAndStore(
  deps: PollDeps,
  currentVersion: string | null,
  etag: string | null,
  started: number,
): Promise<Omit<PollStatus, "durationMs" | "at" | "lastSuccessAt" | "consecutiveFailures" | "v">> {
  const headers = pollRequestHeaders(WORKER_VERSION, POLLER);
  // Only ask for a 304 when we hold the document the ETag describes.
  if (etag !== null && currentVersion !== null) headers["If-None-Match"] = etag;
  const reject = (refusal: ConfigRefusal, httpStatus: number | null) => ({
    outcome: "rejected" as const,
    reason: refusal.reason,
    httpStatus,
    version: currentVersion,
    etag,
    ...(refusal.kind === "invalid" ? { issues: refusal.issues.slice(0, 20).map((i) => `${i.path}: ${i.message}`) } : {}),
  });

  let response: Response;
  const timeoutMs = deps.settings.pollTimeoutMs;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    response = await deps.fetch(deps.settings.configUrl, { headers, signal, redirect: "manual" });
  } catch (e) {
    return { outcome: "failed", reason: timedOut(e) ? `timeout after ${timeoutMs} ms` : `fetch failed: ${(e as Error).message}`, httpStatus: null, version: currentVersion, etag };
  }
  if (response.status === 304 && currentVersion !== null) {
    await response.body?.cancel();
    return { outcome: "not-modified", reason: null, httpStatus: 304, version: currentVersion, etag };
  }
  const type = response.headers.get("content-type");
  const early = screenConfigResponse(response.status, type, response.headers.get("content-length"));
  if (early !== null) {
    await response.body?.cancel();
    return reject(early, response.status);
  }
  let body: Uint8Array | null;
  try {
    body = await readCapped(response.body);
  } catch (e) {
    if (timedOut(e)) return { outcome: "failed", reason: `timeout after ${timeoutMs} ms (reading body)`, httpStatus: 200, version: currentVersion, etag };
    return { outcome: "failed", reason: `unreadable body: ${(e as Error).message}`, httpStatus: 200, version: currentVersion, etag };
  }
  const accepted = acceptConfigResponse(response.status, type, body);
  if (!accepted.ok) return reject(accepted, 200);
  const newEtag = response.headers.get("etag");
  const version = await sha256Hex(accepted.text);
  const metadata: DocumentMetadata = { version, acceptedAt: started };
  if (version === currentVersion) {
    // KV already has it; this isolate may not (a cold one): install what was just parsed.
    adoptConfig(accepted.config, metadata, deps.now());
    return { outcome: "unchanged", reason: null, httpStatus: 200, version, etag: newEtag };
  }
  await storeAcceptedDocument(deps.kv, accepted.text, metadata);
  // This isolate's next request uses it (contract §1); other isolates read KV at their next refresh.
  adoptConfig(accepted.config, metadata, deps.now());
  return { outcome: "updated", reason: null, httpStatus: 200, version, etag: newEtag };
}

function timedOut(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === "TimeoutError" || name === "AbortError";
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
