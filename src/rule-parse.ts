import { RULE_LIMITS } from "./contract.js";
/**
 * The syntax of targeting rules (contract §8): a tiny boolean language, parsed once per
 * config version into a tree with a column on every node, so an error names where it is.
 * No eval and no code generation (workerd forbids both); rule-compile.ts types the tree
 * and turns it into closures.
 *
 * Precedence as in JavaScript: `!` binds tightest, then `==` `!=` `in` `not in` (left to
 * right), then `&&`, then `||`.
 */


export type Scalar = string | number | boolean;

/** A literal; lists hold one type and may be empty. */
export type Literal = { readonly kind: "literal"; readonly value: Scalar; readonly column: number };

/** One node of a parsed rule; `column` is 1-based in the rule as written. */
export type RuleNode =
  | Literal
  | { readonly kind: "list"; readonly items: readonly Literal[]; readonly column: number }
  | { readonly kind: "name"; readonly name: string; readonly column: number }
  | { readonly kind: "not"; readonly operand: RuleNode; readonly column: number }
  | { readonly kind: "and" | "or" | "==" | "!=" | "in" | "not in"; readonly left: RuleNode; readonly right: RuleNode; readonly column: number };

/** A syntax error at a column of the rule as written. */
export interface RuleError {
  readonly column: number;
  readonly message: string;
}

export type ParseResult = { readonly ok: true; readonly node: RuleNode } | { readonly ok: false; readonly error: RuleError };

type Token =
  | { readonly t: "op"; readonly v: string; readonly column: number }
  | { readonly t: "string"; readonly v: string; readonly column: number }
  | { readonly t: "number"; readonly v: number; readonly column: number }
  | { readonly t: "word"; readonly v: string; readonly column: number }
  | { readonly t: "end"; readonly column: number };

class SyntaxFailure extends Error {
  constructor(readonly column: number, message: string) {
    super(message);
  }
}

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?/y;

/** Parses one rule; a `${...}` wrapper around the whole rule (Proctor's spelling) is accepted. */
export function parseRule(text: string): ParseResult {
  if (text.length > RULE_LIMITS.length) {
    return { ok: false, error: { column: RULE_LIMITS.length + 1, message: `rule is longer than ${RULE_LIMITS.length} characters` } };
  }
  try {
    const tokens = tokenize(text);
    const parser = new Parser(tokens);
    const node = parser.expression(0);
    parser.expectEnd();
    return { ok: true, node };
  } catch (e) {
    if (e instanceof SyntaxFailure) return { ok: false, error: { column: e.column, message: e.message } };
    throw e;
  }
}

function tokenize(text: string): Token[] {
  let start = 0;
  let end = text.length;
  // `${ ... }` around the whole rule: columns still count from the rule as written.
  const lead = /^\s*\$\{/.exec(text);
  if (lead !== null) {
    const close = text.lastIndexOf("}");
    // No "}" at all (close is -1) leaves the whole text, "${" included, after it; the lead holds no "}".
    if (text.slice(close + 1).trim() !== "") throw new SyntaxFailure(lead[0].length, "\"${\" is not closed by a final \"}\"");
    start = lead[0].length;
    end = close;
  }
  const tokens: Token[] = [];
  let i = start;
  while (i < end) {
    const c = text[i]!;
    const column = i + 1;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === "&&" || two === "||" || two === "==" || two === "!=") {
      tokens.push({ t: "op", v: two, column });
      i += 2;
      continue;
    }
    if (c === "!" || c === "(" || c === ")" || c === "[" || c === "]" || c === ",") {
      tokens.push({ t: "op", v: c, column });
      i++;
      continue;
    }
    if (c === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= end) throw new SyntaxFailure(column, "string is not closed");
        const d = text[i]!;
        if (d === '"') break;
        if (d === "\\") {
          const e = text[i + 1];
          if (e !== '"' && e !== "\\") throw new SyntaxFailure(i + 1, "only \\\" and \\\\ are escapes in a string");
          value += e;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      i++;
      tokens.push({ t: "string", v: value, column });
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    // Sticky patterns match at i or not at all, and NUMBER's match starts with "-" or a digit.
    if (num !== null) {
      i += num[0].length;
      tokens.push({ t: "number", v: Number(num[0]), column });
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word !== null) {
      i += word[0].length;
      tokens.push({ t: "word", v: word[0], column });
      continue;
    }
    throw new SyntaxFailure(column, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ t: "end", column: end + 1 });
  return tokens;
}

/**
 * The words the rule language reads as itself, never as a name: the literals `true` and
 * `false` and the operator words `in` and `not`. A constant may not be called one of them.
 */
export const RULE_KEYWORDS: ReadonlySet<string> = new Set(["true", "false", "in", "not"]);

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.at]!;
  }

  private next(): Token {
    return this.tokens[this.at++]!;
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === "op" && t.v === v;
  }

  private isWord(v: string): boolean {
    const t = this.peek();
    return t.t === "word" && t.v === v;
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.t !== "end") throw new SyntaxFailure(t.column, `unexpected ${describe(t)}`);
  }

  /** Precedence climbing: 1 = `||`, 2 = `&&`, 3 = comparisons. */
  expression(depth: number): RuleNode {
    return this.binary(1, depth);
  }

  private binary(level: number, depth: number): RuleNode {
    if (level > 3) return this.unary(depth);
    let left = this.binary(level + 1, depth);
    for (;;) {
      const t = this.peek();
      const op = this.operator(level);
      if (op === null) return left;
      this.next();
      if (op === "not in") {
        const t2 = this.next();
        if (t2.t !== "word" || t2.v !== "in") throw new SyntaxFailure(t2.column, "expected \"in\" after \"not\"");
      }
      // binary(4) is unary: a comparison's right operand is a single value, so comparisons chain left to right.
      const right = this.binary(level + 1, depth);
      left = { kind: op, left, right, column: t.column };
    }
  }

  // Level 3, the comparisons, is the last: binary() never asks for a deeper one.
  private operator(level: number): "or" | "and" | "==" | "!=" | "in" | "not in" | null {
    if (level === 1) return this.isOp("||") ? "or" : null;
    if (level === 2) return this.isOp("&&") ? "and" : null;
    if (this.isOp("==")) return "==";
    if (this.isOp("!=")) return "!=";
    if (this.isWord("in")) return "in";
    if (this.isWord("not")) return "not in";
    return null;
  }

  private unary(depth: number): RuleNode {
    if (depth > RULE_LIMITS.depth) throw new SyntaxFailure(this.peek().column, `rule nests deeper than ${RULE_LIMITS.depth} levels`);
    const t = this.next();
    if (t.t === "op" && t.v === "!") return { kind: "not", operand: this.unary(depth + 1), column: t.column };
    if (t.t === "op" && t.v === "(") {
      const inner = this.binary(1, depth + 1);
      const close = this.next();
      if (close.t !== "op" || close.v !== ")") throw new SyntaxFailure(close.column, `expected ")", got ${describe(close)}`);
      return inner;
    }
    if (t.t === "op" && t.v === "[") return this.list(t.column);
    if (t.t === "string" || t.t === "number") return { kind: "literal", value: t.v, column: t.column };
    if (t.t === "word") {
      if (t.v === "true" || t.v === "false") return { kind: "literal", value: t.v === "true", column: t.column };
      // Only an operator word gets here: the literals were read on the line before.
      if (RULE_KEYWORDS.has(t.v)) throw new SyntaxFailure(t.column, `unexpected ${describe(t)}`);
      return { kind: "name", name: t.v, column: t.column };
    }
    throw new SyntaxFailure(t.column, `expected a value, got ${describe(t)}`);
  }

  private list(column: number): RuleNode {
    const items: Literal[] = [];
    if (this.isOp("]")) {
      this.next();
      return { kind: "list", items, column };
    }
    for (;;) {
      const t = this.next();
      if (t.t === "string" || t.t === "number") items.push({ kind: "literal", value: t.v, column: t.column });
      else if (t.t === "word" && (t.v === "true" || t.v === "false")) items.push({ kind: "literal", value: t.v === "true", column: t.column });
      else throw new SyntaxFailure(t.column, `a list holds literals only, got ${describe(t)}`);
      if (items.length > RULE_LIMITS.listItems) throw new SyntaxFailure(t.column, `list has more than ${RULE_LIMITS.listItems} items`);
      const sep = this.next();
      if (sep.t === "op" && sep.v === "]") return { kind: "list", items, column };
      if (sep.t !== "op" || sep.v !== ",") throw new SyntaxFailure(sep.column, `expected "," or "]", got ${describe(sep)}`);
    }
  }
}

function describe(t: Token): string {
  switch (t.t) {
    case "end":
      return "end of rule";
    case "string":
      return `string ${JSON.stringify(t.v)}`;
    case "number":
      return `number ${t.v}`;
    default:
      return JSON.stringify(t.v);
  }
}
