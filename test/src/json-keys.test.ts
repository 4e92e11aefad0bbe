import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonKeyReport, plainKeyOrder, scanJsonKeys } from "../../src/json-keys.js";
import { propertyRuns } from "../helpers/property-runs.js";

describe("scanJsonKeys", () => {
  it("keeps document order even for integer-like keys that JSON.parse moves first", () => {
    const text = '{"b_experiment": 1, "12345678": 2, "a_experiment": {"x": [1, {"y": 2}]}}';
    expect(Object.keys(JSON.parse(text))).toEqual(["12345678", "b_experiment", "a_experiment"]);
    expect(scanJsonKeys(text).topLevelOrder).toEqual(["b_experiment", "12345678", "a_experiment"]);
  });

  it("reports duplicate keys at every depth with their paths", () => {
    const text = '{"a": {"g": {"x": 1, "x": 2}}, "b": [{"k": 1, "k": 1}], "a": 3}';
    expect(scanJsonKeys(text).duplicates).toEqual([
      { path: ["a", "g"], key: "x" },
      { path: ["b", 0], key: "k" },
      { path: [], key: "a" },
    ]);
  });

  it("is not fooled by strings that look like structure, or by escapes", () => {
    const text = '{"a\\"b": "}{,:\\\\", "c": ["\\"d\\":"], "a\\u0022b": 1}';
    const r = scanJsonKeys(text);
    expect(r.topLevelOrder).toEqual(['a"b', "c", 'a"b']);
    expect(r.duplicates).toEqual([{ path: [], key: 'a"b' }]);
  });

  it("string values, in objects and arrays, are never keys", () => {
    const text = '{"a": "b", "c": ["d", "e"], "f": {"g": "h"}, "i": "a"}';
    expect(scanJsonKeys(text)).toEqual({ topLevelOrder: ["a", "c", "f", "i"], duplicates: [] });
  });

  it("finds keys whatever the white space before the colon", () => {
    const text = '{"a" : 1, "b"\n:\t2, "c"\r\n:3, "a"\t: 4}';
    expect(scanJsonKeys(text)).toEqual({ topLevelOrder: ["a", "b", "c", "a"], duplicates: [{ path: [], key: "a" }] });
  });

  it("counts array positions for the path", () => {
    const text = '{"list": [1, {"k": 1}, [0, {"k": 2, "k": 3}], {"j": 1, "j": 2}]}';
    expect(scanJsonKeys(text).duplicates).toEqual([
      { path: ["list", 2, 1], key: "k" },
      { path: ["list", 3], key: "j" },
    ]);
  });

  it("objects with many keys (past the small-array limit) still report every duplicate once", () => {
    const names = Array.from({ length: 20 }, (_, i) => `key${i}`);
    const text = `{${[...names, "key0", "key19", "key5"].map((k, i) => `"${k}": ${i}`).join(", ")}}`;
    expect(scanJsonKeys(text)).toEqual({
      topLevelOrder: [...names, "key0", "key19", "key5"],
      duplicates: [
        { path: [], key: "key0" },
        { path: [], key: "key19" },
        { path: [], key: "key5" },
      ],
    });
  });

  it("has no keys for a non-object document", () => {
    expect(scanJsonKeys("[1, 2]").topLevelOrder).toEqual([]);
    expect(scanJsonKeys('"x"').topLevelOrder).toEqual([]);
  });
});

describe("jsonKeyReport (scanJsonKeys's fast path)", () => {
  // JSON text written by hand from a tree whose objects are lists of pairs, so keys can repeat
  // and be spelled with escapes; keys and strings are full of quotes, backslashes and colons.
  const keyArb = fc.oneof(fc.constantFrom("a", "b", "12345678", "0", '"', "\\", ":", 'x":1', "_comment"), fc.string({ maxLength: 4 }));
  const spell = (k: string, escaped: boolean): string => (escaped ? `"${[...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"` : JSON.stringify(k));
  type Node = { pairs: [string, boolean, Node | string | number][] } | (Node | string | number)[];
  const { tree } = fc.letrec<{ tree: Node; value: Node | string | number }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      fc.array(fc.tuple(keyArb, fc.boolean(), tie("value")), { maxLength: 5 }).map((pairs) => ({ pairs })),
      fc.array(tie("value"), { maxLength: 4 }),
    ),
    value: fc.oneof({ depthSize: "small", maxDepth: 4 }, fc.string({ maxLength: 5 }), fc.integer(), tie("tree")),
  }));
  const render = (n: Node | string | number): string => {
    if (typeof n === "string" || typeof n === "number") return JSON.stringify(n);
    if (Array.isArray(n)) return `[ ${n.map(render).join(" , ")} ]`;
    return `{${n.pairs.map(([k, esc, v]) => `${spell(k, esc)} :\n${render(v)}`).join(",")}}`;
  };

  // Written from the definition (JSON's array index: "0" or no leading zero), not from the code.
  const isIndex = (k: string): boolean => k === "0" || (k.length > 0 && k[0] !== "0" && [...k].every((c) => c >= "0" && c <= "9"));

  it("reports exactly what scanJsonKeys reports, duplicates and order included", () => {
    let fast = 0;
    fc.assert(
      fc.property(tree, (t) => {
        const text = render(t);
        const r = jsonKeyReport(text, JSON.parse(text));
        expect(r).toStrictEqual(scanJsonKeys(text));
        if (r.duplicates.length === 0) fast++;
      }),
      { seed: 14, numRuns: 2000 },
    );
    expect(fast).toBeGreaterThan(propertyRuns(2000) / 20);
  });

  // The fast path must be taken whenever it can be: a count that is off sends a clean
  // document to the slow scan (only time is lost, so no other test would notice).
  it("plainKeyOrder answers exactly when the document is an object with no repeat and no index key at the top", () => {
    let answered = 0;
    fc.assert(
      fc.property(tree, (t) => {
        const text = render(t);
        const value: unknown = JSON.parse(text);
        const scan = scanJsonKeys(text);
        const plain = !Array.isArray(t) && scan.duplicates.length === 0 && !scan.topLevelOrder.some(isIndex);
        const order = plainKeyOrder(text, value);
        expect(order).toStrictEqual(plain ? scan.topLevelOrder : null);
        if (order !== null) answered++;
      }),
      { seed: 15, numRuns: 2000 },
    );
    expect(answered).toBeGreaterThan(propertyRuns(2000) / 20);
  });

  // Each a clean object: colons, quotes and escapes in keys and strings, arrays of strings and
  // objects, keys that look like numbers but are no array index.
  it.each([
    "{}",
    '{"a": 1}',
    '{"a:b": "c:d", "e": ":"}',
    '{"q\\":": "\\"::\\\\", "r": 1}',
    '{"l": ["a:", ":b", {"k": ":"}], "m": [{"k": 1}, {"k": 2}]}',
    '{"a":{"b":{"c":[]}},"d":[[],[{}]]}',
    '{"b": 1, "01": 2, "a1": 3, "1a": 4, "-1": 5, "1.5": 6, " 1": 7, "x0": 8}',
  ])("plainKeyOrder answers for the clean object %s", (text) => {
    expect(plainKeyOrder(text, JSON.parse(text))).toStrictEqual(scanJsonKeys(text).topLevelOrder);
  });

  it.each(["null", "1", '"a:b"', "[]", '[{"a": 1}]', '{"a": 1, "a": 1}', '{"a": {"b": 1, "b": 1}}', '{"a": [{"b": 1, "b": 1}]}', '{"b": 1, "0": 2}', '{"b": 1, "5": 2}', '{"b": 1, "10": 2}', '{"b": 1, "4294967294": 2}'])(
    "plainKeyOrder leaves %s to the scan",
    (text) => {
      expect(plainKeyOrder(text, JSON.parse(text))).toBeNull();
    },
  );

  // Each text has as many keys as another would with one repeat fewer, or hides a ':' or a
  // quote in a string: the count the fast path compares must be exact, or a repeat goes unseen.
  it.each([
    ["null", { topLevelOrder: [], duplicates: [] }],
    ["[]", { topLevelOrder: [], duplicates: [] }],
    ['{"a": 1, "a": 2}', { topLevelOrder: ["a", "a"], duplicates: [{ path: [], key: "a" }] }],
    ['{"x": "a:b", "x": 1}', { topLevelOrder: ["x", "x"], duplicates: [{ path: [], key: "x" }] }],
    ['{"x:": 1, "y": ":", "x:": 2}', { topLevelOrder: ["x:", "y", "x:"], duplicates: [{ path: [], key: "x:" }] }],
    ['{"q\\":": "\\":", "q\\":": 1}', { topLevelOrder: ['q":', 'q":'], duplicates: [{ path: [], key: 'q":' }] }],
    ['{"e\\\\": ":", "e\\\\": 1}', { topLevelOrder: ["e\\", "e\\"], duplicates: [{ path: [], key: "e\\" }] }],
    ['{"k": {"k": 1}, "k": {"k": 1}}', { topLevelOrder: ["k", "k"], duplicates: [{ path: [], key: "k" }] }],
    // An array's items are no keys: counted as keys, they would make up for the repeat.
    ['{"a": [1], "a": [2]}', { topLevelOrder: ["a", "a"], duplicates: [{ path: [], key: "a" }] }],
    ['{"a": [{"b": 1}, {"b": 1, "b": 2}]}', { topLevelOrder: ["a"], duplicates: [{ path: ["a", 1], key: "b" }] }],
    ['{"a": ["::", ":"], "b": {"c": ":"}}', { topLevelOrder: ["a", "b"], duplicates: [] }],
    ['{"b": 1, "0": 2}', { topLevelOrder: ["b", "0"], duplicates: [] }],
  ] as [string, unknown][])("%s", (text, expected) => {
    expect(jsonKeyReport(text, JSON.parse(text))).toStrictEqual(expected);
  });

  it("does not overflow the stack on a document nested deeper than it", () => {
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    const text = `{"a": ${deep}, "a": 1}`;
    expect(jsonKeyReport(text, JSON.parse(text)).duplicates).toEqual([{ path: [], key: "a" }]);
  });
});
