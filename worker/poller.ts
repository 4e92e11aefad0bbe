import { parseConfigText } from "../src/config-parse.js";
import { decodeUtf8, isJsonContentType, readCapped } from "../src/config-source.js";
import { KV_KEYS, type DocumentMetadata } from "./config-store.js";
import { counters } from "./counters.js";
import { log } from "./log.js";
import { recordPoll } from "./metrics.js";
import type { Settings } from "./settings.js";
import { WORKER_VERSION } from "./version.js";
import { MAX_CONFIG_BYTES } from "../src/contract.js";

/**
 * The scheduled config poller (cron, every minute). It accepts a document only if it is a
 * 200 with a JSON content type, at most 5 MB, valid UTF-8 and passes parseConfigText; any
 * other outcome keeps the last good config and is recorded. It never throws.
 */


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
  const headers: Record<string, string> = {
    "User-Agent": `edge-enrollment/${WORKER_VERSION} (config poller; +https://github.com/wikimedia)`,
    "X-Experiment-Config-Poller": `edge-enrollment/${WORKER_VERSION}`,
    Accept: "application/json",
  };
  // Only ask for a 304 when we hold the document the ETag describes.
  if (etag !== null && currentVersion !== null) headers["If-None-Match"] = etag;
  const reject = (reason: string, httpStatus: number | null, issues?: string[]) => ({
    outcome: "rejected" as const,
    reason,
    httpStatus,
    version: currentVersion,
    etag,
    ...(issues ? { issues } : {}),
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
  if (response.status !== 200) {
    await response.body?.cancel();
    return reject(`HTTP ${response.status}`, response.status);
  }
  const type = response.headers.get("content-type");
  if (!isJsonContentType(type)) {
    await response.body?.cancel();
    return reject(`content type ${JSON.stringify(type)} is not application/json; charset=utf-8`, 200);
  }
  let text: string | null;
  try {
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > MAX_CONFIG_BYTES) {
      await response.body?.cancel();
      return reject(`body larger than ${MAX_CONFIG_BYTES} bytes (Content-Length)`, 200);
    }
    const body = await readCapped(response.body, MAX_CONFIG_BYTES);
    if (body === null) return reject(`body larger than ${MAX_CONFIG_BYTES} bytes`, 200);
    text = decodeUtf8(body);
    if (text === null) return reject("unreadable body: not valid UTF-8", 200);
  } catch (e) {
    if (timedOut(e)) return { outcome: "failed", reason: `timeout after ${timeoutMs} ms (reading body)`, httpStatus: 200, version: currentVersion, etag };
    return reject(`unreadable body: ${(e as Error).message}`, 200);
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) {
    const issues = parsed.issues.slice(0, 20).map((i) => `${i.path}: ${i.message}`);
    return reject(`config failed validation (${parsed.issues.length} problem${parsed.issues.length === 1 ? "" : "s"})`, 200, issues);
  }
  const newEtag = response.headers.get("etag");
  const version = await sha256Hex(text);
  if (version === currentVersion) return { outcome: "unchanged", reason: null, httpStatus: 200, version, etag: newEtag };
  const metadata: DocumentMetadata = { version, acceptedAt: started };
  await deps.kv.put(KV_KEYS.document, text, { metadata });
  await deps.kv.put(KV_KEYS.version, version);
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
