import { afterEach, describe, expect, it, vi } from "vitest";
import type { CompiledConfig } from "../../src/config-compile.js";
import { parseConfig } from "../../src/config-parse.js";

/** The request-time form of a config (src/config-compile.ts), built through parseConfig. */

function compile(doc: unknown): CompiledConfig {
  const r = parseConfig(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

const experiment = (domains: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  start: "2025-06-01T00:00:00Z",
  end: "2025-07-01T00:00:00Z",
  domains,
  ...extra,
});
const on = (groups: Record<string, [number, number]>, extra: Record<string, unknown> = {}) => ({ groups, ...extra });

describe("compiled experiments are shared between hosts with equal groups", () => {
  const shared = (a: Record<string, [number, number]>, b: Record<string, [number, number]>): boolean => {
    const c = compile({ "hosts-experiment": experiment({ "a.example": on(a), "b.example": on(b) }) });
    return c.hosts.get("a.example")!.experiments[0] === c.hosts.get("b.example")!.experiments[0];
  };

  it("the same groups, written separately, in any order: one object", () => {
    expect(shared({ x: [0, 9], y: [10, 19] }, { y: [10, 19], x: [0, 9] })).toBe(true);
  });

  it.each([
    ["another first bucket", { x: [1, 9], y: [10, 19] }],
    ["another last bucket", { x: [0, 8], y: [10, 19] }],
    ["a group more", { x: [0, 9], y: [10, 19], z: [20, 29] }],
    ["a group fewer", { x: [0, 9] }],
    ["another name", { x: [0, 9], w: [10, 19] }],
  ] as [string, Record<string, [number, number]>][])("%s: an object of its own", (_, other) => {
    expect(shared({ x: [0, 9], y: [10, 19] }, other)).toBe(false);
  });

  it("a shared object carries the ranges sorted, with their prebuilt pairs", () => {
    const c = compile({ "hosts-experiment": experiment({ "a.example": on({ y: [10, 19], x: [0, 9] }) }) });
    const e = c.hosts.get("a.example")!.experiments[0]!;
    expect({ lo: Array.from(e.lo), hi: Array.from(e.hi), groups: e.groups, pairs: e.pairs, eventPrefixes: e.eventPrefixes }).toEqual({
      lo: [0, 10],
      hi: [9, 19],
      groups: ["x", "y"],
      pairs: ["hosts-experiment=x;", "hosts-experiment=y;"],
      eventPrefixes: ["hosts-experiment=x/", "hosts-experiment=y/"],
    });
  });
});

describe("derivation slots", () => {
  it("one slot per (selector, host input): shared selectors share, unique_domain splits by host", () => {
    const c = compile({
      "first-experiment": experiment({ "a.example": on({ x: [0, 9] }), "b.example": on({ x: [0, 9] }, { unique_domain: true }) }, { shared_selector: "common-selector" }),
      "second-experiment": experiment({ "a.example": on({ x: [0, 9] }), "b.example": on({ x: [0, 9] }, { unique_domain: true }) }, { shared_selector: "common-selector" }),
      "third-experiment": experiment({ "a.example": on({ x: [0, 9] }) }),
    });
    const a = c.hosts.get("a.example")!;
    const b = c.hosts.get("b.example")!;
    expect(Array.from(a.slots)).toEqual([0, 0, 1]);
    expect(Array.from(b.slots)).toEqual([0, 0]);
    expect(a.fingerprints).toHaveLength(2);
    expect(b.fingerprints).toHaveLength(1);
    // b.example's unique_domain input is its own, so its fingerprint differs from a.example's.
    expect(Array.from(b.fingerprints[0]!)).not.toEqual(Array.from(a.fingerprints[0]!));
  });
});

describe("a fingerprint collision (two inputs, one 56-bit fingerprint)", () => {
  afterEach(() => {
    vi.doUnmock("../../src/subject.js");
    vi.resetModules();
  });

  it("is refused, naming both inputs (a host input after ' @ ')", async () => {
    // No real collision is known: every fingerprint is made the same.
    vi.resetModules();
    vi.doMock("../../src/subject.js", async (importOriginal) => ({
      ...(await importOriginal<typeof import("../../src/subject.js")>()),
      selectorFingerprint: () => Uint32Array.of(1, 2),
    }));
    const { parseConfig: parseWithCollisions } = await import("../../src/config-parse.js");
    const r = parseWithCollisions({
      "first-experiment": experiment({ "a.example": on({ x: [0, 9] }) }),
      "second-experiment": experiment({ "a.example": on({ x: [0, 9] }, { unique_domain: true }) }),
    });
    expect(r).toEqual({
      ok: false,
      issues: [{ path: "$", message: 'selector fingerprints collide: "first-experiment" and "second-experiment @ a.example"; rename one selector' }],
    });
  });
});
