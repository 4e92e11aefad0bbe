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

  it("has no keys for a non-object document", () => {
    expect(scanJsonKeys("[1, 2]").topLevelOrder).toEqual([]);
    expect(scanJsonKeys('"x"').topLevelOrder).toEqual([]);
  });
});
