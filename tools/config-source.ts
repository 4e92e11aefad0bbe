import { readFile, stat } from "node:fs/promises";
import { decodeUtf8, isJsonContentType, readCapped } from "../src/config-source.js";
import { MAX_CONFIG_BYTES, MAX_POLL_TIMEOUT_MS } from "../src/contract.js";

/**
 * Getting a config document's text the way the worker's poller accepts it (DESIGN §1, §7):
 * for a URL, GET with a 10 s timeout, redirects not followed, status 200, a JSON content
 * type, a body of at most 5 MB of valid UTF-8; for a file, the same size and UTF-8 rules. Anything else is an error the operator sees before
 * publishing, not a config the worker would silently refuse.
 */

export const CONFIG_TIMEOUT_MS = MAX_POLL_TIMEOUT_MS;
export const CONFIG_MAX_BYTES = MAX_CONFIG_BYTES;
export { isJsonContentType, readCapped };

export type SourceResult = { ok: true; text: string } | { ok: false; error: string };

export interface SourceOptions {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

/** True for `http://` and `https://` sources; everything else is a file path. */
export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Reads a file or fetches a URL; never throws. */
export async function loadConfigSource(source: string, options: SourceOptions = {}): Promise<SourceResult> {
  return isUrlSource(source) ? fetchConfig(source, options) : readConfigFile(source, options);
}

/** Fetches a config URL under the poller's rules. */
export async function fetchConfig(url: string, options: SourceOptions = {}): Promise<SourceResult> {
  const timeoutMs = options.timeoutMs ?? CONFIG_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? CONFIG_MAX_BYTES;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // Like the poller: redirects are not followed, so a 3xx is "not 200".
    const response = await fetch(url, { headers: { accept: "application/json", "user-agent": "edge-enrollment config:check" }, signal, redirect: "manual" });
    if (response.status !== 200) {
      await response.body?.cancel();
      return { ok: false, error: `GET ${url}: status ${response.status}, expected 200` };
    }
    const type = response.headers.get("content-type");
    if (!isJsonContentType(type)) {
      await response.body?.cancel();
      return { ok: false, error: `GET ${url}: Content-Type ${type === null ? "missing" : JSON.stringify(type)}, expected application/json` };
    }
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel();
      return { ok: false, error: `GET ${url}: body is ${declared} bytes, over the ${sizeLabel(maxBytes)} cap` };
    }
    const body = await readCapped(response.body, maxBytes);
    if (body === null) return { ok: false, error: `GET ${url}: body is over the ${sizeLabel(maxBytes)} cap` };
    const text = decodeUtf8(body);
    if (text === null) return { ok: false, error: `GET ${url}: body is not valid UTF-8` };
    return { ok: true, text };
  } catch (e) {
    if (signal.aborted) return { ok: false, error: `GET ${url}: no complete answer within ${timeoutMs / 1000} s` };
    return { ok: false, error: `GET ${url}: ${networkMessage(e)}` };
  }
}

/** Reads a config file under the same size cap. */
export async function readConfigFile(path: string, options: SourceOptions = {}): Promise<SourceResult> {
  const maxBytes = options.maxBytes ?? CONFIG_MAX_BYTES;
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, error: `${path}: not a file` };
    if (info.size > maxBytes) return { ok: false, error: `${path}: ${info.size} bytes, over the ${sizeLabel(maxBytes)} cap the worker enforces` };
    const text = decodeUtf8(await readFile(path));
    if (text === null) return { ok: false, error: `${path}: not valid UTF-8` };
    return { ok: true, text };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: `${path}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}` };
  }
}

function sizeLabel(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${bytes}-byte`;
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
