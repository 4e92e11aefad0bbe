import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { AutoRouter, json } from "itty-router";
import { startConfigApi, isMode, CONFIG_API_MODES, SAMPLE_CONFIG_FILE, type ConfigApi, type ConfigApiMode } from "./config-api.js";
import { readPreviewKeys, readUniqKeys } from "./dev-vars.js";
import { EMULATION_COUNTRY_HEADER } from "./emulated-country.js";
import { REPO_ROOT, startEdgeWorker, type EdgeWorker, type PollOutcome } from "./edge-worker.js";
import { serveFetch, type RunningServer } from "./node-serve.js";
import { emulationMapPage, type HeldConfig } from "./map-page.js";
import { startWikiOrigin, type WikiOrigin } from "./wiki-origin.js";
import { MAP_PAGE_CSP } from "../tools/bucket-map-html.js";
import type { CompiledConfig } from "../src/config-compile.js";
import { parseConfigText } from "../src/config-parse.js";
import { parseKeyRing } from "../src/keyring.js";
import { checkPairs, groupsOf, linkBase, linkPath, makePreviewLink, parseTtl, type PreviewLink, type PreviewPair } from "../tools/preview-mint.js";

/**
 * The whole system on one machine: config API, wiki origin, the worker in Miniflare wired
 * to both, a config poll at start-up and every minute, and a small control server to poll
 * on demand or switch the config API's behaviour. `npm start` runs it on fixed ports; the
 * browser test runs it on free ones.
 */

/** Fixed default ports of `npm start` (each overridable, see main.ts). */
export const DEFAULT_PORTS = { worker: 8787, configApi: 8788, origin: 8789, control: 8790 } as const;

export interface EmulationOptions {
  /** Ports; 0 picks a free one. Defaults: DEFAULT_PORTS. */
  readonly ports?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
  /** The config document; default emulation/sample-config.json. */
  readonly configFile?: string;
  readonly configMode?: ConfigApiMode;
  readonly scriptPath?: string;
  /** KV directory, or false for memory only (default: memory). */
  readonly kvPersist?: string | false;
  /** Default: UNIQ_KEYS from .dev.vars, .dev.vars.example, or the development key. */
  readonly uniqKeys?: string;
  /** PREVIEW_KEYS (contract §10). Default: from .dev.vars, .dev.vars.example, or the development preview key; "" = previews off. */
  readonly previewKeys?: string;
  /**
   * COOKIE_DOMAIN for the worker. Default: the common parent of the config's hosts (one
   * cookie for en and de, like `.wikipedia.org`); "" = the worker's own rule (host-only
   * cookies on `*.localhost`).
   */
  readonly cookieDomain?: string;
  readonly configRefreshMs?: number;
  /** Further vars for the worker (e.g. CONFIG_POLL_TIMEOUT_MS). */
  readonly vars?: Readonly<Record<string, string>>;
  /** Delay of the config API's `slow` mode in ms (default 15000). */
  readonly slowMs?: number;
  /** How often to run the scheduled handler; 0 = only at start-up and on demand. Default 60000. */
  readonly pollIntervalMs?: number;
  /** Emulation messages and worker log lines (default: dropped). */
  readonly log?: (line: string) => void;
}

/** The last poll, for the control server. */
export interface PollRecord extends PollOutcome {
  readonly at: string;
  readonly trigger: string;
}

export interface Emulation extends RunningServer {
  /** The worker's base URL on 127.0.0.1; `url` is the same. */
  readonly workerUrl: string;
  readonly configApi: ConfigApi;
  readonly origin: WikiOrigin;
  readonly worker: EdgeWorker;
  readonly controlUrl: string;
  /** Wiki hosts of the config document at start-up, e.g. en.wikipedia.localhost. */
  readonly hosts: readonly string[];
  readonly uniqKeysSource: string;
  /** Where PREVIEW_KEYS came from, or null when previews are off. */
  readonly previewKeysSource: string | null;
  /**
   * A preview link on `host` through this worker (contract §10), made by the preview-link
   * tool's own code: the pairs checked against the config being served, the token signed
   * under the worker's PREVIEW_KEYS. Throws when previews are off or a pair does not fit.
   */
  previewLink(host: string, pairs: readonly PreviewPair[], options?: { path?: string; ttl?: string }): PreviewLink;
  /** The COOKIE_DOMAIN given to the worker ("" = its own rule). */
  readonly cookieDomain: string;
  /** A browser URL through the worker, e.g. http://en.wikipedia.localhost:8787/wiki/Main_Page. */
  pageUrl(host: string, path?: string): string;
  /** Runs the scheduled handler now (serialised with the periodic poll). */
  poll(trigger?: string): Promise<PollRecord>;
  lastPoll(): PollRecord | null;
}

/** Starts everything; close() stops everything. */
export async function startEmulation(options: EmulationOptions = {}): Promise<Emulation> {
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const log = options.log ?? (() => {});
  const started: { close(): Promise<void> }[] = [];
  const stopAll = async () => {
    await Promise.allSettled(started.reverse().map((s) => s.close()));
  };
  try {
    const configApi = await startConfigApi({
      port: ports.configApi,
      file: options.configFile ?? SAMPLE_CONFIG_FILE,
      ...(options.configMode === undefined ? {} : { mode: options.configMode }),
      ...(options.slowMs === undefined ? {} : { slowMs: options.slowMs }),
    });
    started.push(configApi);
    // The wiki pages link to the control server's map; its port is known once it listens.
    let mapUrl: string | null = null;
    // The origin recomputes the edge's request context, so it reads the worker's settings.
    const sessionCookiePattern = options.vars?.["SESSION_COOKIE_PATTERN"];
    const origin = await startWikiOrigin({
      port: ports.origin,
      mapUrl: () => mapUrl,
      countryHeader: options.vars?.["COUNTRY_HEADER"] || EMULATION_COUNTRY_HEADER,
      ...(sessionCookiePattern ? { sessionCookiePattern } : {}),
    });
    started.push(origin);
    const hosts = hostsOf(configApi.file);
    const cookieDomain = options.cookieDomain ?? commonParentDomain(hosts) ?? "";
    const keys = options.uniqKeys === undefined ? readUniqKeys(REPO_ROOT) : { value: options.uniqKeys, source: "options" };
    const previewKeys = options.previewKeys === undefined ? readPreviewKeys(REPO_ROOT) : { value: options.previewKeys, source: "options" };
    const worker = await startEdgeWorker({
      configUrl: configApi.configUrl,
      originUrl: origin.url,
      uniqKeys: keys.value,
      previewKeys: previewKeys.value,
      port: ports.worker,
      eventsPath: origin.eventsPath,
      kvPersist: options.kvPersist ?? false,
      onLog: (line) => log(`[worker] ${line}`),
      ...(options.scriptPath === undefined ? {} : { scriptPath: options.scriptPath }),
      cookieDomain,
      ...(options.configRefreshMs === undefined ? {} : { configRefreshMs: options.configRefreshMs }),
      ...(options.vars === undefined ? {} : { vars: options.vars }),
    });
    started.push(worker);

    let last: PollRecord | null = null;
    let queue: Promise<unknown> = Promise.resolve();
    const poll = (trigger = "on demand"): Promise<PollRecord> => {
      const run = queue.then(async () => {
        const outcome = await worker.poll();
        last = { ...outcome, at: new Date().toISOString(), trigger };
        log(`[emulation] config poll (${trigger}): ${describePoll(outcome)}`);
        return last;
      });
      queue = run.catch(() => {});
      return run;
    };

    const control = await startControl({ port: ports.control, configApi, worker, poll, lastPoll: () => last });
    started.push(control);
    mapUrl = `${control.url}/_emulation/map`;

    await poll("start-up");
    const interval = options.pollIntervalMs ?? 60_000;
    let timer: NodeJS.Timeout | null = null;
    if (interval > 0) {
      timer = setInterval(() => {
        poll("every minute").catch((e: Error) => log(`[emulation] scheduled poll failed: ${e.message}`));
      }, interval);
      timer.unref();
    }

    let closing: Promise<void> | null = null;
    return {
      url: worker.url,
      port: worker.port,
      workerUrl: worker.url,
      configApi,
      origin,
      worker,
      controlUrl: control.url,
      hosts,
      uniqKeysSource: keys.source,
      previewKeysSource: previewKeys.value === "" ? null : previewKeys.source,
      previewLink: (host, pairs, opts = {}) => emulationPreviewLink(previewKeys.value, configApi.file, `http://${host}:${worker.port}`, host, pairs, opts),
      cookieDomain,
      pageUrl: (host, path = "/wiki/Main_Page") => `http://${host}:${worker.port}${path}`,
      poll,
      lastPoll: () => last,
      close() {
        closing ??= (async () => {
          if (timer) clearInterval(timer);
          await queue;
          await stopAll();
        })();
        return closing;
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

interface ControlDeps {
  readonly port: number;
  readonly configApi: ConfigApi;
  readonly worker: EdgeWorker;
  poll(trigger?: string): Promise<PollRecord>;
  lastPoll(): PollRecord | null;
}

/** The control server: poll on demand, switch the config API mode, see what happened. */
async function startControl(deps: ControlDeps): Promise<RunningServer> {
  const router = AutoRouter();
  const workerStatus = async (): Promise<unknown> => {
    try {
      const r = await fetch(`${deps.worker.url}/_enrollment/status`);
      const text = await r.text();
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return { status: r.status, body: text.slice(0, 500) };
      }
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  router.post("/_emulation/poll", async () => {
    const poll = await deps.poll("control endpoint");
    return json({ poll, workerStatus: await workerStatus() });
  });
  router.post("/_emulation/mode", (request) => {
    const wanted = request.query["mode"];
    if (typeof wanted !== "string" || !isMode(wanted)) {
      return json({ error: `mode must be one of ${CONFIG_API_MODES.join(", ")}` }, { status: 400 });
    }
    deps.configApi.setMode(wanted);
    return json({ mode: wanted, hint: "now trigger a poll: POST /_emulation/poll" });
  });
  router.get("/_emulation/map", async (request) => {
    const page = emulationMapPage({
      held: await heldConfig(deps.worker),
      served: { file: deps.configApi.file, text: await readFile(deps.configApi.file, "utf8").catch(() => null) },
      nowMs: Date.now(),
      pending: new URL(request.url).searchParams.has("pending"),
    });
    return new Response(page, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": MAP_PAGE_CSP } });
  });
  router.get("/", async () =>
    json({
      configApi: { url: deps.configApi.configUrl, mode: deps.configApi.mode(), stats: deps.configApi.stats },
      lastPoll: deps.lastPoll(),
      workerStatus: await workerStatus(),
      endpoints: {
        "POST /_emulation/poll": "run the worker's scheduled handler (the config poll) now",
        "POST /_emulation/mode?mode=...": `make the config API misbehave: ${CONFIG_API_MODES.join(" | ")}`,
        "GET /_emulation/map": "the bucket map of the config the worker holds (?pending: what the next poll would change)",
      },
    }),
  );
  return serveFetch((request) => router.fetch(request), { port: deps.port });
}

/** The preview-link tool's steps, in its order, for a link through the emulated worker. */
function emulationPreviewLink(
  keys: string,
  configFile: string,
  base: string,
  host: string,
  pairs: readonly PreviewPair[],
  opts: { path?: string; ttl?: string },
): PreviewLink {
  if (keys === "") throw new Error("previews are off: the emulation runs without PREVIEW_KEYS");
  const ring = parseKeyRing(keys);
  if (!ring.ok) throw new Error(`PREVIEW_KEYS: ${ring.error}`);
  const config = configOf(configFile);
  const ttl = parseTtl(opts.ttl);
  if (!ttl.ok) throw new Error(ttl.error);
  const nowMs = Date.now();
  const { problems } = checkPairs(config, host, pairs, nowMs, nowMs + ttl.ms);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.pair}: ${p.message}`).join("; "));
  const b = linkBase(host, base);
  if (!b.ok) throw new Error(b.error);
  const path = linkPath(opts.path ?? "/wiki/Main_Page");
  if (!path.ok) throw new Error(path.error);
  return makePreviewLink({ ring: ring.ring, host, pairs, nowMs, ttlMs: ttl.ms, base: b.base, path: path.path });
}

function configOf(file: string): CompiledConfig {
  const parsed = parseConfigText(readFileSync(file, "utf8"));
  if (!parsed.ok) throw new Error(`${file} does not validate: ${parsed.issues[0]?.path} ${parsed.issues[0]?.message}`);
  return parsed.config;
}

/**
 * What the start-up banner's preview link shows: the last group of the first two live,
 * cache-split experiments on `host` (so both the page header and Server-Timing show it),
 * e.g. `sticky-header-2026=treatment`. Empty when the host has none.
 */
export function bannerPreviewPairs(configFile: string, host: string, nowMs = Date.now()): PreviewPair[] {
  let config: CompiledConfig;
  try {
    config = configOf(configFile);
  } catch {
    return [];
  }
  const live = (config.hosts.get(host)?.experiments ?? []).filter((e) => e.cacheSplit && e.startMs <= nowMs && nowMs < e.endMs);
  return live.slice(0, 2).map((e) => ({ experiment: e.name, group: groupsOf(e).at(-1)! }));
}

/** KV key of the worker's accepted document (worker/config-store.ts), metadata { version, acceptedAt }. */
export const DOCUMENT_KEY = "config/v1/document";

/** The document the worker accepted last, from its KV; null before any was. */
async function heldConfig(worker: EdgeWorker): Promise<HeldConfig | null> {
  const kv = await worker.mf.getKVNamespace("CONFIG");
  const doc = await kv.getWithMetadata(DOCUMENT_KEY, "text");
  const version = (doc.metadata as { version?: unknown } | null)?.version;
  return doc.value === null ? null : { text: doc.value, version: typeof version === "string" ? version : null };
}

/** One line for a poll. */
export function describePoll(p: PollOutcome): string {
  const http = typeof p.httpStatus === "number" ? ` (HTTP ${p.httpStatus})` : "";
  const reason = p.reason !== null && p.reason !== "" ? `: ${p.reason}` : "";
  return `${p.outcome}${http}${reason} in ${p.ms} ms`;
}

/**
 * The cookie Domain for the emulation: the common parent of the config's hosts
 * (en.wikipedia.localhost + de.wikipedia.localhost -> wikipedia.localhost), so one cookie
 * spans the wikis as `.wikipedia.org` does in production; null when there is none.
 */
export function commonParentDomain(hosts: readonly string[]): string | null {
  if (hosts.length === 0) return null;
  const parents = hosts.map((h) => h.split(".").slice(1));
  let common = parents[0]!;
  for (const labels of parents.slice(1)) {
    let n = 0;
    while (n < common.length && n < labels.length && common[common.length - 1 - n] === labels[labels.length - 1 - n]) n++;
    common = common.slice(common.length - n);
  }
  return common.length >= 2 ? common.join(".") : null;
}

/** The hosts named in a config document, in order; empty if it does not parse. */
function hostsOf(file: string): string[] {
  try {
    const doc = JSON.parse(readFileSync(file, "utf8")) as Record<string, { domains?: Record<string, unknown> }>;
    const hosts = new Set<string>();
    for (const [name, exp] of Object.entries(doc)) {
      if (name === "_comment" || typeof exp !== "object" || exp === null) continue;
      for (const host of Object.keys(exp.domains ?? {})) hosts.add(host);
    }
    return [...hosts];
  } catch {
    return [];
  }
}
