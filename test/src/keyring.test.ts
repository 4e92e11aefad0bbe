import { describe, expect, it } from "vitest";
import { DEVELOPMENT_KEY, DEVELOPMENT_PREVIEW_KEY, parseKeyRing } from "../../src/keyring.js";
import { decodeBase64url } from "../../src/base64url.js";
import { sipHash128, sipKey } from "../../src/siphash.js";
import { DEV_KEYS, DEV_KEYS_ROTATED } from "../fixtures/config.js";

describe("parseKeyRing", () => {
  it("parses one development key and flags it", () => {
    const r = parseKeyRing(DEV_KEYS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.ring.minting.tag).toBe(0);
    expect(r.ring.tags).toEqual([0]);
    expect(r.ring.usesDevelopmentKey).toBe(true);
    expect(r.ring.lookup(0)).toBe(r.ring.minting);
    expect(r.ring.lookup(1)).toBeUndefined();
  });

  it("first entry mints, all verify, whitespace tolerated", () => {
    const r = parseKeyRing(` ${DEV_KEYS_ROTATED.replace(",", " , ")} `);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.ring.minting.tag).toBe(1);
    expect(r.ring.tags).toEqual([1, 0]);
    expect(r.ring.lookup(1)).toBe(r.ring.minting);
    expect(r.ring.lookup(0)?.tag).toBe(0);
    expect(r.ring.lookup(2)).toBeUndefined();
  });

  it("a ring without the development key says so", () => {
    const r = parseKeyRing("3:bm90LXRoZS1kZXYta2V5LWZvci10ZXN0cy1vbmx5ISE");
    expect(r.ok && r.ring.usesDevelopmentKey).toBe(false);
    expect(r.ok && r.ring.tags).toEqual([3]);
  });

  it("the committed preview key counts as a development key too", () => {
    const r = parseKeyRing(`3:${DEVELOPMENT_PREVIEW_KEY}`);
    expect(r.ok && r.ring.usesDevelopmentKey).toBe(true);
  });

  it("takes every tag up to 255, three digits included", () => {
    const r = parseKeyRing(`255:${DEVELOPMENT_KEY},100:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE`);
    expect(r.ok && r.ring.tags).toEqual([255, 100]);
  });

  it("an entry starting with ':' has a colon but no tag", () => {
    expect(parseKeyRing(`:${DEVELOPMENT_KEY}`)).toEqual({ ok: false, error: "key ring entry 1: tag must be an integer 0..255" });
  });

  it("errors name the entry by its position, counting from 1", () => {
    expect(parseKeyRing(`${DEV_KEYS},5`)).toEqual({ ok: false, error: "key ring entry 2: expected <tag>:<key>" });
  });

  it("splits each key into independent MAC and subject halves", () => {
    const r = parseKeyRing(DEV_KEYS);
    if (!r.ok) throw new Error(r.error);
    expect(Array.from(r.ring.minting.macKey)).not.toEqual(Array.from(r.ring.minting.subjectKey));
  });

  it("derives each subkey as documented: SipHash-2-4-128(K1, label || K2)", () => {
    // Written out from the key derivation v1 comment, byte by byte.
    const r = parseKeyRing(DEV_KEYS);
    if (!r.ok) throw new Error(r.error);
    const k = decodeBase64url(DEVELOPMENT_KEY)!;
    const derive = (label: string) => Array.from(sipKey(sipHash128(k.subarray(0, 16), new Uint8Array([...new TextEncoder().encode(label), ...k.subarray(16)]))));
    expect(Array.from(r.ring.minting.macKey)).toEqual(derive("wmf-uniq/mac/v1\0"));
    expect(Array.from(r.ring.minting.subjectKey)).toEqual(derive("wmf-uniq/subject/v1\0"));
  });

  it("derives subkeys from all 32 bytes: keys sharing a 16-byte prefix share nothing", () => {
    // Both development keys start with "development-key-".
    const r = parseKeyRing(DEV_KEYS_ROTATED);
    if (!r.ok) throw new Error(r.error);
    const a = r.ring.lookup(0)!, b = r.ring.lookup(1)!;
    expect(Array.from(a.macKey)).not.toEqual(Array.from(b.macKey));
    expect(Array.from(a.subjectKey)).not.toEqual(Array.from(b.subjectKey));
  });

  it.each([
    ["missing", undefined, "empty or missing"],
    ["empty", "  ", "empty or missing"],
    ["no tag", DEVELOPMENT_KEY, "expected <tag>:<key>"],
    ["tag out of range", `256:${DEVELOPMENT_KEY}`, "tag must be an integer 0..255"],
    ["tag with sign", `+1:${DEVELOPMENT_KEY}`, "tag must be an integer"],
    ["tag with leading zero", `01:${DEVELOPMENT_KEY}`, "tag must be an integer"],
    ["duplicate tag", `3:${DEVELOPMENT_KEY},3:${DEVELOPMENT_KEY}`, "tag 3 appears twice"],
    ["short key", "1:c2hvcnQ", "key must be 32 bytes"],
    ["padded key", `1:${DEVELOPMENT_KEY}=`, "key must be 32 bytes"],
    ["standard base64", `1:${DEVELOPMENT_KEY.slice(0, -1)}+`, "key must be 32 bytes"],
    ["repeated byte", `1:${"A".repeat(43)}`, "repeated byte"],
  ])("rejects %s", (_, text, message) => {
    const r = parseKeyRing(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain(message);
  });

  it("never echoes key material in errors", () => {
    const secretish = "9:" + "Qk".repeat(21) + "x";
    const r = parseKeyRing(`0:${DEVELOPMENT_KEY},${secretish}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).not.toContain("QkQk");
  });
});
