import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../src/base64url.js";
import { parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { mintToken, TOKEN_LENGTH, verifyToken } from "../../src/token.js";
import { DEV_KEYS, DEV_KEYS_ROTATED } from "../fixtures/config.js";
import { hex, seq, unhex } from "../helpers/bytes.js";
import { seededRandom } from "../helpers/random.js";
import golden from "./vectors/token-v1.json" with { type: "json" };
import { lazy } from "../helpers/lazy.js";

function ring(text: string): KeyRing {
  const r = parseKeyRing(text);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
}

const dev = lazy(() => ring(DEV_KEYS));
const fixedRandom = (id: Uint8Array) => (buf: Uint8Array) => buf.set(id);

describe("WMF-Uniq token v1", () => {
  it("matches the golden vectors (layout, MAC and encoding are frozen)", () => {
    for (const v of golden.vectors) {
      const r = ring(v.keys);
      const minted = mintToken(r, Date.parse(v.now), fixedRandom(unhex(v.idHex)));
      expect(minted.value).toBe(v.token);
      const checked = verifyToken(v.token, r);
      expect(checked.ok).toBe(true);
      if (checked.ok) {
        expect(hex(checked.identity.id)).toBe(v.idHex);
        expect(checked.identity.mintDay).toBe(v.mintDay);
        expect(checked.identity.key.tag).toBe(v.tag);
      }
    }
  });

  it("mints 48 characters carrying the version, tag, day and the CSPRNG's bytes", () => {
    const { value, identity } = mintToken(dev(), Date.parse("2025-06-15T23:59:59Z"), fixedRandom(seq(16, 100)));
    expect(value).toHaveLength(TOKEN_LENGTH);
    const bytes = decodeBase64url(value)!;
    expect(bytes[0]).toBe(1);
    expect(bytes[1]).toBe(0);
    expect((bytes[2]! << 8) | bytes[3]!).toBe(Math.floor(Date.parse("2025-06-15T00:00:00Z") / 86_400_000));
    expect(hex(identity.id)).toBe(hex(seq(16, 100)));
  });

  it("asks the CSPRNG for the 16 bytes of the ID, once", () => {
    // The random source sees only the ID: never the header bytes or the MAC's place.
    const asked: number[] = [];
    mintToken(dev(), 0, (b) => asked.push(b.length));
    expect(asked).toEqual([16]);
  });

  it("two mints from a real CSPRNG differ", () => {
    const random = (b: Uint8Array) => crypto.getRandomValues(b);
    expect(mintToken(dev(), 0, random).value).not.toBe(mintToken(dev(), 0, random).value);
  });

  describe("rejections, each with its reason", () => {
    const good = mintToken(dev(), Date.parse("2025-06-15T00:00:00Z"), fixedRandom(seq(16))).value;

    it.each([
      ["absent", undefined, "absent"],
      ["empty", "", "length"],
      ["truncated", good.slice(0, -1), "length"],
      ["padded", `${good}=`, "length"],
      ["quoted", `"${good}"`, "length"],
      ["oversized", good.repeat(100), "length"],
      ["non-ASCII", `${good.slice(0, -1)}é`, "encoding"],
      ["standard base64 alphabet", `+${good.slice(1)}`, "encoding"],
      ["space inside", `${good.slice(0, 20)} ${good.slice(21)}`, "encoding"],
    ])("%s", (_, value, reason) => {
      expect(verifyToken(value, dev())).toEqual({ ok: false, reason });
    });

    it("every single-character edit fails (bad-mac, version, unknown-tag or encoding)", () => {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      for (let i = 0; i < good.length; i++) {
        const replacement = alphabet[(alphabet.indexOf(good[i]!) + 17) % 64]!;
        const edited = good.slice(0, i) + replacement + good.slice(i + 1);
        const r = verifyToken(edited, dev());
        expect(r.ok, `edit at ${i}`).toBe(false);
        if (!r.ok) expect(["bad-mac", "version", "unknown-tag"]).toContain(r.reason);
      }
    });

    it("wrong version byte", () => {
      const bytes = decodeBase64url(good)!;
      bytes[0] = 2;
      expect(verifyToken(encodeBase64url(bytes), dev())).toEqual({ ok: false, reason: "version" });
    });

    it("tag not in the ring", () => {
      const other = ring("7:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE");
      const foreign = mintToken(other, 0, fixedRandom(seq(16))).value;
      expect(verifyToken(foreign, dev())).toEqual({ ok: false, reason: "unknown-tag" });
    });

    it("same tag, different key (another deployment's ring)", () => {
      const impostor = ring("0:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE");
      const foreign = mintToken(impostor, 0, fixedRandom(seq(16))).value;
      expect(verifyToken(foreign, dev())).toEqual({ ok: false, reason: "bad-mac" });
    });

    it("random 48-character garbage never verifies", () => {
      const rnd = seededRandom(99);
      for (let i = 0; i < 2000; i++) {
        const bytes = new Uint8Array(36);
        rnd.fill(bytes);
        bytes[0] = 1;
        bytes[1] = 0;
        expect(verifyToken(encodeBase64url(bytes), dev())).toEqual({ ok: false, reason: "bad-mac" });
      }
    });
  });

  it("rotation: the new key mints, tokens of the old key still verify with the same identity", () => {
    const rotated = ring(DEV_KEYS_ROTATED);
    const old = mintToken(dev(), 0, fixedRandom(seq(16, 5)));
    const checked = verifyToken(old.value, rotated);
    expect(checked.ok).toBe(true);
    if (checked.ok) {
      expect(checked.identity.key.tag).toBe(0);
      expect(hex(checked.identity.id)).toBe(hex(old.identity.id));
    }
    const fresh = mintToken(rotated, 0, fixedRandom(seq(16, 5)));
    expect(decodeBase64url(fresh.value)![1]).toBe(1);
    // Retiring the old key: its tokens now fail as unknown-tag (and get re-minted).
    expect(verifyToken(old.value, ring("1:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE"))).toEqual({ ok: false, reason: "unknown-tag" });
  });
});
