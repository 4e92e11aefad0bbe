import { decodeBase64url } from "./base64url.js";
import { sipHash128, sipKey, type SipKey } from "./siphash.js";

/**
 * The key ring behind `WMF-Uniq`: several keys live at once, selected by a one-byte tag
 * carried in the token. The first entry mints; every entry verifies. That is how keys
 * rotate without resetting every visitor: add a new key first, later drop the old one.
 *
 * Secret format (one string, e.g. the `UNIQ_KEYS` secret):
 *   `<tag>:<key>[,<tag>:<key>…]`  tag = integer 0..255, key = 32 random bytes as unpadded
 *   base64url (43 characters). Whitespace around entries is ignored.
 * Each 32-byte key K = K1 || K2 yields two independent 128-bit subkeys (key derivation v1):
 *   macKey     = SipHash-2-4-128(K1, "wmf-uniq/mac/v1\0" || K2)      authenticates tokens
 *   subjectKey = SipHash-2-4-128(K1, "wmf-uniq/subject/v1\0" || K2)  derives subject IDs
 * Both depend on all 32 bytes (two keys that share a prefix share nothing), and one never
 * helps attack the other.
 */

/** One key of the ring, already in the form the hashes consume. */
export interface KeyEntry {
  readonly tag: number;
  readonly macKey: SipKey;
  readonly subjectKey: SipKey;
}

/** A parsed ring: the minting key and a tag-indexed table for O(1) verification. */
export interface KeyRing {
  readonly minting: KeyEntry;
  readonly tags: readonly number[];
  /** True when a committed development key is present: never acceptable in production. */
  readonly usesDevelopmentKey: boolean;
  lookup(tag: number): KeyEntry | undefined;
}

/** The development key committed in `.dev.vars.example` ("development-key-not-for-prod-use"). */
export const DEVELOPMENT_KEY = "ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZC11c2U";
/** The development preview key committed beside it ("development-preview-key-no-prod!"). */
export const DEVELOPMENT_PREVIEW_KEY = "ZGV2ZWxvcG1lbnQtcHJldmlldy1rZXktbm8tcHJvZCE";

export type KeyRingResult = { ok: true; ring: KeyRing } | { ok: false; error: string };

/**
 * Parses the ring string. Errors name the entry's position and what is wrong, never the
 * key material, so they are safe to log.
 */
export function parseKeyRing(text: string | undefined | null): KeyRingResult {
  if (text == null || text.trim() === "") return { ok: false, error: "key ring is empty or missing" };
  const table: (KeyEntry | undefined)[] = []; // sparse: a tag's entry, or undefined
  const tags: number[] = [];
  let dev = false;
  const parts = text.split(",");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!.trim();
    const where = `key ring entry ${i + 1}`;
    const colon = part.indexOf(":");
    if (colon < 0) return { ok: false, error: `${where}: expected <tag>:<key>` };
    const tagText = part.slice(0, colon);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(tagText) || Number(tagText) > 255) {
      return { ok: false, error: `${where}: tag must be an integer 0..255` };
    }
    const tag = Number(tagText);
    if (table[tag]) return { ok: false, error: `${where}: tag ${tag} appears twice` };
    const keyText = part.slice(colon + 1);
    const key = decodeBase64url(keyText);
    if (!key || key.length !== 32) {
      return { ok: false, error: `${where} (tag ${tag}): key must be 32 bytes of unpadded base64url (43 characters)` };
    }
    if (key.every((b) => b === key[0])) {
      return { ok: false, error: `${where} (tag ${tag}): key is a repeated byte, not random` };
    }
    if (keyText === DEVELOPMENT_KEY || keyText === DEVELOPMENT_PREVIEW_KEY) dev = true;
    table[tag] = { tag, macKey: deriveSubkey(key, MAC_LABEL), subjectKey: deriveSubkey(key, SUBJECT_LABEL) };
    tags.push(tag);
  }
  const minting = table[tags[0]!]!;
  return {
    ok: true,
    ring: {
      minting,
      tags,
      usesDevelopmentKey: dev,
      lookup: (tag) => table[tag],
    },
  };
}

const MAC_LABEL = new TextEncoder().encode("wmf-uniq/mac/v1\0");
const SUBJECT_LABEL = new TextEncoder().encode("wmf-uniq/subject/v1\0");

function deriveSubkey(key: Uint8Array, label: Uint8Array): SipKey {
  const msg = new Uint8Array(label.length + 16);
  msg.set(label);
  msg.set(key.subarray(16, 32), label.length);
  return sipKey(sipHash128(key.subarray(0, 16), msg));
}
