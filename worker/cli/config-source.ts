import { readFile, stat } from "node:fs/promises";

/**
 * Getting a config document's text the way the worker's poller accepts it (DESIGN §1, §7):
 * for a URL, GET with a 10 s timeout, status 200, a JSON content type, a body of at most
 * 5 MB; for a file, the same size cap. Anything else is an error the operator sees before
 * publishing, not a config the worker would silently refuse.
 */

export const CONFIG_TIMEOUT_MS = 10_000;
export const CONFIG_MAX_BYTES = 5 * 1024 * 1024;

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

/**
 * The content types the poller takes: `application/json`, with no charset or UTF-8
 * (JSON is UTF-8 on the wire, RFC 8259 §8.1).
 */
export function isJsonContentType(value: string | null): boolean {
  if (value === null) return false;
  const [type, ...params] = value.split(";");
  if (type!.trim().toLowerCase() !== "application/json") return false;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    const charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1").toLowerCase();
    if (charset !== "utf-8" && charset !== "utf8") return false;
  }
  return true;
}

/** Fetches a config URL under the poller's rules. */
export async function fetchConfig(url: string, options: SourceOptions = {}): Promise<SourceResult> {
  const timeoutMs = options.timeoutMs ?? CONFIG_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? CONFIG_MAX_BYTES;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { headers: { accept: "application/json" }, signal });
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
    return { ok: true, text: decodeUtf8(body) };
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
    return { ok: true, text: decodeUtf8(await readFile(path)) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: `${path}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}` };
  }
}

/** Reads a body stream, or null as soon as it exceeds `maxBytes`. */
export async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array | null> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

// As Response.text() does: UTF-8, a leading BOM dropped, bad sequences replaced.
function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes);
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
