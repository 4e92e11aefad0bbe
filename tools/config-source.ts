import { readFile, stat } from "node:fs/promises";
import { acceptConfigDocument, acceptConfigResponse, pollRequestHeaders, readCapped, screenConfigResponse, type ConfigAcceptance } from "../src/config-source.js";
import { MAX_CONFIG_BYTES, MAX_POLL_TIMEOUT_MS } from "../src/contract.js";
import { WORKER_VERSION } from "../src/version.js";

/**
 * Getting a config document the way the worker's poller accepts it (docs/contract.md §1,
 * §7): the I/O only. For a URL, GET with a 10 s timeout and redirects not followed; for a
 * file, a read. The verdict (status 200, a JSON content type, at most 5 MB, strict UTF-8,
 * a valid document) is src/config-source.ts's, the poller's own, so an operator sees here
 * exactly what the worker would refuse.
 */

export const CONFIG_TIMEOUT_MS = MAX_POLL_TIMEOUT_MS;
export const CONFIG_MAX_BYTES = MAX_CONFIG_BYTES;

/** `X-Experiment-Config-Poller` of the tools: they poll like the worker, from an operator's machine. */
export const TOOL_POLLER = "edge-enrollment operator tool";

/**
 * The acceptance verdict, with `error` naming the source ("GET <url>: …" or "<file>: …").
 * `kind` "io" is a fetch or read failure (no document to judge).
 */
export type SourceResult =
  | Extract<ConfigAcceptance, { ok: true }>
  | {
      readonly ok: false;
      readonly kind: Extract<ConfigAcceptance, { ok: false }>["kind"] | "io";
      readonly error: string;
      readonly issues: Extract<ConfigAcceptance, { ok: false }>["issues"];
      /** The text of an invalid document, for showing the rule an issue points into. */
      readonly text?: string;
    };

export interface SourceOptions {
  readonly timeoutMs?: number;
}

/** True for `http://` and `https://` sources; everything else is a file path. */
export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Reads a file or fetches a URL, and judges it; never throws. */
export async function loadConfigSource(source: string, options: SourceOptions = {}): Promise<SourceResult> {
  return isUrlSource(source) ? fetchConfig(source, options) : readConfigFile(source);
}

function named(source: string, verdict: ConfigAcceptance): SourceResult {
  if (verdict.ok) return verdict;
  const failed = { ok: false as const, kind: verdict.kind, error: `${source}: ${verdict.reason}`, issues: verdict.issues };
  return verdict.text === undefined ? failed : { ...failed, text: verdict.text };
}

function ioError(error: string): SourceResult {
  return { ok: false, kind: "io", error, issues: [] };
}

/** Fetches a config URL under the poller's rules. */
export async function fetchConfig(url: string, options: SourceOptions = {}): Promise<SourceResult> {
  const timeoutMs = options.timeoutMs ?? CONFIG_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const source = `GET ${url}`;
  try {
    // Like the poller: redirects are not followed, so a 3xx is "not 200".
    const response = await fetch(url, { headers: pollRequestHeaders(WORKER_VERSION, TOOL_POLLER), signal, redirect: "manual" });
    const type = response.headers.get("content-type");
    const early = screenConfigResponse(response.status, type, response.headers.get("content-length"));
    if (early !== null) {
      await response.body?.cancel();
      return named(source, early);
    }
    return named(source, acceptConfigResponse(response.status, type, await readCapped(response.body)));
  } catch (e) {
    if (signal.aborted) return ioError(`${source}: no complete answer within ${timeoutMs / 1000} s`);
    return ioError(`${source}: ${networkMessage(e)}`);
  }
}

/** Reads a config file under the same body rules (size, UTF-8, validation). */
export async function readConfigFile(path: string): Promise<SourceResult> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return ioError(`${path}: not a file`);
    // Over the cap: not read at all (acceptConfigDocument says why, in the poller's words).
    return named(path, acceptConfigDocument(info.size > CONFIG_MAX_BYTES ? null : await readFile(path)));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return ioError(`${path}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
}

// undici says "fetch failed" and hides the useful part in `cause`.
function networkMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code !== undefined && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return e.message;
}
