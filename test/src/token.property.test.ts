import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../src/base64url.js";
import { parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { mintToken, TOKEN_LENGTH, verifyToken } from "../../src/token.js";
import { DEV_KEYS, DEV_KEYS_ROTATED } from "../fixtures/config.js";
import { lazy } from "../helpers/lazy.js";

/**
 * Properties of the WMF-Uniq token (contract §2, §7): verification is total (never throws),
 * accepts exactly the minted spelling and nothing else, and mint → verify round-trips.
 * Fixed seeds: every run checks the same cases; a failure prints its counterexample.
 */

const SEED = 42;
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function ring(text: string): KeyRing {
  const r = parseKeyRing(text);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
}

const dev = lazy(() => ring(DEV_KEYS));
const rotated = lazy(() => ring(DEV_KEYS_ROTATED));
/** Same tag (0) as DEV_KEYS, different key: a token "from another key ring". */
const foreignSameTag = lazy(() => ring("0:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE"));

/** Mint days the 16-bit day field can hold: 1970 .. 2149. */
const nowArb = fc.integer({ min: 0, max: 65_535 * 86_400_000 + 86_399_999 });
const idArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
const mint = (r: KeyRing, now: number, id: Uint8Array) => mintToken(r, now, (buf) => buf.set(id));
const mintedArb = fc.tuple(nowArb, idArb).map(([now, id]) => ({ now, id, token: mint(dev(), now, id) }));

/** Any character at all: ASCII, the base64url alphabet, its near misses, BMP, astral, lone surrogates. */
const anyChar = fc.oneof(
  fc.constantFrom(...B64URL.split("")),
  fc.constantFrom("=", "+", "/", " ", "\t", "\n", '"', ";", ",", "%", "\\", "\0", "\u00a0", "\u00e9", "\ufeff", "\uff21", "\u0410"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

describe("verifyToken never throws", () => {
  const total = (s: string) => {
    const r = verifyToken(s, dev());
    return r.ok === true || typeof r.reason === "string";
  };

  it("for any ASCII, unicode or binary string", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary-ascii", maxLength: 100 }),
          fc.string({ unit: "grapheme", maxLength: 100 }),
          fc.string({ unit: "binary", maxLength: 100 }),
          fc.string({ unit: anyChar, maxLength: 100 }),
        ),
        (s) => total(s),
      ),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("for every string of exactly the token length (the path that reaches decoding and the MAC)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(...B64URL.split("")), minLength: TOKEN_LENGTH, maxLength: TOKEN_LENGTH }),
          fc.string({ unit: anyChar, minLength: TOKEN_LENGTH, maxLength: TOKEN_LENGTH }),
        ),
        (s) => {
          const r = verifyToken(s, dev());
          // A random 48-char string verifying would be a MAC forgery at odds of 2^-128.
          return !r.ok;
        },
      ),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("for huge strings (up to 1 MB)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 1_000_000 }), fc.constantFrom("A", "é", "\ud83d\ude00", "=", ";"), (n, c) => {
        const r = verifyToken(c.repeat(n), dev());
        return !r.ok && r.reason === "length";
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it("and parseKeyRing never throws for any secret text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: anyChar, maxLength: 120 }), fc.string({ unit: "binary", maxLength: 300 })), (s) => {
        const r = parseKeyRing(s);
        return r.ok ? r.ring.tags.length > 0 : typeof r.error === "string";
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

describe("verifyToken accepts only an exact minted token", () => {
  it("mint → verify round-trips the ID, the mint day and the key", () => {
    fc.assert(
      fc.property(nowArb, idArb, fc.constantFrom(dev(), rotated()), (now, id, r) => {
        const { value, identity } = mint(r, now, id);
        expect(value).toHaveLength(TOKEN_LENGTH);
        expect(value).toMatch(/^[A-Za-z0-9_-]{48}$/);
        const v = verifyToken(value, r);
        expect(v.ok).toBe(true);
        if (!v.ok) return;
        expect(Array.from(v.identity.id)).toEqual(Array.from(id));
        expect(v.identity.mintDay).toBe(Math.floor(now / 86_400_000));
        expect(v.identity.key).toBe(r.minting);
        expect(identity.mintDay).toBe(v.identity.mintDay);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("replacing any one character with any other character is rejected", () => {
    fc.assert(
      fc.property(mintedArb, fc.nat({ max: TOKEN_LENGTH - 1 }), anyChar, ({ token }, at, c) => {
        fc.pre(c !== token.value[at]);
        const mutated = token.value.slice(0, at) + c + token.value.slice(at + 1);
        expect(verifyToken(mutated, dev()).ok).toBe(false);
      }),
      { seed: SEED, numRuns: 10_000 },
    );
  });

  it("flipping any bit of any byte (then re-encoding canonically) is rejected", () => {
    fc.assert(
      fc.property(mintedArb, fc.nat({ max: 35 }), fc.nat({ max: 7 }), ({ token }, byte, bit) => {
        const bytes = decodeBase64url(token.value)!;
        bytes[byte]! ^= 1 << bit;
        const r = verifyToken(encodeBase64url(bytes), dev());
        expect(r.ok).toBe(false);
        if (!r.ok) expect(["version", "unknown-tag", "bad-mac"]).toContain(r.reason);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("inserting any characters anywhere is rejected", () => {
    fc.assert(
      fc.property(mintedArb, fc.nat({ max: TOKEN_LENGTH }), fc.string({ unit: anyChar, minLength: 1, maxLength: 4 }), ({ token }, at, ins) => {
        const mutated = token.value.slice(0, at) + ins + token.value.slice(at);
        expect(verifyToken(mutated, dev()).ok).toBe(false);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("deleting any characters anywhere is rejected", () => {
    fc.assert(
      fc.property(mintedArb, fc.nat({ max: TOKEN_LENGTH - 1 }), fc.integer({ min: 1, max: TOKEN_LENGTH }), ({ token }, at, n) => {
        const mutated = token.value.slice(0, at) + token.value.slice(at + n);
        expect(verifyToken(mutated, dev()).ok).toBe(false);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("a delete-and-insert that keeps the length (shifts, swaps) is rejected unless it restores the token", () => {
    fc.assert(
      fc.property(
        mintedArb,
        fc.nat({ max: TOKEN_LENGTH - 1 }),
        fc.nat({ max: TOKEN_LENGTH - 1 }),
        fc.constantFrom(...B64URL.split("")),
        ({ token }, del, ins, c) => {
          const without = token.value.slice(0, del) + token.value.slice(del + 1);
          const mutated = without.slice(0, ins) + c + without.slice(ins);
          fc.pre(mutated !== token.value);
          expect(verifyToken(mutated, dev()).ok).toBe(false);
        },
      ),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("wrapping, quoting, padding or re-casing a valid token is rejected", () => {
    const wraps: ((t: string) => string)[] = [
      (t) => `"${t}"`,
      (t) => `${t}=`,
      (t) => `${t}==`,
      (t) => ` ${t}`,
      (t) => `${t} `,
      (t) => t.toUpperCase(),
      (t) => t.toLowerCase(),
      (t) => t.replace(/-/g, "+").replace(/_/g, "/"),
      (t) => encodeURIComponent(t).replace(/-/g, "%2D"),
      (t) => t.normalize("NFKC").replace(/A/g, "\uff21"),
    ];
    fc.assert(
      fc.property(mintedArb, fc.nat({ max: wraps.length - 1 }), ({ token }, w) => {
        const mutated = wraps[w]!(token.value);
        fc.pre(mutated !== token.value);
        expect(verifyToken(mutated, dev()).ok).toBe(false);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("a token minted under another key ring is rejected (same tag: bad MAC; unknown tag)", () => {
    fc.assert(
      fc.property(nowArb, idArb, (now, id) => {
        const sameTag = verifyToken(mint(foreignSameTag(), now, id).value, dev());
        expect(sameTag).toEqual({ ok: false, reason: "bad-mac" });
        const otherTag = verifyToken(mint(rotated(), now, id).value, dev());
        expect(otherTag).toEqual({ ok: false, reason: "unknown-tag" });
        // A ring that still holds the old key verifies the old token (rotation).
        expect(verifyToken(mint(dev(), now, id).value, rotated()).ok).toBe(true);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
