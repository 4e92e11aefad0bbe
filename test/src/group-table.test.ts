import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupIssues, groupsAreSound, type GroupTable } from "../../src/group-table.js";
import { propertyRuns } from "../helpers/property-runs.js";

describe("groupIssues", () => {
  it.each([
    ["one group", { a: [0, 99_999] }, []],
    ["ranges that meet without sharing a bucket", { a: [0, 9], b: [10, 19], c: [20, 20] }, []],
    ["a range of one bucket", { a: [5, 5] }, []],
    ["a reversed range", { a: [10, 5] }, [{ group: "a", message: "range [10, 5] is reversed: first must be <= last" }]],
    ["two ranges sharing their edge bucket", { a: [0, 10], b: [10, 19] }, [{ group: "b", message: 'range [10, 19] overlaps group "a" [0, 10]' }]],
    // Reported at the later start, against the range that reaches furthest so far.
    ["a range inside another, listed first", { inner: [5, 6], outer: [0, 9] }, [{ group: "inner", message: 'range [5, 6] overlaps group "outer" [0, 9]' }]],
    [
      "a long range and two it covers",
      { long: [0, 100], b: [10, 20], c: [50, 60] },
      [
        { group: "b", message: 'range [10, 20] overlaps group "long" [0, 100]' },
        { group: "c", message: 'range [50, 60] overlaps group "long" [0, 100]' },
      ],
    ],
    ["the same name in another case", { Control: [0, 9], control: [10, 19] }, [{ group: "control", message: 'group name differs from "Control" only by case' }]],
    // A reversed range takes no part in the overlap check: it is reported once, as reversed.
    ["a reversed range across another", { a: [20, 0], b: [5, 6] }, [{ group: "a", message: "range [20, 0] is reversed: first must be <= last" }]],
    [
      "every kind at once, in the table's order, overlaps last",
      { B: [9, 0], x: [0, 5], b: [6, 8], y: [5, 7] },
      [
        { group: "B", message: "range [9, 0] is reversed: first must be <= last" },
        { group: "b", message: 'group name differs from "B" only by case' },
        { group: "y", message: 'range [5, 7] overlaps group "x" [0, 5]' },
        { group: "b", message: 'range [6, 8] overlaps group "y" [5, 7]' },
      ],
    ],
  ] as [string, GroupTable, unknown[]][])("%s", (_, table, expected) => {
    expect(groupIssues(table)).toStrictEqual(expected);
    expect(groupsAreSound(table)).toBe(expected.length === 0);
  });
});

describe("groupsAreSound (groupIssues's fast path)", () => {
  // Small tables over few buckets and names that differ by case, so every kind of problem
  // comes up, and sound tables too.
  const tableArb = (maxGroups: number) =>
    fc
      .uniqueArray(fc.tuple(fc.constantFrom("a", "A", "b", "B", "ctl", "Ctl", "x", "y", "z", "t1", "t2", "T1"), fc.nat({ max: 30 }), fc.nat({ max: 30 })), {
        minLength: 1,
        maxLength: maxGroups,
        selector: ([name]) => name,
      })
      .map((entries) => Object.fromEntries(entries.map(([name, lo, len]) => [name, [lo, lo + len - (len % 7 === 6 ? 2 * len : 0)] as const])));

  it("answers exactly whether groupIssues finds nothing, for tables of up to 8 groups", () => {
    let sound = 0;
    fc.assert(
      fc.property(tableArb(8), (table) => {
        const clean = groupIssues(table).length === 0;
        expect(groupsAreSound(table)).toBe(clean);
        if (clean) sound++;
      }),
      { seed: 14, numRuns: 3000 },
    );
    expect(sound).toBeGreaterThan(propertyRuns(3000) / 20);
  });

  it("sends every larger table to groupIssues, sound or not", () => {
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`g${i}`, [i * 10, i * 10 + 9] as const]));
    expect(groupIssues(nine)).toStrictEqual([]);
    expect(groupsAreSound(nine)).toBe(false);
    const eight = Object.fromEntries(Object.entries(nine).slice(0, 8));
    expect(groupsAreSound(eight)).toBe(true);
  });
});
