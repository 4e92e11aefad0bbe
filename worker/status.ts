import type { CompiledConfig } from "../src/config-compile.js";
import { DEFAULT_CONFIG_URL, MAX_LIVE_EXPERIMENTS } from "../src/contract.js";
import { SUBJECT_ALGORITHM_VERSION } from "../src/subject.js";
import { TOKEN_VERSION } from "../src/token.js";
import { getConfigView, KV_KEYS, memoState } from "./config-store.js";
import { cookieDomainsInUse } from "./cookie-domain.js";
import { counters } from "./counters.js";
import type { Env } from "./env.js";
import type { PollStatus } from "./poller.js";
import { getSettings } from "./settings.js";
import { WORKER_VERSION } from "../src/version.js";

/**
 * `GET /_enrollment/status`: what an operator needs at 3 a.m. — is a config loaded, how
 * old is it, did the last poll work, is enrollment on, what is this isolate counting.
 * No secrets (key tags only, never keys), no addresses, no visitor data.
 */
export async function statusBody(env: Env, now: number, waitUntil: (p: Promise<unknown>) => void): Promise<Record<string, unknown>> {
  const settings = getSettings(env);
  const view = await getConfigView(env.CONFIG, now, settings.configRefreshMs, waitUntil);
  const memo = memoState();
  let poll: PollStatus | null = null;
  let pollError: string | null = null;
  try {
    poll = await env.CONFIG.get<PollStatus>(KV_KEYS.pollStatus, "json");
  } catch (e) {
    pollError = (e as Error).message;
  }
  const disabled = settings.disabledByVar || view.killed;
  return {
    worker: { version: WORKER_VERSION, tokenVersion: TOKEN_VERSION, subjectAlgorithm: SUBJECT_ALGORITHM_VERSION, maxLiveExperiments: MAX_LIVE_EXPERIMENTS },
    enrollment: {
      active: !disabled && settings.keyRing !== null && view.config !== null,
      killSwitch: { var: settings.disabledByVar, kv: view.killed },
    },
    config: {
      version: view.version,
      acceptedAt: view.acceptedAt === null ? null : new Date(view.acceptedAt).toISOString(),
      ageSeconds: view.acceptedAt === null ? null : Math.round((now - view.acceptedAt) / 1000),
      loadedInIsolateAt: memo.loadedAt === null ? null : new Date(memo.loadedAt).toISOString(),
      experiments: view.config?.experiments.length ?? 0,
      hosts: view.config?.hosts.size ?? 0,
      lastLoadError: memo.lastError,
      liveExperiments: liveByHost(view.config, now),
    },
    poll: poll ?? (pollError === null ? null : { error: pollError }),
    keyRing: settings.keyRing === null
      ? { ok: false, error: settings.keyRingError }
      : { ok: true, mintingTag: settings.keyRing.minting.tag, tags: settings.keyRing.tags, developmentKey: settings.keyRing.usesDevelopmentKey },
    // contract §10: the preview ring's tags, never its keys; off when PREVIEW_KEYS is unset
    // (error null) or refused (malformed, or sharing a key with UNIQ_KEYS).
    previewKeyRing: settings.previewKeyRing === null
      ? { on: false, error: settings.previewKeyRingError }
      : { on: true, mintingTag: settings.previewKeyRing.minting.tag, tags: settings.previewKeyRing.tags, developmentKey: settings.previewKeyRing.usesDevelopmentKey },
    settings: {
      // Whether they are set, never the addresses: the status page is public, and an
      // origin's address is what lets a client bypass the CDN.
      configUrl: settings.configUrl === DEFAULT_CONFIG_URL ? "default (Test Kitchen)" : "custom",
      origin: settings.originBase === null ? "request URL" : "ORIGIN_URL",
      eventsPath: settings.eventsPath,
      cookieDomain: settings.cookieDomain ?? "(registrable domain of the host)",
      configRefreshMs: settings.configRefreshMs,
      splitCache: settings.splitCache,
      countryHeader: settings.countryHeader,
      errors: settings.errors,
    },
    // Config host -> the cookie Domain minted there (null = host-only), so a bad one shows.
    cookieDomains: cookieDomainsInUse((host) => view.config?.hosts.has(host) === true),
    counters,
  };
}

/** Per host, the experiments live at `now`, in config order (what a visitor there can be in). */
function liveByHost(config: CompiledConfig | null, now: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [host, plan] of config?.hosts ?? []) out[host] = plan.experiments.filter((e) => e.startMs <= now && now < e.endMs).map((e) => e.name);
  return out;
}
