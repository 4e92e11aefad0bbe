import { describe, expect, it } from "vitest";
import { decodeBase64url, decodeBase64urlInto, encodeBase64url } from "../../src/base64url.js";
import { seededRandom } from "../helpers/random.js";

describe("base64url", () => {
  it("matches RFC 4648 test vectors without padding", () => {
    const cases: [string, string][] = [["", ""], ["f", "Zg"], ["fo", "Zm8"], ["foo", "Zm9v"], ["foob", "Zm9vYg"], ["fooba", "Zm9vYmE"], ["foobar", "Zm9vYmFy"]];
    for (const [plain, coded] of cases) {
      expect(encodeBase64url(new TextEncoder().encode(plain))).toBe(coded);
      expect(new TextDecoder().decode(decodeBase64url(coded)!)).toBe(plain);
    }
  });

  it("uses the URL alphabet", () => {
    expect(encodeBase64url(Uint8Array.from([0xfb, 0xff, 0xbf]))).toBe("-_-_");
    expect(decodeBase64url("-_-_")).toEqual(Uint8Array.from([0xfb, 0xff, 0xbf]));
  });

  it("takes the alphabet's last character (63) in a short tail too", () => {
    // 63 is in the alphabet: only values above it mean a foreign character.
    expect(decodeBase64url("_w")).toEqual(Uint8Array.from([0xff]));
    expect(decodeBase64url("__8")).toEqual(Uint8Array.from([0xff, 0xff]));
    expect(encodeBase64url(Uint8Array.from([0xff, 0xff]))).toBe("__8");
  });

  it("round-trips random byte strings and agrees with Node's encoder", () => {
    const rnd = seededRandom(7);
    for (let n = 0; n < 200; n++) {
      const bytes = new Uint8Array(n % 50);
      rnd.fill(bytes);
      const coded = encodeBase64url(bytes);
      expect(coded).toBe(Buffer.from(bytes).toString("base64url"));
      expect(decodeBase64url(coded)).toEqual(bytes);
    }
  });

  it.each([
    ["padding", "Zg=="],
    ["standard alphabet", "+/+/"],
    ["whitespace", "Zm9v Yg"],
    ["impossible length", "Zm9vY"],
    ["stray bits after the last byte", "Zh"],
    ["stray bits after two bytes", "Zm9"],
    ["non-ASCII", "Zm9é"],
    ["the first char past ASCII", "Zm9\u0080"],
    ["a foreign character first in a two-character tail", "Zm9v!A"],
    ["a foreign character in a three-character tail", "Zm9v!AA"],
    ["a foreign character in a full block", "Zm!v"],
    ["one character", "Z"],
  ])("rejects %s", (_, text) => {
    expect(decodeBase64url(text)).toBeNull();
  });

  it("decodeBase64urlInto wants exactly floor(length * 3 / 4) bytes", () => {
    expect(decodeBase64urlInto("Zm9vYg", new Uint8Array(4))).toBe(true);
    expect(decodeBase64urlInto("Zm9vYg", new Uint8Array(5))).toBe(false);
    expect(decodeBase64urlInto("Zm9vYg", new Uint8Array(3))).toBe(false);
    expect(decodeBase64urlInto("Zm9vY", new Uint8Array(3))).toBe(false);
    const out = new Uint8Array(4);
    decodeBase64urlInto("Zm9vYg", out);
    expect(new TextDecoder().decode(out)).toBe("foob");
  });
});
