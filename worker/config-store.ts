import type { CompiledConfig } from "../src/config-compile.js";
import { parseConfigTextInSlices } from "../src/config-parse.js";
import { counters } from "./counters.js";
import { log } from "./log.js";

/**
 * The config's KV I/O and its per-isolate memo: the one place that reads and writes the
 * config keys and decides which compiled config this isolate's requests see.
 *
 * KV layout, version 1 (everything persisted is versioned in its key):
 *   config/v1/version   the accepted document's version (hex SHA-256 of its text)
 *   config/v1/document  the accepted document's text, metadata { version, acceptedAt }
 *   poll/v1/status      the last poll outcome (see poller.ts)
 *   control/v1/kill     kill switch: "on" stops enrollment everywhere within a refresh
 * The document is written before the version, so a reader that sees a new version finds
 * its document (or, with KV's eventual consistency, notices the mismatch and retries).
 */
export const KV_KEYS = {
  version: "config/v1/version",
  document: "config/v1/document",
  pollStatus: "poll/v1/status",
  killSwitch: "control/v1/kill",
} as const;

export interface DocumentMetadata {
  version: string;
  acceptedAt: number;
}

/** What the request path sees: the compiled config (or none) and the kill switch. */
export interface ConfigView {
  readonly config: CompiledConfig | null;
  readonly version: string | null;
  readonly acceptedAt: number | null;
  readonly killed: boolean;
}

interface MemoState {
  /** Bumped whenever a config is installed, so a KV refresh that started earlier cannot overwrite a newer one. */
  generation: number;
  config: CompiledConfig | null;
  version: string | null;
  acceptedAt: number | null;
  killed: boolean;
  checkedAt: number;
  /** A first load has finished (well or not): from then on refreshes never hold a request. */
  attempted: boolean;
  loadedAt: number | null;
  refreshing: Promise<void> | null;
  lastError: string | null;
}

/** A cold isolate waits this long for KV at most, then serves un-enrolled. */
export const COLD_LOAD_TIMEOUT_MS = 250;
/** A refresh whose KV reads have not settled by then is abandoned, so the next one can start. */
export const REFRESH_TIMEOUT_MS = 2_000;

const EMPTY: MemoState = {
  generation: 0,
  config: null,
  version: null,
  acceptedAt: null,
  killed: false,
  checkedAt: Number.NEGATIVE_INFINITY,
  attempted: false,
  loadedAt: null,
  refreshing: null,
  lastError: null,
};

let state: MemoState = { ...EMPTY };

/** For tests and the status endpoint. */
export function memoState(): Readonly<MemoState> {
  return state;
}

/**
 * The per-isolate config memo. KV is never read per request: a refresh runs at most every
 * `refreshMs`, in the background (waitUntil) once something is loaded, so the request that
 * finds the memo due (an isolate idle past its refresh period included) is still served
 * from the config it holds, and the next one sees what the refresh found. Only a cold
 * isolate waits, and at most COLD_LOAD_TIMEOUT_MS; past that it serves un-enrolled. An
 * unchanged version is never re-parsed.
 */
export function getConfigView(
  kv: KVNamespace,
  now: number,
  refreshMs: number,
  waitUntil: (p: Promise<unknown>) => void,
): ConfigView | Promise<ConfigView> {
  // Fast path: a fresh memo is returned as is, not wrapped in a promise (no microtask turn).
  if (now - state.checkedAt < refreshMs) return state;
  return checkConfig(kv, now, waitUntil);
}

async function checkConfig(kv: KVNamespace, now: number, waitUntil: (p: Promise<unknown>) => void): Promise<ConfigView> {
  if (state.refreshing === null) {
    state.checkedAt = now;
    state.refreshing = refresh(kv, now).finally(() => {
      state.refreshing = null;
      state.attempted = true;
    });
  }
  if (state.attempted) {
    waitUntil(state.refreshing);
    return state;
  }
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, COLD_LOAD_TIMEOUT_MS);
  });
  await Promise.race([state.refreshing, timeout]);
  if (timer !== null) clearTimeout(timer);
  // Still loading: let it finish in the background for the next request.
  if (state.refreshing !== null) waitUntil(state.refreshing);
  return state;
}

/**
 * Stores a document the poller accepted: the document (with its metadata) first, then the
 * version pointer, so a reader that sees the new version finds its document.
 */
export async function storeAcceptedDocument(kv: KVNamespace, text: string, metadata: DocumentMetadata): Promise<void> {
  await kv.put(KV_KEYS.document, text, { metadata });
  await kv.put(KV_KEYS.version, metadata.version);
}

/**
 * Installs a config this isolate has just accepted itself (the scheduled poll), so its
 * next request uses it, without waiting for a refresh or re-reading and re-parsing KV
 * (contract §1, "How a new config reaches requests"). Other isolates pick it up from KV at
 * their next refresh.
 */
export function adoptConfig(config: CompiledConfig, metadata: DocumentMetadata, now: number): void {
  if (state.version === metadata.version) return;
  install(config, metadata.version, metadata.acceptedAt, now);
  // A cold isolate now has a config: its first request need not wait for KV.
  state.attempted = true;
}

function install(config: CompiledConfig, version: string, acceptedAt: number | null, now: number): void {
  state.generation++;
  state.config = config;
  state.version = version;
  state.acceptedAt = acceptedAt;
  state.loadedAt = now;
  state.lastError = null;
  counters.config.loads++;
  log("info", "config.loaded", { version, experiments: config.experiments.length, hosts: config.hosts.size });
}

async function refresh(kv: KVNamespace, now: number): Promise<void> {
  const generation = state.generation;
  try {
    const [version, kill] = await bounded(Promise.all([kv.get(KV_KEYS.version), kv.get(KV_KEYS.killSwitch)]));
    state.killed = kill === "on";
    if (version === null || version === state.version) {
      state.lastError = null;
      return;
    }
    const doc = await bounded(kv.getWithMetadata<DocumentMetadata>(KV_KEYS.document, "text"));
    if (doc.value === null) throw new Error("config/v1/version is set but the document is missing");
    // Under KV's eventual consistency the document may be newer or older than the pointer;
    // its own metadata says which version it really is. Never step back to an older
    // acceptance than the one installed (this isolate's own poll may have installed a newer
    // one while KV here still shows the previous).
    const acceptedAt = doc.metadata?.acceptedAt ?? null;
    if (state.generation !== generation || (acceptedAt !== null && state.acceptedAt !== null && acceptedAt < state.acceptedAt)) {
      state.lastError = null;
      return;
    }
    // In slices: requests arriving meanwhile are served (from the config held) between them,
    // instead of waiting for the whole parse of a large document.
    const parsed = await parseConfigTextInSlices(doc.value, yieldToRequests);
    if (!parsed.ok) {
      counters.config.rejected++;
      throw new Error(`stored config fails validation: ${parsed.issues[0]?.path} ${parsed.issues[0]?.message}`);
    }
    // This isolate's own poll may have installed a config while the slices ran.
    if (state.generation !== generation) {
      state.lastError = null;
      return;
    }
    install(parsed.config, doc.metadata?.version ?? version, acceptedAt, now);
  } catch (e) {
    counters.config.loadFailures++;
    state.lastError = (e as Error).message;
    log("error", "config.load_failed", { error: state.lastError, keeping: state.version });
  }
}

// A macrotask turn: the isolate takes the requests that came in before it continues.
function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// KV reads that never settle must not pin `state.refreshing` for ever.
async function bounded<T>(p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`KV did not answer within ${REFRESH_TIMEOUT_MS} ms`)), REFRESH_TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}
