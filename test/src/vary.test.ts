import { describe, expect, it } from "vitest";
import { ENROLLMENTS_TOKEN, parseVary } from "../../src/vary.js";

describe("parseVary: what the browser gets (contract §5)", () => {
  it.each([
    ["first of two", "X-Experiment-Enrollments, Accept-Encoding", "Accept-Encoding", true],
    ["alone", "X-Experiment-Enrollments", null, true],
    ["alone, padded", " X-Experiment-Enrollments ", null, true],
    ["in the middle", "Accept-Encoding,X-Experiment-Enrollments ,Cookie", "Accept-Encoding, Cookie", true],
    ["last", "Accept-Encoding, x-experiment-enrollments", "Accept-Encoding", true],
    ["any casing", "X-EXPERIMENT-ENROLLMENTS", null, true],
    ["not ours, several, written tightly: passed on as written", "Accept-Encoding,Cookie", "Accept-Encoding,Cookie", false],
    ["twice", "X-Experiment-Enrollments, Cookie, X-Experiment-Enrollments", "Cookie", true],
    ["with empty members", "X-Experiment-Enrollments, , Cookie,", "Cookie", true],
    // Nothing left once ours is taken out: no Vary at all, not an empty one.
    ["only ours, twice", "X-Experiment-Enrollments, x-experiment-enrollments", null, true],
    ["only ours, with empty members", ",X-Experiment-Enrollments,", null, true],
    ["absent", "Accept-Encoding, Cookie", "Accept-Encoding, Cookie", false],
    ["absent, one name", "Accept-Encoding", "Accept-Encoding", false],
    ["a look-alike token", "X-Experiment-Enrollments-V2", "X-Experiment-Enrollments-V2", false],
    ["a look-alike among others", "X-Experiment-Enrollments-V2, Cookie", "X-Experiment-Enrollments-V2, Cookie", false],
  ])("%s", (_, input, value, varies) => {
    const vary = parseVary(input);
    expect(vary.value).toBe(value);
    expect(vary.variesOnEnrollments).toBe(varies);
  });

  it("no header stays no header", () => {
    expect(parseVary(null)).toEqual({ value: null, variesOnEnrollments: false, keyed: [] });
  });
});

describe("parseVary: what the split cache keys on", () => {
  it.each([
    ["nothing for Accept-Encoding alone", "Accept-Encoding", []],
    ["nothing for an empty value", "", []],
    ["our token alone", "X-Experiment-Enrollments", [ENROLLMENTS_TOKEN]],
    ["one request header, lower-cased", "Cookie", ["cookie"]],
    ["one request header, padded", " Cookie ", ["cookie"]],
    ["ours and Accept-Encoding", "X-Experiment-Enrollments, Accept-Encoding", [ENROLLMENTS_TOKEN]],
    ["sorted and unique", "User-Agent, cookie, X-Experiment-Enrollments, Cookie", ["cookie", "user-agent", ENROLLMENTS_TOKEN]],
    ["no empty names", "Cookie,,  ,Origin", ["cookie", "origin"]],
  ])("%s", (_, input, keyed) => {
    expect(parseVary(input).keyed).toEqual(keyed);
  });

  it.each([["*"], [" * "], ["Cookie, *"], ["*, X-Experiment-Enrollments"]])("Vary: %j cannot be honoured by any cache: keyed is null", (input) => {
    expect(parseVary(input).keyed).toBeNull();
  });

  it("Vary: * is still delivered as sent (only our token is ever removed)", () => {
    expect(parseVary("*")).toEqual({ value: "*", variesOnEnrollments: false, keyed: null });
    expect(parseVary("X-Experiment-Enrollments, *")).toEqual({ value: "*", variesOnEnrollments: true, keyed: null });
  });
});

describe("parseVary: the remembered last value", () => {
  it("gives the right answer however values repeat and alternate (equal lengths included), and cannot be changed by a reader", () => {
    const cases: [string, string | null, boolean, string[] | null][] = [
      ["X-Experiment-Enrollments, Accept-Encoding", "Accept-Encoding", true, [ENROLLMENTS_TOKEN]],
      ["Accept-Encoding, Cookie", "Accept-Encoding, Cookie", false, ["cookie"]],
      ["X-Experiment-Enrollments", null, true, [ENROLLMENTS_TOKEN]],
      ["Cookie, *", "Cookie, *", false, null],
      ["Cookie", "Cookie", false, ["cookie"]],
      ["Origin", "Origin", false, ["origin"]],
    ];
    for (const order of [[0, 0, 1, 1, 0, 2, 2, 3, 0], [3, 2, 1, 0, 0, 3], [4, 5, 4, 5, 5]]) {
      for (const i of order) {
        const [input, value, varies, keyed] = cases[i]!;
        const vary = parseVary(input);
        expect(vary).toEqual({ value, variesOnEnrollments: varies, keyed });
        expect(Object.isFrozen(vary)).toBe(true);
        if (vary.keyed !== null) expect(Object.isFrozen(vary.keyed)).toBe(true);
      }
    }
  });

  it("hands out the same parse while the value repeats (the fast path: no split, no sort), and a new one when it changes", () => {
    const first = parseVary("X-Experiment-Enrollments, Accept-Encoding");
    expect(parseVary("X-Experiment-Enrollments, Accept-Encoding")).toBe(first);
    const other = parseVary("Accept-Encoding, Cookie");
    expect(other).not.toBe(first);
    expect(parseVary("Accept-Encoding, Cookie")).toBe(other);
  });
});
