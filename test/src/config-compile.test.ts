import { afterEach, describe, expect, it, vi } from "vitest";
import { compileConfig, slotOf, type CompiledConfig, type NamedExperiment } from "../../src/config-compile.js";
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

describe("the page-header strings of a range table", () => {
  it("group \"0\" has no page pair and is the withheld group; every other group has its pair", () => {
    const c = compile({ "hosts-experiment": experiment({ "a.example": on({ b: [50, 99], "0": [0, 9], a: [10, 49] }) }) });
    const e = c.hosts.get("a.example")!.experiments[0]!;
    expect({ groups: e.groups, pagePairs: e.pagePairs, withheldGroup: e.withheldGroup }).toEqual({
      groups: ["0", "a", "b"],
      pagePairs: ["", "hosts-experiment=a;", "hosts-experiment=b;"],
      withheldGroup: 0,
    });
    const none = compile({ "hosts-experiment": experiment({ "a.example": on({ a: [0, 9] }) }) }).hosts.get("a.example")!.experiments[0]!;
    expect([none.pagePairs, none.withheldGroup]).toEqual([["hosts-experiment=a;"], -1]);
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

  it("a selector first seen after a host's slots were first shared is shared too", () => {
    const shared = (selector: string) => experiment({ "a.example": on({ x: [0, 9] }) }, { shared_selector: selector });
    const c = compile({
      "first-experiment": shared("selector-one"),
      "second-experiment": shared("selector-one"),
      "third-experiment": shared("selector-two"),
      "fourth-experiment": shared("selector-two"),
      "fifth-experiment": shared("selector-one"),
    });
    expect(Array.from(c.hosts.get("a.example")!.slots)).toEqual([0, 0, 1, 1, 0]);
    // slotOf, which tools use, reads the same slot for an experiment object.
    const plan = c.hosts.get("a.example")!;
    expect(plan.experiments.map((e) => slotOf(plan, e))).toEqual([0, 0, 1, 1, 0]);
  });
});

describe("a host with allocations compiles its own experiment", () => {
  const groups = { control: [0, 49_999], treatment: [50_000, 99_999] } as Record<string, [number, number]>;
  const allocation = { rule: '${platform == "mobile"}', groups: { control: [0, 9], treatment: [10, 19] } };

  it("even after a plain host with the same groups: it keeps its allocations, and reads the context", () => {
    const c = compile({ "allocated-experiment": experiment({ "a.example": on(groups), "b.example": on(groups, { allocations: [allocation] }) }) });
    const plain = c.hosts.get("a.example")!.experiments[0]!;
    const allocated = c.hosts.get("b.example")!.experiments[0]!;
    expect(allocated).not.toBe(plain);
    expect(allocated.allocations.map((a) => a.rule.source)).toEqual(['${platform == "mobile"}']);
    expect(plain.allocations).toEqual([]);
    // No eligibility rule: the allocations alone make it read the request context.
    expect(allocated.eligibility).toBeNull();
    expect([plain.usesContext, allocated.usesContext]).toEqual([false, true]);
  });
});

describe("compileConfig without compiled rules (tools that compile a structure alone)", () => {
  it("reads the hosts from the experiment, and has no eligibility or allocations", () => {
    const exp = { name: "plain-experiment", ...experiment({ "a.example": on({ x: [0, 9] }), "b.example": on({ x: [0, 9] }) }) } as NamedExperiment;
    const r = compileConfig([exp], new Map());
    if (!("config" in r)) throw new Error(r.collision);
    expect([...r.config.hosts.keys()]).toEqual(["a.example", "b.example"]);
    const e = r.config.hosts.get("a.example")!.experiments[0]!;
    expect([e.eligibility, e.allocations, e.usesContext]).toEqual([null, [], false]);
    expect(r.config.hosts.get("b.example")!.experiments[0]).toBe(e);
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
