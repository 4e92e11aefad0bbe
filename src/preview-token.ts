import { decodeBase64url, encodeBase64url } from "./base64url.js";
import { EXPERIMENT_NAME, GROUP_NAME, HOST_NAME, MAX_PREVIEW_TTL_MS, MAX_PREVIEW_PAIRS, MAX_PREVIEW_TOKEN_LENGTH } from "./contract.js";
import type { KeyRing } from "./keyring.js";
import { packMessage, sipHash128Packed, wordsToBytes } from "./siphash.js";

/**
 * Preview tokens (contract §10): a signed, expiring QA override naming one host and the
 * groups to force there. Made by the preview-link tool under `PREVIEW_KEYS`, a key ring of
 * its own; carried once in `?wmf-preview=` and then in the `WMF-Preview` cookie.
 *
 * Layout, version 1 (unpadded base64url of):
 *   byte 0       version (1)
 *   byte 1       key tag: which key of the preview ring made it
 *   bytes 2-5    expiry, seconds since 1970-01-01 UTC, big-endian
 *   bytes 6..n   ASCII: `<host>\n<exp>=<group>;<exp>=<group>;…`
 *   last 16      MAC: SipHash-2-4-128 under the tag's MAC key over
 *                "wmf-preview/v1\0" followed by every byte before the MAC
 * The label keeps a preview MAC from ever being a valid WMF-Uniq MAC, and the reverse.
 */
export const PREVIEW_TOKEN_VERSION = 1;
/** Default TTL of a link. */
export const DEFAULT_PREVIEW_TTL_MS = 86_400_000;
// Clock skew allowed between the tool that made a token and the edge that reads it.
const SKEW_MS = 5 * 60_000;
const LABEL = new TextEncoder().encode("wmf-preview/v1\0");

/** What a verified token says. */
export interface Preview {
  readonly host: string;
  /** Experiment → group to force, in the token's order. */
  readonly pairs: ReadonlyMap<string, string>;
  readonly expiresAtMs: number;
}

/** Why a token was refused; each is counted. */
export type PreviewFailure = "length" | "encoding" | "version" | "unknown-tag" | "bad-mac" | "malformed" | "expired" | "too-long-lived" | "other-host";

export type PreviewResult = { readonly ok: true; readonly preview: Preview } | { readonly ok: false; readonly reason: PreviewFailure };

/** Signs a preview; throws on input the tool should have refused (names, counts, expiry). */
export function mintPreviewToken(ring: KeyRing, host: string, pairs: ReadonlyMap<string, string>, expiresAtMs: number): string {
  if (!HOST_NAME.test(host)) throw new Error(`not a host name: ${host}`);
  if (pairs.size === 0 || pairs.size > MAX_PREVIEW_PAIRS) throw new Error(`a preview names 1..${MAX_PREVIEW_PAIRS} experiments`);
  let body = `${host}\n`;
  for (const [exp, group] of pairs) {
    if (!EXPERIMENT_NAME.test(exp) || !GROUP_NAME.test(group)) throw new Error(`not an experiment=group pair: ${exp}=${group}`);
    body += `${exp}=${group};`;
  }
  const seconds = Math.floor(expiresAtMs / 1000);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) throw new Error("expiry out of range");
  const text = new TextEncoder().encode(body);
  const bytes = new Uint8Array(6 + text.length + 16);
  bytes[0] = PREVIEW_TOKEN_VERSION;
  bytes[1] = ring.minting.tag;
  new DataView(bytes.buffer).setUint32(2, seconds);
  bytes.set(text, 6);
  bytes.set(mac(ring.minting.macKey, bytes.subarray(0, bytes.length - 16)), bytes.length - 16);
  const token = encodeBase64url(bytes);
  if (token.length > MAX_PREVIEW_TOKEN_LENGTH) throw new Error("preview token too long");
  return token;
}

/**
 * Checks a token for this host at this time. The MAC is checked before anything inside
 * is trusted; a token for another host, expired, or claiming more than the longest TTL is
 * refused with its reason.
 */
export function verifyPreviewToken(value: string, ring: KeyRing, host: string, nowMs: number): PreviewResult {
  if (value.length === 0 || value.length > MAX_PREVIEW_TOKEN_LENGTH) return { ok: false, reason: "length" };
  const bytes = decodeBase64url(value);
  if (bytes === null || bytes.length < 6 + 16 + 1) return { ok: false, reason: "encoding" };
  if (bytes[0] !== PREVIEW_TOKEN_VERSION) return { ok: false, reason: "version" };
  const key = ring.lookup(bytes[1]!);
  if (key === undefined) return { ok: false, reason: "unknown-tag" };
  const expected = mac(key.macKey, bytes.subarray(0, bytes.length - 16));
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= expected[i]! ^ bytes[bytes.length - 16 + i]!;
  if (diff !== 0) return { ok: false, reason: "bad-mac" };
  const parsed = parseBody(bytes.subarray(6, bytes.length - 16));
  if (parsed === null) return { ok: false, reason: "malformed" };
  const expiresAtMs = new DataView(bytes.buffer, bytes.byteOffset).getUint32(2) * 1000;
  if (nowMs >= expiresAtMs) return { ok: false, reason: "expired" };
  if (expiresAtMs - nowMs > MAX_PREVIEW_TTL_MS + SKEW_MS) return { ok: false, reason: "too-long-lived" };
  if (parsed.host !== host) return { ok: false, reason: "other-host" };
  return { ok: true, preview: { host: parsed.host, pairs: parsed.pairs, expiresAtMs } };
}

function parseBody(body: Uint8Array): { host: string; pairs: Map<string, string> } | null {
  // One character per byte. A byte outside ASCII becomes a character that neither the host
  // pattern nor the name patterns allow, so such a body is refused below like any other.
  let text = "";
  for (const b of body) text += String.fromCharCode(b);
  const nl = text.indexOf("\n");
  if (nl < 0) return null;
  const host = text.slice(0, nl);
  const rest = text.slice(nl + 1);
  if (!HOST_NAME.test(host) || !rest.endsWith(";")) return null;
  const pairs = new Map<string, string>();
  for (const part of rest.slice(0, -1).split(";")) {
    const eq = part.indexOf("=");
    const exp = part.slice(0, eq);
    const group = part.slice(eq + 1);
    if (eq < 0 || !EXPERIMENT_NAME.test(exp) || !GROUP_NAME.test(group) || pairs.has(exp)) return null;
    pairs.set(exp, group);
  }
  if (pairs.size > MAX_PREVIEW_PAIRS) return null;
  return { host, pairs };
}

function mac(key: Uint32Array, signed: Uint8Array): Uint8Array {
  const msg = new Uint8Array(LABEL.length + signed.length);
  msg.set(LABEL);
  msg.set(signed, LABEL.length);
  const out = new Uint32Array(4);
  sipHash128Packed(key, packMessage(msg), out);
  return wordsToBytes(out);
}
