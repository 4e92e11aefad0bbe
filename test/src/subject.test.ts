import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../src/base64url.js";
import { parseKeyRing } from "../../src/keyring.js";
import { sipHash128 } from "../../src/siphash.js";
import { bucketOf, deriveSubject, selectorFingerprint, subjectIdOf, visitorKey } from "../../src/subject.js";
import { mintToken } from "../../src/token.js";
import { unhex } from "../helpers/bytes.js";
import golden from "./vectors/subject-v1.json" with { type: "json" };
import { lazy } from "../helpers/lazy.js";

const ring = lazy(() => {
  const r = parseKeyRing(golden.keys);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
});
const identityOf = (idHex: string) => mintToken(ring(), 0, (b) => b.set(unhex(idHex))).identity;

function fast(idHex: string, selector: string, host: string | null): { subjectId: string; bucket: number } {
  const out = new Uint32Array(4);
  deriveSubject(visitorKey(identityOf(idHex)), selectorFingerprint(selector, host), out, 0, true);
  return { subjectId: subjectIdOf(out, 0), bucket: bucketOf(out, 0) };
}

// The construction written out from its documentation with byte-level SipHash only, as an
// independent check of the word-level fast path.
function fromSpec(idHex: string, selector: string, host: string | null): { subjectId: string; bucket: number } {
  const key = decodeBase64url(golden.keys.split(":")[1]!)!;
  const label = new TextEncoder().encode("wmf-uniq/subject/v1\0");
  const subjectKey = sipHash128(key.subarray(0, 16), new Uint8Array([...label, ...key.subarray(16)]));
  const kv = sipHash128(subjectKey, unhex(idHex));
  const fpInput = new TextEncoder().encode(host === null ? selector : `${selector}\0${host}`);
  const fp = sipHash128(new TextEncoder().encode("ee-selector-fp-1"), fpInput).subarray(0, 7);
  const subject = sipHash128(kv, fp);
  let n = 0n;
  for (let i = 7; i >= 0; i--) n = (n << 8n) | BigInt(subject[i]!);
  return { subjectId: encodeBase64url(subject), bucket: Number(n % 100000n) };
}

describe("subject ID and bucket, construction v1", () => {
  it("matches the frozen golden vectors", () => {
    for (const v of golden.vectors) {
      expect(fast(v.idHex, v.selector, v.host)).toEqual({ subjectId: v.subjectId, bucket: v.bucket });
    }
  });

  it("the fast path equals the construction as documented", () => {
    for (const v of golden.vectors) expect(fast(v.idHex, v.selector, v.host)).toEqual(fromSpec(v.idHex, v.selector, v.host));
  });

  it("is 22 characters of base64url, different per selector and per host when unique_domain", () => {
    const ids = golden.vectors.slice(0, 4).map((v) => v.subjectId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(4);
  });

  it("the half-computed form (pages) gives the same bucket as the full form", () => {
    const kv = visitorKey(identityOf("000102030405060708090a0b0c0d0e0f"));
    const fp = selectorFingerprint("fifty-fifty-test", null);
    const half = new Uint32Array(4), full = new Uint32Array(4);
    deriveSubject(kv, fp, half, 0, false);
    deriveSubject(kv, fp, full, 0, true);
    expect(bucketOf(half, 0)).toBe(bucketOf(full, 0));
    expect(Array.from(half.subarray(0, 2))).toEqual(Array.from(full.subarray(0, 2)));
  });

  it("depends on the key: another ring gives other subjects for the same cookie ID", () => {
    const other = parseKeyRing("0:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE");
    if (!other.ok) throw new Error(other.error);
    const id = unhex(golden.vectors[0]!.idHex);
    const a = new Uint32Array(4), b = new Uint32Array(4);
    const fp = selectorFingerprint("fifty-fifty-test", null);
    deriveSubject(visitorKey(mintToken(ring(), 0, (x) => x.set(id)).identity), fp, a, 0, true);
    deriveSubject(visitorKey(mintToken(other.ring, 0, (x) => x.set(id)).identity), fp, b, 0, true);
    expect(subjectIdOf(a, 0)).not.toBe(subjectIdOf(b, 0));
  });

  it("bucketOf is the little-endian uint64 of the first 8 bytes mod 100,000 at the extremes", () => {
    expect(bucketOf(Uint32Array.from([0xffffffff, 0xffffffff]), 0)).toBe(Number(0xffffffffffffffffn % 100000n));
    expect(bucketOf(Uint32Array.from([99999, 0]), 0)).toBe(99999);
    expect(bucketOf(Uint32Array.from([0, 1]), 0)).toBe(67296);
  });
});
