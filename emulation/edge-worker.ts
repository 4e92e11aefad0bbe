import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import { EMULATION_COUNTRY_HEADER } from "./emulated-country.js";
import { projectCompatibility } from "./compatibility.js";

/**
 * The built worker (dist/worker.js) in workerd through Miniflare, wired to the emulated
 * config API and wiki origin. Miniflare is the right host for correctness and demos (for
 * throughput use raw workerd, as bench/ does). The cron is not run by Miniflare itself:
 * poll() invokes the worker's scheduled handler, which is what Cloudflare does every minute.
 * Miniflare has no `request.cf.country`, so the worker reads the country from an
 * emulation-only header (COUNTRY_HEADER = X-Emulation-Country, see emulated-country.ts).
 */

/** The repository root (emulation/..). */
export const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const DEFAULT_SCRIPT = join(REPO_ROOT, "dist", "worker.js");
/** Where wrangler keeps local KV, so `wrangler dev` and the emulation share it. */
export const DEFAULT_KV_PERSIST = join(REPO_ROOT, ".wrangler", "state", "v3", "kv");

export interface EdgeWorkerOptions {
  readonly configUrl: string;
  readonly originUrl: string;
  readonly uniqKeys: string;
  /** PREVIEW_KEYS (contract §10); absent or "" = previews off. */
  readonly previewKeys?: string;
  /** 0 picks a free port; default 8787. */
  readonly port?: number;
  readonly host?: string;
  readonly scriptPath?: string;
  /** A directory for KV, or false for memory only (default: memory). */
  readonly kvPersist?: string | false;
  readonly eventsPath?: string;
  readonly cookieDomain?: string;
  /** Passed as CONFIG_REFRESH_MS when set. */
  readonly configRefreshMs?: number;
  /** Further vars for the worker, e.g. CONFIG_POLL_TIMEOUT_MS, ENROLLMENT_DISABLED or BOT_POLICY. */
  readonly vars?: Readonly<Record<string, string>>;
  /** Receives each line the worker logs (default: dropped). */
  readonly onLog?: (line: string, stream: "stdout" | "stderr") => void;
}

/**
 * What one run of the scheduled handler did, with one outcome: the worker's own
 * (`updated`, `unchanged`, `not-modified`, `rejected`, `failed`, from the status record it
 * wrote to KV, whose other fields are spread beside it), or `handler-error` when the
 * scheduled event itself did not complete (workerd's verdict in `reason`).
 */
export interface PollOutcome extends PollStatusRecord {
  readonly outcome: string;
  readonly reason: string | null;
  /** Wall time of the scheduled event, ms. */
  readonly ms: number;
}

/** The fields of the worker's poll status record the emulation reports. */
export interface PollStatusRecord {
  readonly outcome?: string;
  readonly reason?: string | null;
  readonly httpStatus?: number | null;
  readonly version?: string | null;
  readonly [field: string]: unknown;
}

/** KV key of the worker's poll status record (worker/config-store.ts). */
const POLL_STATUS_KEY = "poll/v1/status";

export interface EdgeWorker {
  /** Base URL on 127.0.0.1 (use a `*.localhost` host name with its port in a browser). */
  readonly url: string;
  readonly port: number;
  readonly mf: Miniflare;
  /** Runs the scheduled handler once (the config poll). */
  poll(): Promise<PollOutcome>;
  close(): Promise<void>;
}

/** Checks that dist/worker.js is a real build with both handlers; throws a helpful error. */
function assertBuiltWorker(scriptPath: string): void {
  if (!existsSync(scriptPath)) throw new Error(`${scriptPath} is missing: run \`npm run build\` first`);
  const text = readFileSync(scriptPath, "utf8");
  if (!/\bscheduled\b/.test(text)) {
    throw new Error(`${scriptPath} has no scheduled handler: it is not the enrollment worker yet (run \`npm run build\`)`);
  }
}

/** Starts the worker under Miniflare. */
export async function startEdgeWorker(options: EdgeWorkerOptions): Promise<EdgeWorker> {
  const scriptPath = options.scriptPath ?? DEFAULT_SCRIPT;
  assertBuiltWorker(scriptPath);
  const bindings: Record<string, string> = {
    CONFIG_URL: options.configUrl,
    ORIGIN_URL: options.originUrl,
    EVENTS_PATH: options.eventsPath ?? "/evt-103e/v2/events",
    COOKIE_DOMAIN: options.cookieDomain ?? "",
    UNIQ_KEYS: options.uniqKeys,
    ...(options.previewKeys ? { PREVIEW_KEYS: options.previewKeys } : {}),
    COUNTRY_HEADER: EMULATION_COUNTRY_HEADER,
    ...options.vars,
  };
  if (options.configRefreshMs !== undefined) bindings["CONFIG_REFRESH_MS"] = String(options.configRefreshMs);
  const onLog = options.onLog;
  const compatibility = projectCompatibility();
  const mf = new Miniflare({
    scriptPath,
    modules: true,
    // Module names are relative to this root; without it a script outside the cwd fails.
    modulesRoot: dirname(scriptPath),
    compatibilityDate: compatibility.date,
    compatibilityFlags: compatibility.flags,
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 8787,
    kvNamespaces: ["CONFIG"],
    kvPersist: options.kvPersist ?? false,
    cachePersist: false,
    bindings,
    cf: false,
    telemetry: { enabled: false },
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      forwardLines(stdout, (line) => onLog?.(line, "stdout"));
      forwardLines(stderr, (line) => onLog?.(line, "stderr"));
    },
  });
  let url: URL;
  try {
    url = await mf.ready;
  } catch (e) {
    await mf.dispose().catch(() => {});
    throw e;
  }
  const base = url.origin;
  let closing: Promise<void> | null = null;
  return {
    url: base,
    port: Number(url.port),
    mf,
    async poll() {
      const started = performance.now();
      const worker = await mf.getWorker();
      const result = await worker.scheduled({ cron: "* * * * *", scheduledTime: new Date() });
      const ms = Math.round(performance.now() - started);
      let status: PollStatusRecord | null = null;
      try {
        const kv = await mf.getKVNamespace("CONFIG");
        const text = await kv.get(POLL_STATUS_KEY, "text");
        status = text === null ? null : (JSON.parse(text) as PollStatusRecord);
      } catch {
        status = null;
      }
      if (result.outcome !== "ok") return { outcome: "handler-error", reason: `scheduled event: ${result.outcome}`, ms };
      if (status === null || typeof status.outcome !== "string") return { outcome: "failed", reason: "the poll wrote no status record", ms };
      return { ...status, outcome: status.outcome, reason: status.reason ?? null, ms };
    },
    close() {
      closing ??= mf.dispose();
      return closing;
    },
  };
}

function forwardLines(stream: Readable, sink: (line: string) => void): void {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") sink(line);
  });
  stream.on("end", () => {
    if (rest.trim() !== "") sink(rest);
  });
}
