import { describe, expect, it } from "vitest";
import { BoundedMemo } from "../../src/bounded-memo.js";

// A computation that counts its calls, so a test sees when the memo answers instead.
function counted() {
  const calls: string[] = [];
  const memo = new BoundedMemo(3, (key: string) => {
    calls.push(key);
    return key.length;
  });
  return { memo, calls };
}

describe("BoundedMemo", () => {
  it("computes a key once and answers from memory after", () => {
    const { memo, calls } = counted();
    expect(memo.get("abc")).toBe(3);
    expect(memo.get("abc")).toBe(3);
    expect(memo.get("de")).toBe(2);
    expect(memo.get("abc")).toBe(3);
    expect(calls).toEqual(["abc", "de"]);
    expect(memo.size).toBe(2);
  });

  it("holds at most its limit, and starts over on the first key past it", () => {
    const { memo, calls } = counted();
    for (const key of ["a", "b", "c"]) memo.get(key);
    expect(memo.size).toBe(3);
    // Full: a known key is still answered from memory.
    memo.get("a");
    expect(calls).toEqual(["a", "b", "c"]);
    // A new key starts over: only it is held, and the old ones are computed again.
    expect(memo.get("dd")).toBe(2);
    expect(memo.size).toBe(1);
    memo.get("a");
    expect(calls).toEqual(["a", "b", "c", "dd", "a"]);
    expect(memo.size).toBe(2);
  });

  it("no stream of made-up keys grows it past the limit", () => {
    const { memo } = counted();
    let largest = 0;
    for (let i = 0; i < 100; i++) {
      memo.get(`made-up-${i}`);
      largest = Math.max(largest, memo.size);
    }
    expect(largest).toBe(3);
  });
});
