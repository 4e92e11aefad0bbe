import type { CompiledConfig } from "./config-compile.js";
import { parseConfigText, type ConfigIssue } from "./config-parse.js";
import { MAX_CONFIG_BYTES } from "./contract.js";

/**
 * Accepting a config document off the wire (contract §1, §7), one set of rules for the
 * worker's poller and the operators' tools, so "valid" means one thing: status 200, a JSON
 * content type, at most 5 MB, strict UTF-8, and a document that parses and validates. The
 * callers do only the I/O (fetch, read with readCapped, timeouts) and report the outcome.
 */

/** Why a document was refused; `reason` is one line, the same words in the poller's status and the tools' output. */
export type ConfigRefusal = {
  readonly ok: false;
  readonly kind: "status" | "content-type" | "too-large" | "not-utf-8" | "invalid";
  readonly reason: string;
  /** Every validation problem (kind "invalid" only; empty otherwise). */
  readonly issues: readonly ConfigIssue[];
  /** The decoded text (kind "invalid" only), so a tool can show the rule an issue points into. */
  readonly text?: string;
};

/** A document accepted: its text (the version is derived from it) and its compiled form. */
export type ConfigAcceptance = { readonly ok: true; readonly text: string; readonly config: CompiledConfig } | ConfigRefusal;

const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** `application/json`, optionally `; charset=utf-8`; nothing else. */
export function isJsonContentType(value: string | null): boolean {
  return value !== null && JSON_TYPE.test(value.trim());
}

const CAP = `${MAX_CONFIG_BYTES / (1024 * 1024)} MB`;

function refuse(kind: ConfigRefusal["kind"], reason: string, issues: readonly ConfigIssue[] = []): ConfigRefusal {
  return { ok: false, kind, reason, issues };
}

/**
 * What the response head alone decides (status, content type, a declared length over the
 * cap), so a caller can cancel the body unread; null = read the body and call
 * acceptConfigResponse.
 */
export function screenConfigResponse(status: number, contentType: string | null, contentLength: string | null = null): ConfigRefusal | null {
  if (status !== 200) return refuse("status", `HTTP ${status}, expected 200`);
  if (!isJsonContentType(contentType)) {
    const shown = contentType === null ? "missing" : JSON.stringify(contentType);
    // A charset is optional; only a charset other than utf-8 is wrong, so say that only then.
    const charset = /^\s*application\/json\s*;/i.test(contentType ?? "") ? " (a charset, if given, must be utf-8)" : "";
    return refuse("content-type", `Content-Type ${shown}, expected application/json${charset}`);
  }
  // Number(null) is 0: no declared length is never over the cap.
  const declared = Number(contentLength);
  if (Number.isFinite(declared) && declared > MAX_CONFIG_BYTES) {
    return refuse("too-large", `body over the ${CAP} cap (Content-Length: ${declared} bytes)`);
  }
  return null;
}

/**
 * The whole answer: the head's rules, then the body's. `body` is what readCapped returned:
 * null when the body went past the cap while being read.
 */
export function acceptConfigResponse(status: number, contentType: string | null, body: Uint8Array | null): ConfigAcceptance {
  return screenConfigResponse(status, contentType) ?? acceptConfigDocument(body);
}

/** The body's rules alone (a file has no status or content type): size, UTF-8, validation. */
export function acceptConfigDocument(body: Uint8Array | null): ConfigAcceptance {
  if (body === null || body.byteLength > MAX_CONFIG_BYTES) return refuse("too-large", `body over the ${CAP} cap`);
  const text = decodeUtf8(body);
  if (text === null) return refuse("not-utf-8", "body is not valid UTF-8");
  const parsed = parseConfigText(text);
  if (!parsed.ok) {
    const n = parsed.issues.length;
    return { ...refuse("invalid", `config failed validation (${n} problem${n === 1 ? "" : "s"})`, parsed.issues), text };
  }
  return { ok: true, text, config: parsed.config };
}

/** Reads a byte stream, or null as soon as it exceeds `cap` (the rest is not read). */
export async function readCapped(body: ReadableStream<Uint8Array> | null, cap = MAX_CONFIG_BYTES): Promise<Uint8Array | null> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
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

/** Strict UTF-8 (a bad sequence rejects the document), a leading BOM dropped; null if invalid. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The request headers of a config poll (contract §1): `User-Agent: edge-enrollment/<version>`
 * and `X-Experiment-Config-Poller: <where it runs>`, the pair upstream's own fetcher sends,
 * so the config API's operators can tell pollers apart.
 */
export function pollRequestHeaders(version: string, poller: string): Record<string, string> {
  return { "User-Agent": `edge-enrollment/${version}`, "X-Experiment-Config-Poller": poller, Accept: "application/json" };
}
