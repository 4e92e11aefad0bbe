import { describe, expect, it } from "vitest";
import { packMessage, sipHash128, sipHash128Packed, sipKey } from "../../src/siphash.js";
import reference from "./vectors/siphash128-reference.json" with { type: "json" };
import { hex, seq } from "../helpers/bytes.js";

describe("SipHash-2-4-128", () => {
  const key = seq(16);

  it("matches all 64 reference vectors", () => {
    reference.vectors.forEach((expected, len) => {
      expect(hex(sipHash128(key, seq(len))), `length ${len}`).toBe(expected);
    });
  });

  it("packed form equals the byte form and does not depend on leftover output", () => {
    const out = new Uint32Array(8).fill(0xffffffff);
    sipHash128Packed(sipKey(key), packMessage(seq(15)), out, 4);
    expect(Array.from(out.subarray(0, 4))).toEqual([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    const bytes = new Uint8Array(out.buffer, 16, 16);
    expect(hex(bytes)).toBe(reference.vectors[15]);
  });

  it("rejects a short key, counting from the offset", () => {
    expect(() => sipKey(new Uint8Array(15))).toThrow(new RangeError("SipHash key needs 16 bytes"));
    expect(() => sipKey(new Uint8Array(32), 17)).toThrow(new RangeError("SipHash key needs 16 bytes"));
    expect(Array.from(sipKey(Uint8Array.from({ length: 32 }, (_, i) => i), 16))).toEqual([0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c]);
  });
});
