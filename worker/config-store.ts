import type { CompiledConfig } from "../src/config-compile.js";
import { parseConfigText } from "../src/config-parse.js";
import { counters } from "./counters.js";
import { log } from "./log.js";

/**
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
 * `refreshMs`, in the background (waitUntil) once something is loaded. Only a cold isolate
 * waits, and at most COLD_LOAD_TIMEOUT_MS; past that it serves un-enrolled. An unchanged
 * version is never re-parsed.
 */
export async function getConfigView(
  kv: KVNamespace,
  now: number,
  refreshMs: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<ConfigView> {
  if (now - state.checkedAt < refreshMs) return state;
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

async function refresh(kv: KVNamespace, now: number): Promise<void> {
  try {
    const [version, kill] = await bounded(Promise.all([kv.get(KV_KEYS.version), kv.get(KV_KEYS.killSwitch)]));
    state.killed = kill === "on";
    if (version === null || version === state.version) {
      state.lastError = null;
      return;
    }
    const doc = await bounded(kv.getWithMetadata<DocumentMetadata>(KV_KEYS.document, "text"));
    if (doc.value === null) throw new Error("config/v1/version is set but the document is missing");
    const parsed = parseConfigText(doc.value);
    if (!parsed.ok) {
      counters.config.rejected++;
      throw new Error(`stored config fails validation: ${parsed.issues[0]?.path} ${parsed.issues[0]?.message}`);
    }
    state.config = parsed.config;
    // Under KV's eventual consistency the document may be newer or older than the pointer;
    // its own metadata says which version it really is.
    state.version = doc.metadata?.version ?? version;
    state.acceptedAt = doc.metadata?.acceptedAt ?? null;
    state.loadedAt = now;
    state.lastError = null;
    counters.config.loads++;
    log("info", "config.loaded", { version: state.version, experiments: parsed.config.experiments.length, hosts: parsed.config.hosts.size });
  } catch (e) {
    counters.config.loadFailures++;
    state.lastError = (e as Error).message;
    log("error", "config.load_failed", { error: state.lastError, keeping: state.version });
  }
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
