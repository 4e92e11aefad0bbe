import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringEnd, topLevelEntries, type TopLevelEntries } from "../../src/json-entries.js";
import { propertyRuns } from "../helpers/property-runs.js";

/**
 * topLevelEntries must agree with JSON.parse: for every text it does not give up on, the
 * text is a JSON object whose entries, parsed piece by piece, are JSON.parse's; and it gives
 * up on no JSON object text.
 */

function run(text: string, sliceChars = 7): TopLevelEntries | null {
  const steps = topLevelEntries(text, sliceChars);
  for (let s = steps.next(); ; s = steps.next()) if (s.done) return s.value;
}

// JSON object texts written by hand, with odd spacing, escaped and repeated keys, and
// every kind of value; and broken copies of them.
const keyArb = fc.oneof(fc.constantFrom("a", "_comment", "__proto__", "12345678", 'q"uote', "back\\slash", ":", "}", ""), fc.string({ maxLength: 5 }));
const spaceArb = fc.constantFrom("", " ", "\n", "\t ", "\r\n  ");
const objectTextArb = fc
  .array(fc.tuple(keyArb, fc.boolean(), fc.jsonValue({ maxDepth: 3 }), spaceArb, spaceArb), { maxLength: 6 })
  .map((entries) => {
    const key = (k: string, escaped: boolean) => (escaped ? `"${[...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"` : JSON.stringify(k));
    return `{${entries.map(([k, esc, v, s1, s2]) => `${s1}${key(k, esc)}${s2}:${s1}${JSON.stringify(v, null, s2 === "" ? undefined : 1)}${s2}`).join(",")}}`;
  });
const mangledArb = fc.tuple(objectTextArb, fc.nat(), fc.constantFrom("", ",", "}", "]", '"', "\\", "{", "x", " 1", "\u0001")).map(([t, at, s]) => {
  const i = at % (t.length + 1);
  return t.slice(0, i) + s + t.slice(i + (s === "" ? 1 : 0));
});

describe("topLevelEntries", () => {
  it("gives JSON.parse's entries for every object text, and gives up on every text that is not one", () => {
    let split = 0;
    fc.assert(
      fc.property(fc.oneof(objectTextArb, mangledArb, fc.json()), (text) => {
        let whole: unknown;
        let valid = true;
        try {
          whole = JSON.parse(text);
        } catch {
          valid = false;
        }
        const isObject = valid && typeof whole === "object" && whole !== null && !Array.isArray(whole);
        const r = run(text);
        if (!isObject) {
          // It may accept the glue of a broken text only if some piece is then refused by JSON.parse.
          if (r !== null) expect(() => r.starts.forEach((s, i) => JSON.parse(text.slice(s, r.ends[i])))).toThrow();
          return;
        }
        expect(r).not.toBeNull();
        split++;
        const rebuilt: Record<string, unknown> = {};
        r!.keys.forEach((k, i) => Object.defineProperty(rebuilt, k, { value: JSON.parse(text.slice(r!.starts[i], r!.ends[i])), enumerable: true, writable: true, configurable: true }));
        expect(rebuilt).toStrictEqual(whole);
        expect(Object.keys(rebuilt)).toEqual(Object.keys(whole as object));
      }),
      { seed: 14, numRuns: 4000 },
    );
    expect(split).toBeGreaterThan(propertyRuns(4000) / 4);
  });

  it("pauses while it scans, once per slice of the values' text", () => {
    const text = JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, { v: "x".repeat(50), n: [i, i] }])));
    const pausesAt = (sliceChars: number) => {
      const steps = topLevelEntries(text, sliceChars);
      let pauses = 0;
      for (let s = steps.next(); !s.done; s = steps.next()) pauses++;
      return pauses;
    };
    // 3,480 characters of values; a string counts whole, and a slice's overshoot is not carried over.
    expect([pausesAt(100), pausesAt(1000)]).toEqual([25, 3]);
    // A slice of one character pauses after every character outside a string, and after every string.
    expect(pausesAt(1)).toBe(730);
  });

  it("counts a string whole, its quotes included, towards the slice", () => {
    const pauses = (text: string, sliceChars: number) => {
      const steps = topLevelEntries(text, sliceChars);
      let n = 0;
      for (let s = steps.next(); !s.done; s = steps.next()) n++;
      return n;
    };
    // A value of one string of exactly 100 characters, quotes included.
    const hundred = `{"k": "${"x".repeat(98)}"}`;
    expect([pauses(hundred, 99), pauses(hundred, 100), pauses(hundred, 101)]).toEqual([1, 1, 0]);
    // The empty string is two characters.
    expect([pauses('{"k": ""}', 2), pauses('{"k": ""}', 3)]).toEqual([1, 0]);
  });

  it("stringEnd finds the quote that closes the string, or -1", () => {
    expect(stringEnd('"abc"', 0)).toBe(4);
    // Texts as String.raw spells them: each backslash is one character.
    expect(stringEnd(String.raw`x "a\\" "b"`, 2)).toBe(6);
    expect(stringEnd(String.raw`"a\"b"`, 0)).toBe(5);
    expect(stringEnd(String.raw`"a\\\"b"`, 0)).toBe(7);
    expect(stringEnd('"abc', 0)).toBe(-1);
    expect(stringEnd(String.raw`"a\"`, 0)).toBe(-1);
    expect(stringEnd('"', 0)).toBe(-1);
  });

  // Exact answers at each turn of the scan: the entries' spans, or null for any text that is
  // not an object of entries (a caller then parses the whole text, which reports it).
  it.each([
    ["{}", { keys: [], starts: [], ends: [] }],
    [" \t{ \n} \r\n", { keys: [], starts: [], ends: [] }],
    ['{"a": 1 }', { keys: ["a"], starts: [6], ends: [7] }],
    ['{ "a" :\t[1, {"b": "}"}] ,\n"c":"x\\"y"}', { keys: ["a", "c"], starts: [8, 30], ends: [23, 36] }],
    ['{"a\\u0062": {"}": ","}}', { keys: ["ab"], starts: [12], ends: [22] }],
    // An escaped backslash just before the closing quote: the quote is not escaped.
    ['{"a": "\\\\", "b": 1}', { keys: ["a", "b"], starts: [6, 17], ends: [10, 18] }],
    // Not an object from the first character, or a key without its colon.
    ['x"a": 1}', null],
    ['{"a" 1}', null],
    // Without its colon, the key's next character would be skipped as if it were one.
    ['{"a" 12}', null],
    ['{"a"x"b"}', null],
    ["{} 1", null],
    ["{}}", null],
    ['{"a": 1} x', null],
    ['{"a": }', null],
    ['{"a":}', null],
    ['{"a": 1,}', null],
    ['{"a": 1', null],
    ['{"a": "x', null],
    ['{"a', null],
    ['{"a\u0001": 1}', null],
    ["{a: 1}", null],
    ['{"a": 1]', null],
    ["[1]", null],
    ["", null],
  ] as [string, TopLevelEntries | null][])("%j", (text, expected) => {
    expect(run(text)).toEqual(expected);
  });
});
