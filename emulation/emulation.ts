import { readFileSync } from "node:fs";
import { AutoRouter, json } from "itty-router";
import { startConfigApi, isMode, CONFIG_API_MODES, SAMPLE_CONFIG_FILE, type ConfigApi, type ConfigApiMode } from "./config-api.js";
import { readUniqKeys } from "./dev-vars.js";
import { REPO_ROOT, startEdgeWorker, type EdgeWorker, type PollOutcome } from "./edge-worker.js";
import { serveFetch, type RunningServer } from "./node-serve.js";
import { startWikiOrigin, type WikiOrigin } from "./wiki-origin.js";

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
    const origin = await startWikiOrigin({ port: ports.origin });
    started.push(origin);
    const hosts = hostsOf(configApi.file);
    const cookieDomain = options.cookieDomain ?? commonParentDomain(hosts) ?? "";
    const keys = options.uniqKeys === undefined ? readUniqKeys(REPO_ROOT) : { value: options.uniqKeys, source: "options" };
    const worker = await startEdgeWorker({
      configUrl: configApi.configUrl,
      originUrl: origin.url,
      uniqKeys: keys.value,
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
  router.get("/", async () =>
    json({
      configApi: { url: deps.configApi.configUrl, mode: deps.configApi.mode(), stats: deps.configApi.stats },
      lastPoll: deps.lastPoll(),
      workerStatus: await workerStatus(),
      endpoints: {
        "POST /_emulation/poll": "run the worker's scheduled handler (the config poll) now",
        "POST /_emulation/mode?mode=...": `make the config API misbehave: ${CONFIG_API_MODES.join(" | ")}`,
      },
    }),
  );
  return serveFetch((request) => router.fetch(request), { port: deps.port });
}

/** One line for a poll: the worker's own verdict when it recorded one. */
function describePoll(p: PollOutcome): string {
  const s = p.status;
  if (p.outcome !== "ok" || s === null || typeof s.outcome !== "string") return `scheduled handler ${p.outcome} in ${p.ms} ms`;
  const http = typeof s.httpStatus === "number" ? ` (HTTP ${s.httpStatus})` : "";
  const reason = typeof s.reason === "string" && s.reason !== "" ? `: ${s.reason}` : "";
  return `${s.outcome}${http}${reason} in ${p.ms} ms`;
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
