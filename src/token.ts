import { decodeBase64urlInto, encodeBase64url } from "./base64url.js";
import type { KeyEntry, KeyRing } from "./keyring.js";
import { packMessage, sipHash128Packed } from "./siphash.js";

/**
 * The `WMF-Uniq` identity token, layout version 1 (36 bytes, 48 base64url characters):
 *
 *   byte 0      version (1)
 *   byte 1      key tag (0..255): which key of the ring made it
 *   bytes 2-3   mint day, days since 1970-01-01 UTC, big-endian
 *   bytes 4-19  random ID: 128 bits from a CSPRNG
 *   bytes 20-35 MAC: SipHash-2-4-128 under the tag's MAC key over bytes 0-19
 *
 * Fixed length and strict base64url mean any alteration (quotes, padding, other
 * characters, truncation) fails before or at the MAC.
 */
export const TOKEN_VERSION = 1;
const TOKEN_BYTES = 36;
export const TOKEN_LENGTH = 48;
const ID_BYTES = 16;
const SIGNED_BYTES = 20;

/** Why a presented token was not accepted; each is counted separately. */
export type TokenFailure = "absent" | "length" | "encoding" | "version" | "unknown-tag" | "bad-mac";

/** A verified (or freshly minted) visitor. `key` is the ring entry that derives its subject IDs. */
export interface Identity {
  readonly id: Uint8Array;
  readonly mintDay: number;
  readonly key: KeyEntry;
}

export type VerifyResult = { ok: true; identity: Identity } | { ok: false; reason: TokenFailure };

// Per-call scratch (the core is synchronous, so one set per isolate is safe): the decoded
// token, the signed bytes as SipHash words, and the MAC.
const TOKEN = new Uint8Array(TOKEN_BYTES);
const SIGNED = new Uint32Array(6);
const MAC = new Uint32Array(4);

/**
 * Checks a cookie value; returns the identity or the first reason it fails.
 * Fast path: decodes into a reused buffer and packs the 20 signed bytes straight into
 * SipHash words (two blocks plus the length block), so a check allocates only the identity.
 */
export function verifyToken(value: string | undefined, ring: KeyRing): VerifyResult {
  if (value === undefined) return { ok: false, reason: "absent" };
  if (value.length !== TOKEN_LENGTH) return { ok: false, reason: "length" };
  const bytes = TOKEN;
  if (!decodeBase64urlInto(value, bytes)) return { ok: false, reason: "encoding" };
  if (bytes[0] !== TOKEN_VERSION) return { ok: false, reason: "version" };
  const key = ring.lookup(bytes[1]!);
  if (!key) return { ok: false, reason: "unknown-tag" };
  for (let w = 0; w < 5; w++) SIGNED[w] = wordAt(bytes, w * 4);
  SIGNED[5] = (SIGNED_BYTES << 24) >>> 0;
  sipHash128Packed(key.macKey, SIGNED, MAC);
  // Constant time: fold every word difference, decide once.
  let diff = 0;
  for (let i = 0; i < 4; i++) diff |= wordAt(bytes, SIGNED_BYTES + i * 4) ^ MAC[i]!;
  if (diff !== 0) return { ok: false, reason: "bad-mac" };
  return {
    ok: true,
    identity: { id: bytes.slice(4, 4 + ID_BYTES), mintDay: (bytes[2]! << 8) | bytes[3]!, key },
  };
}

function wordAt(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Fills a buffer with cryptographically secure random bytes (crypto.getRandomValues). */
export type RandomFill = (buffer: Uint8Array) => void;

/** Mints a new token with the ring's minting key; `random` must be a CSPRNG. */
export function mintToken(ring: KeyRing, nowMs: number, random: RandomFill): { value: string; identity: Identity } {
  const key = ring.minting;
  const bytes = new Uint8Array(TOKEN_BYTES);
  const day = Math.floor(nowMs / 86_400_000) & 0xffff;
  bytes[0] = TOKEN_VERSION;
  bytes[1] = key.tag;
  bytes[2] = day >>> 8;
  bytes[3] = day & 0xff;
  const id = bytes.subarray(4, 4 + ID_BYTES);
  random(id);
  const mac = new Uint32Array(4);
  sipHash128Packed(key.macKey, packMessage(bytes.subarray(0, SIGNED_BYTES)), mac);
  for (let i = 0; i < 4; i++) {
    const w = mac[i]!, o = SIGNED_BYTES + i * 4;
    bytes[o] = w & 0xff;
    bytes[o + 1] = (w >>> 8) & 0xff;
    bytes[o + 2] = (w >>> 16) & 0xff;
    bytes[o + 3] = w >>> 24;
  }
  return { value: encodeBase64url(bytes), identity: { id: bytes.slice(4, 4 + ID_BYTES), mintDay: day, key } };
}
