import { describe, expect, it } from "vitest";
import { parseConfig, type ConfigResult } from "../../src/config-parse.js";
import { TARGETING_LIMITS } from "../../src/contract.js";

/** contract §8 in the config: eligibility, constants and allocations, validated with paths and columns. */
type Doc = Record<string, any>;
const targeted = (): Doc => ({
  "targeted-experiment": {
    start: "2025-06-01T00:00:00Z",
    end: "2025-07-01T00:00:00Z",
    eligibility: 'country in launch_countries && !loggedIn',
    constants: { launch_countries: ["DE", "AT"], launch_wikis: ["de.wikipedia.org"] },
    domains: {
      "de.wikipedia.org": {
        groups: { control: [0, 4999], treatment: [5000, 9999] },
        allocations: [{ rule: '${platform == "mobile"}', groups: { control: [0, 49999], treatment: [50000, 99999] } }],
      },
      "en.wikipedia.org": { groups: { control: [0, 4999], treatment: [5000, 9999] } },
    },
  },
});

function issuesOf(result: ConfigResult): string[] {
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("targeting in the config (contract §8)", () => {
  it("compiles eligibility and allocations per host, once", () => {
    const r = parseConfig(targeted());
    expect(issuesOf(r)).toEqual([]);
    if (!r.ok) return;
    const de = r.config.hosts.get("de.wikipedia.org")!.experiments[0]!;
    const en = r.config.hosts.get("en.wikipedia.org")!.experiments[0]!;
    expect(de.usesContext).toBe(true);
    expect(de.eligibility!.source).toBe("country in launch_countries && !loggedIn");
    expect(de.allocations.map((a) => [a.rule.source, a.table.groups, [...a.table.lo], [...a.table.hi]])).toEqual([
      ['${platform == "mobile"}', ["control", "treatment"], [0, 50000], [49999, 99999]],
    ]);
    expect(en.allocations).toEqual([]);
    expect(en.eligibility).toBe(de.eligibility);
    expect(en.usesContext).toBe(true);
    expect(en).not.toBe(de);
  });

  it("an experiment without targeting keys does not read the context", () => {
    const doc = targeted();
    delete doc["targeted-experiment"].eligibility;
    delete doc["targeted-experiment"].domains["de.wikipedia.org"].allocations;
    const r = parseConfig(doc);
    expect(issuesOf(r)).toEqual([]);
    if (r.ok) expect(r.config.hosts.get("de.wikipedia.org")!.experiments[0]!.usesContext).toBe(false);
  });

  it("rejects a bad rule with its JSON path and column", () => {
    const doc = targeted();
    doc["targeted-experiment"].eligibility = 'country == "DE" &&';
    doc["targeted-experiment"].domains["de.wikipedia.org"].allocations[0].rule = "browser == 1";
    expect(issuesOf(parseConfig(doc))).toEqual([
      '$["targeted-experiment"].eligibility: column 19: expected a value, got end of rule',
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations[0].rule: column 1: unknown name "browser" (known: host, path, country, platform, language, loggedIn, launch_countries, launch_wikis)',
    ]);
  });

  it("rejects type errors the contract names", () => {
    const doc = targeted();
    doc["targeted-experiment"].eligibility = '!country == "DE"';
    expect(issuesOf(parseConfig(doc))).toEqual(['$["targeted-experiment"].eligibility: column 1: "!" needs true or false, got a string']);
  });

  it("applies the domain rules inside each allocation", () => {
    const doc = targeted();
    doc["targeted-experiment"].domains["de.wikipedia.org"].allocations[0].groups = { control: [0, 50000], treatment: [50000, 99999], Control: [99999, 1] };
    expect(issuesOf(parseConfig(doc))).toEqual([
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations[0].groups.Control: range [99999, 1] is reversed: first must be <= last',
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations[0].groups.Control: group name differs from "control" only by case',
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations[0].groups.treatment: range [50000, 99999] overlaps group "control" [0, 50000]',
    ]);
    const bad = targeted();
    bad["targeted-experiment"].domains["de.wikipedia.org"].allocations[0] = { rule: "true", groups: { "bad name!": [0, 1] }, extra: 1 };
    expect(issuesOf(parseConfig(bad))).toEqual([
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations[0].groups["bad name!"]: group name must match ^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$',
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations[0].extra: unknown key',
    ]);
  });

  it("checks constants: names, clashes with the rule language, one type per list", () => {
    const doc = targeted();
    doc["targeted-experiment"].constants = { country: "DE", true: 1, mixed: ["a", 1], "1bad": 2, nested: [["a"]], obj: { a: 1 }, inf: 1e400 };
    delete doc["targeted-experiment"].eligibility;
    expect(issuesOf(parseConfig(doc))).toEqual([
      '$["targeted-experiment"].constants["1bad"]: constant name must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$',
      '$["targeted-experiment"].constants.nested: must be a string, a finite number, true or false, or a list of one of those',
      '$["targeted-experiment"].constants.obj: must be a string, a finite number, true or false, or a list of one of those',
      '$["targeted-experiment"].constants.inf: must be a finite number',
    ]);
    // Every word of the rule language is taken, not only true.
    const words = targeted();
    words["targeted-experiment"].constants = { false: 0, in: 1, not: 2 };
    delete words["targeted-experiment"].eligibility;
    expect(issuesOf(parseConfig(words))).toEqual([
      '$["targeted-experiment"].constants.false: constant name "false" is taken by the rule language',
      '$["targeted-experiment"].constants.in: constant name "in" is taken by the rule language',
      '$["targeted-experiment"].constants.not: constant name "not" is taken by the rule language',
    ]);
    const clash = targeted();
    clash["targeted-experiment"].constants = { country: "DE", true: 1, mixed: ["a", 1] };
    delete clash["targeted-experiment"].eligibility;
    expect(issuesOf(parseConfig(clash))).toEqual([
      '$["targeted-experiment"].constants.country: constant name "country" is taken by the rule language',
      '$["targeted-experiment"].constants.true: constant name "true" is taken by the rule language',
      '$["targeted-experiment"].constants.mixed: a list constant holds one type',
    ]);
  });

  it("bounds allocations, constants and list constants", () => {
    const many = targeted();
    const alloc = many["targeted-experiment"].domains["de.wikipedia.org"].allocations[0];
    many["targeted-experiment"].domains["de.wikipedia.org"].allocations = Array.from({ length: TARGETING_LIMITS.allocations + 1 }, () => alloc);
    expect(issuesOf(parseConfig(many))).toEqual([`$["targeted-experiment"].domains["de.wikipedia.org"].allocations: has more than 16 allocations`]);
    const consts = targeted();
    consts["targeted-experiment"].constants = Object.fromEntries(Array.from({ length: TARGETING_LIMITS.constants + 1 }, (_, i) => [`c${i}`, i]));
    consts["targeted-experiment"].constants.launch_countries = ["DE"];
    expect(issuesOf(parseConfig(consts))).toEqual(['$["targeted-experiment"].constants: has more than 64 constants']);
    const long = targeted();
    long["targeted-experiment"].constants.launch_countries = Array.from({ length: TARGETING_LIMITS.constantListItems + 1 }, () => "DE");
    expect(issuesOf(parseConfig(long))).toEqual(['$["targeted-experiment"].constants.launch_countries: list has more than 1000 items']);
    const notObjects = targeted();
    notObjects["targeted-experiment"].domains["de.wikipedia.org"].allocations = [5, { rule: "true" }];
    expect(issuesOf(parseConfig(notObjects))).toEqual([
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations[0]: must be an object with a rule and groups',
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations[1].groups: is required',
    ]);
    const wrongType = targeted();
    wrongType["targeted-experiment"].eligibility = 42;
    wrongType["targeted-experiment"].domains["de.wikipedia.org"].allocations = {};
    expect(issuesOf(parseConfig(wrongType))).toEqual([
      '$["targeted-experiment"].eligibility: must be a rule (a string)',
      '$["targeted-experiment"].domains["de.wikipedia.org"].allocations: must be a list of allocations',
    ]);
  });
});
