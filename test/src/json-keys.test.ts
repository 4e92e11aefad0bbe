import { describe, expect, it } from "vitest";
import { scanJsonKeys } from "../../src/json-keys.js";

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
