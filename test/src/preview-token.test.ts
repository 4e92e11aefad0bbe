import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../src/base64url.js";
import { parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { mintPreviewToken, verifyPreviewToken } from "../../src/preview-token.js";
import { MAX_PREVIEW_PAIRS, MAX_PREVIEW_TOKEN_LENGTH, MAX_PREVIEW_TTL_MS } from "../../src/contract.js";
import { sipHash128 } from "../../src/siphash.js";
import { DEV_KEYS } from "../fixtures/config.js";
import vectors from "./vectors/preview-v1.json" with { type: "json" };
import { lazy } from "../helpers/lazy.js";

function ringOf(text: string): KeyRing {
  const r = parseKeyRing(text);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
}

const ring = lazy(() => ringOf(vectors.keyRing));
const HOST = "en.wikipedia.org";
const NOW = Date.parse("2025-06-15T12:00:00Z");
const pairs = new Map([["fifty-fifty-test", "treatment"]]);

describe("preview token v1 (contract §10)", () => {
  it("matches the frozen vectors, both ways", () => {
    for (const v of vectors.vectors) {
      const expires = Date.parse(v.expiresAt);
      expect(mintPreviewToken(ring(), v.host, new Map(v.pairs as [string, string][]), expires)).toBe(v.token);
      const r = verifyPreviewToken(v.token, ring(), v.host, NOW);
      expect(r).toEqual({ ok: true, preview: { host: v.host, pairs: new Map(v.pairs as [string, string][]), expiresAtMs: expires } });
    }
  });

  it("re-derived from its documentation: the MAC is SipHash-2-4-128 over the label and the signed bytes", () => {
    const v = vectors.vectors[0]!;
    const bytes = decodeBase64url(v.token)!;
    const key = decodeBase64url(vectors.keyRing.split(":")[1]!)!;
    // The ring's MAC subkey (keyring.ts), then the preview MAC with its own label.
    const macKey = sipHash128(key.subarray(0, 16), new Uint8Array([...new TextEncoder().encode("wmf-uniq/mac/v1\0"), ...key.subarray(16)]));
    const signed = bytes.subarray(0, bytes.length - 16);
    const mac = sipHash128(macKey, new Uint8Array([...new TextEncoder().encode("wmf-preview/v1\0"), ...signed]));
    expect([...bytes.subarray(bytes.length - 16)]).toEqual([...mac]);
    expect(bytes[0]).toBe(1);
    expect(bytes[1]).toBe(3);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(2) * 1000).toBe(Date.parse(v.expiresAt));
    expect(new TextDecoder().decode(bytes.subarray(6, bytes.length - 16))).toBe("en.wikipedia.org\nfifty-fifty-test=treatment;ten-percent-sample=control;");
  });

  it("refuses every altered, foreign, expired, over-long or other-host token with its reason", () => {
    const token = mintPreviewToken(ring(), HOST, pairs, NOW + 3_600_000);
    expect(verifyPreviewToken(token, ring(), HOST, NOW).ok).toBe(true);
    const reason = (value: string, r = ring(), host = HOST, now = NOW) => {
      const v = verifyPreviewToken(value, r, host, now);
      return v.ok ? "ok" : v.reason;
    };
    expect(reason(token, ring(), "de.wikipedia.org")).toBe("other-host");
    expect(reason(token, ring(), HOST, NOW + 3_600_000)).toBe("expired");
    expect(reason(token, ring(), HOST, NOW + 3_599_999)).toBe("ok");
    expect(reason(mintPreviewToken(ring(), HOST, pairs, NOW + MAX_PREVIEW_TTL_MS + 3_600_000))).toBe("too-long-lived");
    expect(reason(token, ringOf(DEV_KEYS))).toBe("unknown-tag");
    expect(reason(token, ringOf("3:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE"))).toBe("bad-mac");
    expect(reason("")).toBe("length");
    expect(reason("A".repeat(3000))).toBe("length");
    expect(reason(token + "=")).toBe("encoding");
    expect(reason(token.slice(0, 10))).toBe("encoding");
    expect(reason(`"${token}"`)).toBe("encoding");
    const bytes = decodeBase64url(token)!;
    for (let i = 0; i < bytes.length; i++) {
      const copy = bytes.slice();
      copy[i] = copy[i]! ^ 0x01;
      expect(["bad-mac", "version", "unknown-tag"]).toContain(reason(encodeBase64url(copy)));
    }
    const v2 = bytes.slice();
    v2[0] = 2;
    expect(reason(encodeBase64url(v2))).toBe("version");
  });

  it("a MAC-valid body that is not well formed is refused (defence in depth)", () => {
    // Sign malformed bodies with the real key by hand, as a leaked key could.
    const forge = (body: string) => {
      const text = new TextEncoder().encode(body);
      const bytes = new Uint8Array(6 + text.length + 16);
      bytes[0] = 1;
      bytes[1] = 3;
      new DataView(bytes.buffer).setUint32(2, Math.floor((NOW + 60_000) / 1000));
      bytes.set(text, 6);
      const key = decodeBase64url(vectors.keyRing.split(":")[1]!)!;
      const macKey = sipHash128(key.subarray(0, 16), new Uint8Array([...new TextEncoder().encode("wmf-uniq/mac/v1\0"), ...key.subarray(16)]));
      bytes.set(sipHash128(macKey, new Uint8Array([...new TextEncoder().encode("wmf-preview/v1\0"), ...bytes.subarray(0, bytes.length - 16)])), bytes.length - 16);
      const r = verifyPreviewToken(encodeBase64url(bytes), ring(), HOST, NOW);
      return r.ok ? "ok" : r.reason;
    };
    expect(forge(`${HOST}\nfifty-fifty-test=treatment;`)).toBe("ok");
    expect(forge(`${HOST}\nfifty-fifty-test=treatment`)).toBe("malformed");
    expect(forge(`${HOST}fifty-fifty-test=treatment;`)).toBe("malformed");
    expect(forge(`${HOST}\nbad=x;`)).toBe("malformed");
    expect(forge(`${HOST}\nfifty-fifty-test=a;fifty-fifty-test=b;`)).toBe("malformed");
    expect(forge(`EN.wikipedia.org\nfifty-fifty-test=a;`)).toBe("malformed");
    expect(forge(`${HOST}\nfifty-fifty-test=tr\u00e9atment;`)).toBe("malformed");
    expect(forge(`${HOST}\nfifty-fifty-test=tr\u007featment;`)).toBe("malformed");
    // A pair without "=" (which, cut at -1, would read as `fifty-fifty-tes=fifty-fifty-test`).
    expect(forge(`${HOST}\nfifty-fifty-test;`)).toBe("malformed");
    expect(forge(`${HOST}\n=treatment;`)).toBe("malformed");
    // The shortest bodies: none at all is too short to be a token; one byte is a malformed body.
    expect(forge("")).toBe("encoding");
    expect(forge("\n")).toBe("malformed");
    // At most MAX_PREVIEW_PAIRS pairs, even under a valid MAC.
    const many = (n: number) => Array.from({ length: n }, (_, i) => `exp-${String(i).padStart(4, "0")}=g;`).join("");
    expect(forge(`${HOST}\n${many(MAX_PREVIEW_PAIRS)}`)).toBe("ok");
    expect(forge(`${HOST}\n${many(MAX_PREVIEW_PAIRS + 1)}`)).toBe("malformed");
  });

  it("takes a token of exactly the longest length, and no longer", () => {
    // 1,536 bytes are 2,048 base64url characters: 6 + body + 16, with a body of 1,514 bytes.
    const name = (i: number) => `exp-${String(i).padStart(2, "0")}-${"x".repeat(56)}`; // 63 characters
    const pairsOfBody = (lastGroupLength: number) =>
      new Map([...Array.from({ length: 11 }, (_, i): [string, string] => [name(i), "g".repeat(63)]), [name(11), "g".repeat(lastGroupLength)]]);
    const longest = mintPreviewToken(ring(), HOST, pairsOfBody(24), NOW + 60_000);
    expect(longest.length).toBe(MAX_PREVIEW_TOKEN_LENGTH);
    expect(verifyPreviewToken(longest, ring(), HOST, NOW).ok).toBe(true);
    expect(() => mintPreviewToken(ring(), HOST, pairsOfBody(25), NOW + 60_000)).toThrow("preview token too long");
    const tooLong = encodeBase64url(new Uint8Array([...decodeBase64url(longest)!, 0]));
    expect(tooLong.length).toBeGreaterThan(MAX_PREVIEW_TOKEN_LENGTH);
    expect(verifyPreviewToken(tooLong, ring(), HOST, NOW)).toEqual({ ok: false, reason: "length" });
  });

  it("allows five minutes of clock skew beyond the longest TTL, to the second", () => {
    const SKEW = 5 * 60_000;
    const at = (expiresAtMs: number) => {
      const v = verifyPreviewToken(mintPreviewToken(ring(), HOST, pairs, expiresAtMs), ring(), HOST, NOW);
      return v.ok ? "ok" : v.reason;
    };
    expect(at(NOW + MAX_PREVIEW_TTL_MS + SKEW)).toBe("ok");
    expect(at(NOW + MAX_PREVIEW_TTL_MS + SKEW + 1000)).toBe("too-long-lived");
    expect(at(NOW + MAX_PREVIEW_TTL_MS + 60_000)).toBe("ok");
  });

  it("the tool's mistakes are refused when minting", () => {
    expect(() => mintPreviewToken(ring(), "EN.wikipedia.org", pairs, NOW)).toThrow("not a host name: EN.wikipedia.org");
    expect(() => mintPreviewToken(ring(), HOST, new Map(), NOW)).toThrow("a preview names 1..32 experiments");
    expect(() => mintPreviewToken(ring(), HOST, new Map([["short", "x"]]), NOW)).toThrow("not an experiment=group pair: short=x");
    const manyPairs = (n: number) => new Map(Array.from({ length: n }, (_, i): [string, string] => [`exp-${String(i).padStart(4, "0")}`, "g"]));
    expect(verifyPreviewToken(mintPreviewToken(ring(), HOST, manyPairs(MAX_PREVIEW_PAIRS), NOW + 60_000), ring(), HOST, NOW).ok).toBe(true);
    expect(() => mintPreviewToken(ring(), HOST, manyPairs(MAX_PREVIEW_PAIRS + 1), NOW)).toThrow("a preview names 1..32 experiments");
    // The expiry is seconds since 1970 in four bytes: 0 through 2^32 - 1.
    expect(mintPreviewToken(ring(), HOST, pairs, 0)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(mintPreviewToken(ring(), HOST, pairs, 0xffffffff * 1000)).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const bad of [-1000, 0x100000000 * 1000, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => mintPreviewToken(ring(), HOST, pairs, bad), String(bad)).toThrow("expiry out of range");
    }
  });
});
