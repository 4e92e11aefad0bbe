import { describe, expect, it } from "vitest";
import { parseRule, type RuleNode } from "../../src/rule-parse.js";
import { RULE_LIMITS } from "../../src/contract.js";

// A compact rendering of the tree: precedence and grouping become visible as parentheses.
function show(n: RuleNode): string {
  switch (n.kind) {
    case "literal":
      return JSON.stringify(n.value);
    case "list":
      return `[${n.items.map(show).join(",")}]`;
    case "name":
      return n.name;
    case "not":
      return `!${show(n.operand)}`;
    default:
      return `(${show(n.left)} ${n.kind} ${show(n.right)})`;
  }
}

function tree(text: string): string {
  const r = parseRule(text);
  if (!r.ok) throw new Error(`column ${r.error.column}: ${r.error.message}`);
  return show(r.node);
}

function error(text: string): { column: number; message: string } {
  const r = parseRule(text);
  if (r.ok) throw new Error(`parsed: ${show(r.node)}`);
  return r.error;
}

describe("rule syntax (contract §8)", () => {
  it("binds ! tightest, then comparisons, then &&, then ||, as JavaScript does", () => {
    expect(tree('a || b && c')).toBe("(a or (b and c))");
    expect(tree('a && b || c')).toBe("((a and b) or c)");
    expect(tree('!a == b')).toBe("(!a == b)");
    expect(tree('a == "x" && b != 2')).toBe('((a == "x") and (b != 2))');
    expect(tree('country in ["DE", "AT"] || !loggedIn')).toBe('((country in ["DE","AT"]) or !loggedIn)');
    expect(tree('country not in []')).toBe("(country not in [])");
    expect(tree('(a || b) && c')).toBe("((a or b) and c)");
    expect(tree('a == b == c')).toBe("((a == b) == c)");
    expect(tree('a || b || c')).toBe("((a or b) or c)");
    // each comparison binds tighter than a && on its left, not only on its right
    expect(tree("a && b == c")).toBe("(a and (b == c))");
    expect(tree("a && b != c")).toBe("(a and (b != c))");
    expect(tree("a && b in [1]")).toBe("(a and (b in [1]))");
    expect(tree("a && b not in [1]")).toBe("(a and (b not in [1]))");
  });

  it("reads literals: strings with \\\" and \\\\, integers, decimals, negatives, booleans", () => {
    expect(tree('path == "a\\"b\\\\c"')).toBe(`(path == ${JSON.stringify('a"b\\c')})`);
    expect(tree("x == -12.5")).toBe("(x == -12.5)");
    expect(tree("x == 0")).toBe("(x == 0)");
    expect(tree("true && !false")).toBe("(true and !false)");
    expect(tree("x == 1.25")).toBe("(x == 1.25)");
    expect(tree("x in [true, false]")).toBe("(x in [true,false])");
    // tab, carriage return and newline separate tokens as a space does
    expect(tree('a\t==\r\n"x"\n&&\tb')).toBe('((a == "x") and b)');
  });

  it("reads a string that spells an operator or a keyword as a value, never as that operator", () => {
    expect(tree('path == "!" || path == "(" || path == "["')).toBe('(((path == "!") or (path == "(")) or (path == "["))');
    expect(error('a "||" b')).toEqual({ column: 3, message: 'unexpected string "||"' });
    expect(error('a "in" [1]')).toEqual({ column: 3, message: 'unexpected string "in"' });
    expect(error('a not "in" [1]')).toEqual({ column: 7, message: 'expected "in" after "not"' });
    expect(error('(a ")"')).toEqual({ column: 4, message: 'expected ")", got string ")"' });
    expect(error('a in [1 "]"')).toEqual({ column: 9, message: 'expected "," or "]", got string "]"' });
    expect(error('a in [1 "," 2]')).toEqual({ column: 9, message: 'expected "," or "]", got string ","' });
  });

  it("accepts Proctor's ${...} wrapper and counts columns in the rule as written", () => {
    expect(tree('${platform == "mobile"}')).toBe('(platform == "mobile")');
    expect(tree('  ${ a }  ')).toBe("a");
    expect(error('${a == }').column).toBe(8);
    expect(error('${a').message).toMatch(/not closed/);
    // text after the final "}" is not part of the wrapped rule
    expect(error('${a} b')).toEqual({ column: 2, message: '"${" is not closed by a final "}"' });
    expect(error("${}")).toEqual({ column: 3, message: "expected a value, got end of rule" });
    // only a "${" at the start (after blanks) opens a wrapper
    expect(tree('path == "${x}"')).toBe('(path == "${x}")');
  });

  it("names the column of each syntax error", () => {
    expect(error('country == "DE" &&')).toEqual({ column: 19, message: "expected a value, got end of rule" });
    expect(error('a === b')).toEqual({ column: 5, message: 'unexpected character "="' });
    expect(error('a & b').column).toBe(3);
    expect(error('"open').message).toBe("string is not closed");
    expect(error('"bad \\n escape"')).toEqual({ column: 6, message: "only \\\" and \\\\ are escapes in a string" });
    expect(error("(a || b").message).toBe('expected ")", got end of rule');
    expect(error("a not b")).toEqual({ column: 7, message: 'expected "in" after "not"' });
    expect(error("a in [b]").message).toBe('a list holds literals only, got "b"');
    expect(error('a in ["x" "y"]').message).toBe('expected "," or "]", got string "y"');
    expect(error("in")).toEqual({ column: 1, message: 'unexpected "in"' });
    expect(error("a b")).toEqual({ column: 3, message: 'unexpected "b"' });
    expect(error("f(x)").column).toBe(2);
    expect(error("a =~ /x/").column).toBe(3);
    expect(error("").message).toBe("expected a value, got end of rule");
    // an operator where a value or a separator belongs is named as found
    expect(error("(a ]")).toEqual({ column: 4, message: 'expected ")", got "]"' });
    expect(error("a in [1 ) 2]")).toEqual({ column: 9, message: 'expected "," or "]", got ")"' });
    expect(error("a == )")).toEqual({ column: 6, message: 'expected a value, got ")"' });
    expect(error("a in [1 2]")).toEqual({ column: 9, message: 'expected "," or "]", got number 2' });
    // a "-" starts a number only when a digit follows
    expect(error("x == -a")).toEqual({ column: 6, message: 'unexpected character "-"' });
    expect(error("not")).toEqual({ column: 1, message: 'unexpected "not"' });
  });

  it("bounds length, nesting and list size", () => {
    expect(error("a".repeat(RULE_LIMITS.length + 1))).toEqual({ column: 2001, message: "rule is longer than 2000 characters" });
    expect(parseRule("a".repeat(RULE_LIMITS.length)).ok).toBe(true);
    const nested = (n: number) => "(".repeat(n) + "a" + ")".repeat(n);
    expect(parseRule(nested(RULE_LIMITS.depth)).ok).toBe(true);
    expect(error(nested(RULE_LIMITS.depth + 1)).message).toMatch(/deeper than 16/);
    expect(error("!".repeat(RULE_LIMITS.depth + 1) + "a").message).toMatch(/deeper than 16/);
    const list = (n: number) => `x in [${Array.from({ length: n }, (_, i) => i).join(",")}]`;
    expect(parseRule(list(RULE_LIMITS.listItems)).ok).toBe(true);
    expect(error(list(RULE_LIMITS.listItems + 1)).message).toMatch(/more than 256 items/);
    // A long flat chain is not nesting: it parses within the length bound.
    expect(parseRule(Array.from({ length: 300 }, () => "a").join("||")).ok).toBe(true);
  });
});
