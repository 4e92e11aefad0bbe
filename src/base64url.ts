/**
 * Unpadded base64url (RFC 4648 §5), strict: the alphabet only, no padding, no whitespace,
 * and no non-zero leftover bits, so every byte string has exactly one accepted spelling.
 * That strictness is what makes "a value altered in any way does not verify" true.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Char code -> 6-bit value, or 255 for anything outside the alphabet (table lookup: no
// branches per character and no regex on the hot path of cookie verification).
const DECODE = new Uint8Array(128).fill(255);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes without padding. */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/** Decodes strictly; null for any character outside the alphabet, a bad length or stray bits. */
export function decodeBase64url(text: string): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  return decodeBase64urlInto(text, out) ? out : null;
}

/**
 * Decodes strictly into `out`, which must be exactly floor(length * 3 / 4) bytes; false
 * on any fault. Lets the per-request token check reuse one buffer.
 */
export function decodeBase64urlInto(text: string, out: Uint8Array): boolean {
  const len = text.length;
  if (len % 4 === 1 || out.length !== Math.floor((len * 3) / 4)) return false;
  let o = 0;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    const a = sextet(text, i), b = sextet(text, i + 1), c = sextet(text, i + 2), d = sextet(text, i + 3);
    if ((a | b | c | d) > 63) return false;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  const rest = len - i;
  if (rest === 2) {
    const a = sextet(text, i), b = sextet(text, i + 1);
    if ((a | b) > 63 || (b & 0x0f) !== 0) return false;
    out[o] = (a << 2) | (b >>> 4); // the last byte: o is not read again
  } else if (rest === 3) {
    const a = sextet(text, i), b = sextet(text, i + 1), c = sextet(text, i + 2);
    if ((a | b | c) > 63 || (c & 0x03) !== 0) return false;
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >>> 16;
    out[o] = (n >>> 8) & 0xff; // the last byte
  }
  return true;
}

function sextet(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? DECODE[c]! : 255;
}
