import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { AutoRouter, json } from "itty-router";
import { serveFetch, type RunningServer } from "./node-serve.js";

/**
 * An emulated Test Kitchen config API: serves
 * `/api/v1/experiments?format=config&authority=varnish` from a JSON file that is re-read on
 * every request, so edits show up at the next poll. It behaves like a well-run HTTP API
 * (JSON content type, ETag, 304 on a matching If-None-Match) and can be told to misbehave,
 * so the worker's "reject and keep the last good config" path can be demonstrated.
 */

/** The path (and query) the worker polls. */
export const CONFIG_PATH = "/api/v1/experiments?format=config&authority=varnish";

/** The committed sample document. */
export const SAMPLE_CONFIG_FILE = fileURLToPath(new URL("./sample-config.json", import.meta.url));

/**
 * How the API answers config requests:
 * - `ok`: the file, 200 (or 304), `application/json; charset=utf-8`.
 * - `error500`: 500 with a JSON error body.
 * - `slow`: the good answer, but only after `slowMs` (default 15 s, beyond the worker's 10 s poll timeout).
 * - `invalid-json`: 200 JSON content type, body cut in half.
 * - `wrong-type`: 200 with the good body but `Content-Type: text/html`.
 * - `invalid-config`: 200 well-formed JSON that fails validation (overlapping ranges).
 */
export const CONFIG_API_MODES = ["ok", "error500", "slow", "invalid-json", "wrong-type", "invalid-config"] as const;
export type ConfigApiMode = (typeof CONFIG_API_MODES)[number];

export interface ConfigApiOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** The document to serve; default emulation/sample-config.json. */
  readonly file?: string;
  readonly mode?: ConfigApiMode;
  /** Delay of the `slow` mode in ms (default 15000). */
  readonly slowMs?: number;
}

/** What the API saw last; for the control page and tests. */
export interface ConfigApiStats {
  requests: number;
  notModified: number;
  lastRequestAt: string | null;
  lastIfNoneMatch: string | null;
  lastStatus: number | null;
}

export interface ConfigApi extends RunningServer {
  /** The full URL to give the worker as CONFIG_URL. */
  readonly configUrl: string;
  readonly file: string;
  readonly stats: Readonly<ConfigApiStats>;
  mode(): ConfigApiMode;
  setMode(mode: ConfigApiMode): void;
}

const JSON_TYPE = "application/json; charset=utf-8";

/** Starts the emulated config API. */
export async function startConfigApi(options: ConfigApiOptions = {}): Promise<ConfigApi> {
  const file = options.file ?? SAMPLE_CONFIG_FILE;
  const slowMs = options.slowMs ?? 15_000;
  let mode: ConfigApiMode = options.mode ?? "ok";
  const stats: ConfigApiStats = { requests: 0, notModified: 0, lastRequestAt: null, lastIfNoneMatch: null, lastStatus: null };
  const pending = new Set<() => void>();

  const router = AutoRouter({ missing: () => json({ error: "not found" }, { status: 404 }) });

  router.get("/api/v1/experiments", async (request) => {
    stats.requests++;
    stats.lastRequestAt = new Date().toISOString();
    stats.lastIfNoneMatch = request.headers.get("if-none-match");
    const response = await answerConfig(request, mode);
    stats.lastStatus = response.status;
    if (response.status === 304) stats.notModified++;
    return response;
  });

  router.get("/_emulation/mode", () => json({ mode, modes: CONFIG_API_MODES }));
  router.post("/_emulation/mode", (request) => {
    const wanted = request.query["mode"];
    if (typeof wanted !== "string" || !isMode(wanted)) {
      return json({ error: `mode must be one of ${CONFIG_API_MODES.join(", ")}` }, { status: 400 });
    }
    mode = wanted;
    return json({ mode });
  });
  router.get("/_emulation/status", () => json({ mode, file, stats }));
  router.get("/", () =>
    new Response(
      `Emulated Test Kitchen config API\n\n` +
        `GET  ${CONFIG_PATH}\n` +
        `POST /_emulation/mode?mode=${CONFIG_API_MODES.join("|")}   (now: ${mode})\n` +
        `GET  /_emulation/status\n\nServing ${file}\n`,
      { headers: { "content-type": "text/plain; charset=utf-8" } },
    ),
  );

  async function answerConfig(request: Request, current: ConfigApiMode): Promise<Response> {
    const url = new URL(request.url);
    if (url.searchParams.get("format") !== "config" || url.searchParams.get("authority") !== "varnish") {
      return json({ error: "this emulation serves only ?format=config&authority=varnish" }, { status: 400 });
    }
    if (current === "error500") return json({ error: "emulated upstream failure" }, { status: 500 });
    if (current === "slow") await sleep(slowMs, pending);

    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      return json({ error: `cannot read ${file}: ${(e as Error).message}` }, { status: 500 });
    }
    if (current === "invalid-json") text = text.slice(0, Math.floor(text.length / 2));
    if (current === "invalid-config") text = INVALID_CONFIG;

    const etag = `"${createHash("sha256").update(text).digest("hex").slice(0, 32)}"`;
    const headers = new Headers({
      "content-type": current === "wrong-type" ? "text/html; charset=utf-8" : JSON_TYPE,
      etag,
      "cache-control": "no-cache",
    });
    // Only a well-behaved answer may be a 304: a misbehaving one must reach the poller.
    const wellBehaved = current === "ok" || current === "slow";
    if (wellBehaved && matchesEtag(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
    return new Response(text, { status: 200, headers });
  }

  const server = await serveFetch((request) => router.fetch(request), options);
  return {
    ...server,
    configUrl: server.url + CONFIG_PATH,
    file,
    stats,
    mode: () => mode,
    setMode(next) {
      mode = next;
    },
    async close() {
      for (const wake of pending) wake();
      await server.close();
    },
  };
}

/** Whether a string names a mode. */
export function isMode(value: string): value is ConfigApiMode {
  return (CONFIG_API_MODES as readonly string[]).includes(value);
}

/** RFC 9110 If-None-Match: `*` or a list of (weak or strong) tags, compared weakly. */
export function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

// Well-formed JSON that fails validation: two groups of one domain overlap.
const INVALID_CONFIG = `{
  "emulated-invalid-config": {
    "start": "2025-01-01T00:00:00Z",
    "end": "2036-01-01T00:00:00Z",
    "domains": {
      "en.wikipedia.localhost": { "groups": { "control": [0, 59999], "treatment": [50000, 99999] } }
    }
  }
}
`;

function sleep(ms: number, pending: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      pending.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    pending.add(wake);
  });
}
