import { CONTEXT_VARIABLES, type RequestContext } from "./request-context.js";
import { parseRule, type Literal, type RuleError, type RuleNode, type Scalar } from "./rule-parse.js";

/**
 * Types a parsed rule against the context variables and the experiment's constants
 * (contract §8) and turns it into a tree of closures, once per config version. A rule that
 * names an unknown variable or compares values of different types is an error with its
 * column; one that compiles cannot fail at request time.
 */

/** A constant's value: a scalar, or a list of one scalar type (for `in`). */
export type ConstantValue = Scalar | readonly Scalar[];

/** A compiled rule: a predicate on the context, and its source for tools and status. */
export interface CompiledRule {
  readonly source: string;
  readonly test: (context: RequestContext) => boolean;
}

export type RuleResult = { readonly ok: true; readonly rule: CompiledRule } | { readonly ok: false; readonly error: RuleError };

type ScalarType = "string" | "number" | "boolean";
// "list" of an element type; an empty list literal has element type null (matches any).
type ValueType = ScalarType | { readonly list: ScalarType | null };

type Eval = (context: RequestContext) => Scalar;

interface Typed {
  readonly type: ValueType;
  /** The value when known at compile time (literals and constants). */
  readonly constant?: Scalar | readonly Scalar[];
  readonly run?: Eval;
}

class TypeFailure extends Error {
  constructor(readonly column: number, message: string) {
    super(message);
  }
}

/** Parses, types and compiles one rule. */
export function compileRule(source: string, constants: ReadonlyMap<string, ConstantValue>): RuleResult {
  const parsed = parseRule(source);
  if (!parsed.ok) return parsed;
  try {
    const typed = compileNode(parsed.node, constants);
    if (typed.type !== "boolean") throw new TypeFailure(parsed.node.column, `a rule must be true or false, this one is a ${typeName(typed.type)}`);
    const test = asPredicate(typed);
    return { ok: true, rule: { source, test } };
  } catch (e) {
    if (e instanceof TypeFailure) return { ok: false, error: { column: e.column, message: e.message } };
    throw e;
  }
}

/** The scalar type of a constant, or of its list's items; null for a mixed list. */
export function constantType(value: ConstantValue): ValueType | null {
  if (!Array.isArray(value)) return typeof value as ScalarType;
  const list = value as readonly Scalar[];
  if (list.length === 0) return { list: null };
  const first = typeof list[0] as ScalarType;
  return list.every((x) => typeof x === first) ? { list: first } : null;
}

function compileNode(node: RuleNode, constants: ReadonlyMap<string, ConstantValue>): Typed {
  switch (node.kind) {
    case "literal":
      return { type: typeof node.value as ScalarType, constant: node.value };
    case "list":
      return listOf(node.items);
    case "name": {
      if (Object.hasOwn(CONTEXT_VARIABLES, node.name)) {
        const name = node.name as keyof RequestContext;
        return { type: CONTEXT_VARIABLES[name], run: accessor(name) };
      }
      const value = constants.get(node.name);
      if (value === undefined) {
        const known = [...Object.keys(CONTEXT_VARIABLES), ...constants.keys()].join(", ");
        throw new TypeFailure(node.column, `unknown name ${JSON.stringify(node.name)} (known: ${known})`);
      }
      const type = constantType(value);
      if (type === null) throw new TypeFailure(node.column, `constant ${JSON.stringify(node.name)} mixes types`);
      return { type, constant: value };
    }
    case "not": {
      const operand = compileNode(node.operand, constants);
      if (operand.type !== "boolean") throw new TypeFailure(node.column, `"!" needs true or false, got a ${typeName(operand.type)}`);
      const inner = asPredicate(operand);
      return { type: "boolean", run: (c) => !inner(c) };
    }
    case "and":
    case "or": {
      const left = compileNode(node.left, constants);
      const right = compileNode(node.right, constants);
      const op = node.kind === "and" ? "&&" : "||";
      if (left.type !== "boolean") throw new TypeFailure(node.left.column, `"${op}" needs true or false on its left, got a ${typeName(left.type)}`);
      if (right.type !== "boolean") throw new TypeFailure(node.right.column, `"${op}" needs true or false on its right, got a ${typeName(right.type)}`);
      const l = asPredicate(left);
      const r = asPredicate(right);
      return { type: "boolean", run: node.kind === "and" ? (c) => l(c) && r(c) : (c) => l(c) || r(c) };
    }
    case "==":
    case "!=": {
      const left = compileNode(node.left, constants);
      const right = compileNode(node.right, constants);
      if (typeof left.type !== "string" || typeof right.type !== "string") {
        throw new TypeFailure(node.column, `"${node.kind}" compares single values, not lists`);
      }
      if (left.type !== right.type) {
        throw new TypeFailure(node.column, `"${node.kind}" compares a ${left.type} with a ${right.type}`);
      }
      const eq = equality(left, right);
      return { type: "boolean", run: node.kind === "==" ? eq : (c) => !eq(c) };
    }
    case "in":
    case "not in": {
      const left = compileNode(node.left, constants);
      const right = compileNode(node.right, constants);
      // A list is a literal or a constant, so its value is always known here (right.constant).
      if (typeof right.type === "string") {
        throw new TypeFailure(node.right.column, `"${node.kind}" needs a list on its right, got a ${typeName(right.type)}`);
      }
      if (typeof left.type !== "string") throw new TypeFailure(node.left.column, `"${node.kind}" needs a single value on its left, got a list`);
      if (right.type.list !== null && right.type.list !== left.type) {
        throw new TypeFailure(node.column, `"${node.kind}" looks for a ${left.type} in a list of ${right.type.list}s`);
      }
      const member = membership(left, right.constant as readonly Scalar[]);
      return { type: "boolean", run: node.kind === "in" ? member : (c) => !member(c) };
    }
  }
}

function listOf(items: readonly Literal[]): Typed {
  const values = items.map((i) => i.value);
  if (items.length === 0) return { type: { list: null }, constant: values };
  const first = typeof items[0]!.value as ScalarType;
  for (const item of items) {
    if (typeof item.value !== first) throw new TypeFailure(item.column, `a list holds one type: this ${typeof item.value} is in a list of ${first}s`);
  }
  return { type: { list: first }, constant: values };
}

// Fast path: each variable is read by its own monomorphic closure.
function accessor(name: keyof RequestContext): Eval {
  switch (name) {
    case "host":
      return (c) => c.host;
    case "path":
      return (c) => c.path;
    case "country":
      return (c) => c.country;
    case "platform":
      return (c) => c.platform;
    case "language":
      return (c) => c.language;
    case "loggedIn":
      return (c) => c.loggedIn;
  }
}

function asPredicate(t: Typed): (c: RequestContext) => boolean {
  if (t.run !== undefined) return t.run as (c: RequestContext) => boolean;
  const value = t.constant === true;
  return () => value;
}

// Fast path: a comparison with a literal or constant compares against a captured value.
function equality(left: Typed, right: Typed): (c: RequestContext) => boolean {
  if (left.run === undefined && right.run === undefined) {
    const same = left.constant === right.constant;
    return () => same;
  }
  if (left.run === undefined) return equality(right, left);
  const l = left.run;
  if (right.run === undefined) {
    const v = right.constant as Scalar;
    return (c) => l(c) === v;
  }
  const r = right.run;
  return (c) => l(c) === r(c);
}

// Fast path: short lists are scanned (a few comparisons), longer ones become a Set.
function membership(left: Typed, list: readonly Scalar[]): (c: RequestContext) => boolean {
  if (left.run === undefined) {
    const found = list.includes(left.constant as Scalar);
    return () => found;
  }
  const l = left.run;
  if (list.length === 0) return () => false;
  if (list.length === 1) {
    const only = list[0];
    return (c) => l(c) === only;
  }
  if (list.length <= 8) return (c) => list.includes(l(c));
  const set = new Set<Scalar>(list);
  return (c) => set.has(l(c));
}

function typeName(t: ValueType): string {
  return typeof t === "string" ? t : t.list === null ? "list" : `list of ${t.list}s`;
}
