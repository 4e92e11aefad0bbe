import { encodeBase64url } from "./base64url.js";
import { BUCKETS } from "./contract.js";
import { packMessage, sipHash128, sipHash128Packed, wordsToBytes, type SipKey } from "./siphash.js";
import type { Identity } from "./token.js";

/**
 * Subject IDs and buckets, construction version 1 (contract §3).
 *
 *   Kv      = SipHash-2-4-128(K_subject[tag], id)                       once per request
 *   fp(s,h) = first 7 bytes of SipHash-2-4-128(FP_KEY, utf8(s) [|| 0x00 || utf8(h)])
 *                                                                       once per config
 *   subject = SipHash-2-4-128(Kv, fp(selector, host if unique_domain))  16 bytes, 22 chars
 *   bucket  = (subject bytes 0..7 as a little-endian uint64) mod 100,000
 *
 * Why it is sound:
 * - Keyed: K_subject is secret (half of a key-ring key). Without it, Kv, and so every
 *   subject ID, is a PRF output nobody can compute.
 * - One-way and unlinkable: a subject ID is a PRF output under Kv; it reveals neither Kv
 *   nor the cookie's ID, and knowing some subject IDs of a visitor does not give the
 *   subject ID for any other selector (that would break the PRF).
 * - Independent per selector: distinct fingerprints are distinct PRF inputs, so buckets
 *   are independent and uniform (the mod bias is below 2^-46). The fingerprint is a public
 *   injective-in-practice label: NUL cannot occur in a selector, and compileConfig rejects
 *   a config in which two different (selector, host) inputs share a fingerprint.
 * - Sticky: nothing here depends on the group ranges, so widening a range keeps everyone
 *   in it; shared selectors give the same input and so the same subject and bucket.
 *
 * Why this shape is fast: the 7-byte fingerprint plus SipHash's length byte is a single
 * 64-bit block, so each experiment costs one compression and one finalisation, and page
 * requests (which need only the bucket) skip the second half of the output.
 */
export const SUBJECT_ALGORITHM_VERSION = 1;

// "ee-selector-fp-1": a public, fixed key; the fingerprint needs no secrecy.
const FP_KEY = new TextEncoder().encode("ee-selector-fp-1");
const textEncoder = new TextEncoder();

/** Packed one-block message for (selector, host-or-null); computed once per config. */
export function selectorFingerprint(selector: string, host: string | null): Uint32Array {
  const label = host === null ? selector : `${selector}\u0000${host}`;
  return packMessage(sipHash128(FP_KEY, textEncoder.encode(label)).subarray(0, 7));
}

// The 16-byte ID as SipHash words: two full blocks, then the length block (16 << 56).
const ID_WORDS = new Uint32Array(6);

/** The per-visitor key Kv; one SipHash per request, only when something is live. */
export function visitorKey(identity: Identity): SipKey {
  const id = identity.id;
  for (let w = 0; w < 4; w++) {
    const o = w * 4;
    ID_WORDS[w] = (id[o]! | (id[o + 1]! << 8) | (id[o + 2]! << 16) | (id[o + 3]! << 24)) >>> 0;
  }
  ID_WORDS[4] = 0;
  ID_WORDS[5] = (16 << 24) >>> 0;
  const kv = new Uint32Array(4);
  sipHash128Packed(identity.key.subjectKey, ID_WORDS, kv);
  return kv;
}

/**
 * Writes the subject for one fingerprint into out[at..at+3]; with `full` false only the
 * first two words (enough for the bucket) are computed.
 */
export function deriveSubject(kv: SipKey, fingerprint: Uint32Array, out: Uint32Array, at: number, full: boolean): void {
  sipHash128Packed(kv, fingerprint, out, at, full ? 2 : 1);
}

/** Bucket 0..99999 from subject words at `at`: the first 8 bytes as a LE uint64, mod 100,000. */
export function bucketOf(words: Uint32Array, at: number): number {
  // (hi * 2^32 + lo) mod M, with 2^32 mod 100000 = 67296; every term stays below 2^53.
  return ((words[at + 1]! % BUCKETS) * 67296 + words[at]!) % BUCKETS;
}

/** The 22-character base64url subject ID from subject words at `at`. */
export function subjectIdOf(words: Uint32Array, at: number): string {
  return encodeBase64url(wordsToBytes(words, at, 4));
}
