import { describe, expect, it } from "vitest";
import type { RequestContext } from "../../src/request-context.js";
import { compileRule, constantType, type ConstantValue } from "../../src/rule-compile.js";

const DE_MOBILE: RequestContext = { host: "de.wikipedia.org", path: "/wiki/Haus", country: "DE", platform: "mobile", language: "de", loggedIn: false };
const US_DESKTOP: RequestContext = { host: "en.wikipedia.org", path: "/wiki/House", country: "US", platform: "desktop", language: "en", loggedIn: true };

function rule(source: string, constants: Record<string, ConstantValue> = {}) {
  const r = compileRule(source, new Map(Object.entries(constants)));
  if (!r.ok) throw new Error(`column ${r.error.column}: ${r.error.message}`);
  return r.rule;
}

function typeError(source: string, constants: Record<string, ConstantValue> = {}) {
  const r = compileRule(source, new Map(Object.entries(constants)));
  if (r.ok) throw new Error("compiled");
  return r.error;
}

describe("rule evaluation (contract §8)", () => {
  const cases: [string, boolean, boolean][] = [
    ['country == "DE"', true, false],
    ['country != "DE"', false, true],
    ['platform == "mobile" && !loggedIn', true, false],
    ['country in ["DE", "AT"] && !loggedIn', true, false],
    ['country not in ["DE", "AT"]', false, true],
    ['language == "de" || loggedIn', true, true],
    ["loggedIn", false, true],
    ["!loggedIn", true, false],
    ["loggedIn == false", true, false],
    ['host == "de.wikipedia.org"', true, false],
    ['path == "/wiki/House"', false, true],
    ["country in []", false, false],
    ["country not in []", true, true],
    ["true", true, true],
    ["false || !true", false, false],
    ["1 == 1", true, true],
    ['"a" != "a"', false, false],
    ['1 in [1, 2]', true, true],
    ['(country == "US" || country == "DE") && platform != "tablet"', true, true],
    // a list longer than 8 becomes a Set: still exact membership
    ['country in ["A1","A2","A3","A4","A5","A6","A7","A8","A9","DE"]', true, false],
    ['country in ["A1","A2","A3","A4","A5","A6","A7","A8","A9","A0"]', false, false],
    ['country in ["DE"]', true, false],
    // && and || differ only when one side holds and the other not
    ['country == "DE" && loggedIn', false, false],
    // a constant on the left is compared with the variable on the right
    ['"DE" == country', true, false],
    ['1 == 2', false, false],
    // two variables: both sides are read per request
    ["country == country", true, true],
    ["platform == country", false, false],
  ];
  for (const [source, de, us] of cases) {
    it(`${source} → ${de} / ${us}`, () => {
      const r = rule(source);
      expect(r.test(DE_MOBILE)).toBe(de);
      expect(r.test(US_DESKTOP)).toBe(us);
      expect(r.source).toBe(source);
    });
  }

  it("reads constants, scalar and list, inlined at compile time", () => {
    const constants = { launch: ["de.wikipedia.org", "fr.wikipedia.org"], target: "DE", on: true, big: ["a", "b", "c", "d", "e", "f", "g", "h", "de.wikipedia.org"] };
    expect(rule("host in launch", constants).test(DE_MOBILE)).toBe(true);
    expect(rule("host in launch", constants).test(US_DESKTOP)).toBe(false);
    expect(rule("host in big", constants).test(DE_MOBILE)).toBe(true);
    expect(rule("country == target && on", constants).test(DE_MOBILE)).toBe(true);
    expect(rule("target == country", constants).test(US_DESKTOP)).toBe(false);
    expect(rule('"DE" in [target]'.replace("[target]", '["DE"]'), constants).test(US_DESKTOP)).toBe(true);
  });
});

describe("rule types (contract §8): every mismatch is an error with its column", () => {
  it("rejects what the contract names", () => {
    expect(typeError('!country == "DE"')).toEqual({ column: 1, message: '"!" needs true or false, got a string' });
    expect(typeError('country == 1')).toEqual({ column: 9, message: '"==" compares a string with a number' });
    expect(typeError('loggedIn != "yes"').message).toBe('"!=" compares a boolean with a string');
    expect(typeError('country')).toEqual({ column: 1, message: "a rule must be true or false, this one is a string" });
    expect(typeError('browser == "x"').message).toMatch(/^unknown name "browser" \(known: host, path, country, platform, language, loggedIn\)$/);
    expect(typeError('country && loggedIn')).toEqual({ column: 1, message: '"&&" needs true or false on its left, got a string' });
    expect(typeError('loggedIn || path')).toEqual({ column: 13, message: '"||" needs true or false on its right, got a string' });
    expect(typeError('country in ["DE", 1]')).toEqual({ column: 19, message: "a list holds one type: this number is in a list of strings" });
    expect(typeError('country in [1, 2]').message).toBe('"in" looks for a string in a list of numbers');
    expect(typeError('country in "DE"')).toEqual({ column: 12, message: '"in" needs a list on its right, got a string' });
    expect(typeError('country in path').message).toBe('"in" needs a list on its right, got a string');
    expect(typeError('["DE"] in ["DE"]').message).toBe('"in" needs a single value on its left, got a list');
    expect(typeError('country == ["DE"]').message).toBe('"==" compares single values, not lists');
    expect(typeError('["DE"] == country').message).toBe('"==" compares single values, not lists');
    expect(typeError("[]")).toEqual({ column: 1, message: "a rule must be true or false, this one is a list" });
    expect(typeError("1 == (2 == 2)").message).toBe('"==" compares a number with a boolean');
  });

  it("types constants and refuses mixed lists", () => {
    expect(typeError("host in names", { names: ["a", 1] }).message).toBe('constant "names" mixes types');
    expect(typeError("names", { names: ["a"] }).message).toBe("a rule must be true or false, this one is a list of strings");
    expect(typeError("n in [1]", { n: "1" }).message).toBe('"in" looks for a string in a list of numbers');
    expect(constantType(["a", "b"])).toEqual({ list: "string" });
    expect(constantType([])).toEqual({ list: null });
    expect(constantType([1, "a"])).toBeNull();
    expect(constantType(3)).toBe("number");
  });

  it("lets an error that is not the rule's through, not as a rule error", () => {
    // a constants map that fails: the failure is the caller's, it has no column in the rule
    const failing = new (class extends Map<string, ConstantValue> {
      override get(): never {
        throw new Error("constants unavailable");
      }
    })();
    expect(() => compileRule("limit == 1", failing)).toThrow("constants unavailable");
  });

  it("passes syntax errors through with their column", () => {
    expect(typeError('country == "DE" &&')).toEqual({ column: 19, message: "expected a value, got end of rule" });
  });
});
