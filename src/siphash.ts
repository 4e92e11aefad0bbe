/**
 * SipHash-2-4 with 128-bit output (Aumasson & Bernstein), in pure JS over 32-bit halves.
 *
 * Why SipHash: it is a keyed PRF designed for short inputs, synchronous, and cheap in JS
 * (no BigInt, no WebCrypto promise per call). We run it once per live experiment per
 * request, so it is the hot path of the whole worker.
 *
 * Fast path: messages are packed once into 32-bit little-endian words (with the final
 * length block already built), so the per-request loop does no byte handling and no
 * allocation; keys are four 32-bit words; carries are computed without branches.
 */

/** A 128-bit SipHash key as words [k0.lo, k0.hi, k1.lo, k1.hi]. */
export type SipKey = Uint32Array;

/** Reads a 16-byte key into the word form the hash consumes. */
export function sipKey(bytes: Uint8Array, offset = 0): SipKey {
  if (bytes.length - offset < 16) throw new RangeError("SipHash key needs 16 bytes");
  const k = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const o = offset + i * 4;
    k[i] = (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0;
  }
  return k;
}

/**
 * Packs a message into 64-bit little-endian blocks as [lo, hi] word pairs, the last block
 * holding the tail bytes and the length byte, exactly as SipHash pads. Done once per
 * config (selectors) so the per-request hash only mixes words.
 */
export function packMessage(msg: Uint8Array): Uint32Array {
  const blocks = (msg.length >>> 3) + 1;
  const words = new Uint32Array(blocks * 2);
  // Explicit shifts, so the layout does not depend on the platform's byte order.
  for (let i = 0; i < msg.length; i++) {
    const w = i >>> 2;
    words[w] = (words[w]! | (msg[i]! << ((i & 3) * 8))) >>> 0;
  }
  const last = blocks * 2 - 1;
  words[last] = (words[last]! | ((msg.length & 0xff) << 24)) >>> 0;
  return words;
}

/**
 * SipHash-2-4-128 of a packed message; writes 4 words (the 16 output bytes, little-endian
 * words) into `out` at `at`. No allocation. With `halves = 1` it stops after the first 8
 * output bytes (2 words): the finalisation of the second half costs as much again, and a
 * bucket needs only the first half, so page requests skip it (same function, computed lazily).
 */
export function sipHash128Packed(key: SipKey, packed: Uint32Array, out: Uint32Array, at = 0, halves: 1 | 2 = 2): void {
  const k0l = key[0]!, k0h = key[1]!, k1l = key[2]!, k1h = key[3]!;
  // v0..v3 = k ^ "somepseudorandomlygeneratedbytes"; v1 ^= 0xee for the 128-bit variant.
  let v0l = k0l ^ 0x70736575, v0h = k0h ^ 0x736f6d65;
  let v1l = k1l ^ 0x6e646f6d ^ 0xee, v1h = k1h ^ 0x646f7261;
  let v2l = k0l ^ 0x6e657261, v2h = k0h ^ 0x6c796765;
  let v3l = k1l ^ 0x79746573, v3h = k1h ^ 0x74656462;
  // 64-bit adds carry branch-free: carry = msb of (a & b) | ((a | b) & ~sum). A compare
  // (sum < a) here made the whole hash twice as slow in V8.
  let al: number, t: number;

  // One loop for both phases, so the SipRound is written once: each step is either a
  // message block (2 rounds) or a finalisation half (4 rounds, then 64 output bits).
  const n = packed.length;
  let i = 0, pass = 0, ml = 0, mh = 0;
  for (;;) {
    const block = i < n;
    if (block) {
      ml = packed[i]!; mh = packed[i + 1]!;
      v3l ^= ml; v3h ^= mh;
    } else if (pass === 0) {
      v2l ^= 0xee;
    } else {
      v1l ^= 0xdd;
    }
    for (let r = block ? 2 : 4; r > 0; r--) {
      // SipRound, written out over 32-bit halves.
      al = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~al)) >>> 31)) | 0; v0l = al;
      t = (v1h << 13) | (v1l >>> 19); v1l = (v1l << 13) | (v1h >>> 19); v1h = t;
      v1l ^= v0l; v1h ^= v0h;
      t = v0l; v0l = v0h; v0h = t;
      al = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~al)) >>> 31)) | 0; v2l = al;
      t = (v3h << 16) | (v3l >>> 16); v3l = (v3l << 16) | (v3h >>> 16); v3h = t;
      v3l ^= v2l; v3h ^= v2h;
      al = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~al)) >>> 31)) | 0; v0l = al;
      t = (v3h << 21) | (v3l >>> 11); v3l = (v3l << 21) | (v3h >>> 11); v3h = t;
      v3l ^= v0l; v3h ^= v0h;
      al = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~al)) >>> 31)) | 0; v2l = al;
      t = (v1h << 17) | (v1l >>> 15); v1l = (v1l << 17) | (v1h >>> 15); v1h = t;
      v1l ^= v2l; v1h ^= v2h;
      t = v2l; v2l = v2h; v2h = t;
    }
    if (block) {
      v0l ^= ml; v0h ^= mh;
      i += 2;
      continue;
    }
    out[at + pass * 2] = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
    out[at + pass * 2 + 1] = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
    if (++pass === halves) return;
  }
}

/** Convenience form for tests and cold paths: bytes in, 16 bytes out. */
export function sipHash128(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const out = new Uint32Array(4);
  sipHash128Packed(sipKey(key), packMessage(msg), out);
  return wordsToBytes(out);
}

/** Little-endian words to bytes (SipHash's output byte order). */
export function wordsToBytes(words: Uint32Array, at = 0, count = 4): Uint8Array {
  const b = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    const w = words[at + i]!;
    b[i * 4] = w & 0xff;
    b[i * 4 + 1] = (w >>> 8) & 0xff;
    b[i * 4 + 2] = (w >>> 16) & 0xff;
    b[i * 4 + 3] = w >>> 24;
  }
  return b;
}
