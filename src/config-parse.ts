import * as v from "valibot";
import { compileSteps, type CompiledConfig, type NamedExperiment } from "./config-compile.js";
import { ExperimentSchema, quickExperiment } from "./config-schema.js";
import { topLevelEntries, type TopLevelEntries } from "./json-entries.js";
import { jsonKeyReport, type JsonKeyReport } from "./json-keys.js";
import { runSteps, runStepsPausing, type Steps } from "./steps.js";
import { COMMENT_KEY, EXPERIMENT_NAME } from "./contract.js";
import { groupIssues, groupsAreSound, type GroupTable } from "./group-table.js";
import { CONTEXT_VARIABLES } from "./request-context.js";
import { compileRule, constantType, type CompiledRule, type ConstantValue } from "./rule-compile.js";
import { RULE_KEYWORDS } from "./rule-parse.js";

/**
 * The config boundary: `unknown` (or JSON text) in, a compiled config or every problem
 * out. Nothing downstream re-validates.
 */

/** One problem, with a JSON path such as `$["exp"].domains["en.wikipedia.org"].groups.a[1]`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export type ConfigResult = { ok: true; config: CompiledConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Parses JSON text: adds document key order and duplicate-key detection to parseConfig.
 * A repeated `_comment` is no error (contract §1: upstream's own test file repeats it at
 * the root, and its fetcher's JSON parser keeps the last one, as JSON.parse does); every
 * other repeated key is, with its path.
 */
export function parseConfigText(text: string): ConfigResult {
  return runSteps(textSteps(text, false));
}

/**
 * parseConfigText in slices: the same result, but `pause` is awaited between slices of a
 * few milliseconds of work each, so an isolate that loads a large config while it serves
 * (a KV refresh) answers its other requests in between instead of holding them for the
 * whole parse.
 */
export function parseConfigTextInSlices(text: string, pause: () => Promise<void>, splitChars = SPLIT_CHARS): Promise<ConfigResult> {
  return runStepsPausing(textSteps(text, true, splitChars), pause);
}

/**
 * Work between two pauses of the sliced parse, in units of one experiment or one of its
 * domains: a millisecond or two in workerd (200 units are about 10 experiments of 20 hosts).
 */
export const SLICE_UNITS = 200;

/** A document this long or longer is parsed in slices entry by entry (smaller: one JSON.parse of about 1 ms). */
export const SPLIT_CHARS = 128 * 1024;
/** Text scanned, or parsed, between two pauses. */
const SLICE_CHARS = 64 * 1024;

function* textSteps(text: string, sliced: boolean, splitChars = SPLIT_CHARS): Steps<ConfigResult> {
  // Sliced, a large document is parsed entry by entry: no one JSON.parse holds the isolate
  // for the whole text. Anything unusual (invalid JSON included) takes the one-piece path,
  // which reports it.
  if (sliced && text.length >= splitChars) {
    const entries = yield* topLevelEntries(text, SLICE_CHARS);
    const pieces = entries === null ? null : yield* parseEntries(text, entries);
    if (pieces !== null) return yield* documentSteps(pieces.value, pieces.keys);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, issues: [{ path: "$", message: `invalid JSON: ${(e as Error).message}` }] };
  }
  if (sliced) yield;
  const keys = jsonKeyReport(text, value);
  if (sliced) yield;
  return yield* documentSteps(value, keys);
}

// JSON.parse of each entry's value, with its own key report: the document, and the report
// JSON.parse and scanJsonKeys would make of the whole text. Null: an entry is not valid JSON.
function* parseEntries(text: string, entries: TopLevelEntries): Steps<{ value: Record<string, unknown>; keys: JsonKeyReport } | null> {
  const doc: Record<string, unknown> = {};
  const duplicates: { path: (string | number)[]; key: string }[] = [];
  const seen = new Set<string>();
  let chars = 0;
  for (let i = 0; i < entries.keys.length; i++) {
    const key = entries.keys[i]!;
    if (seen.has(key)) duplicates.push({ path: [], key });
    seen.add(key);
    const span = text.slice(entries.starts[i], entries.ends[i]);
    let value: unknown;
    try {
      value = JSON.parse(span);
    } catch {
      return null;
    }
    for (const d of jsonKeyReport(span, value).duplicates) duplicates.push({ path: [key, ...d.path], key: d.key });
    // As JSON.parse does: an own property even for "__proto__"; a repeat keeps its first place and takes the last value.
    Object.defineProperty(doc, key, { value, writable: true, enumerable: true, configurable: true });
    chars += span.length;
    if (chars >= SLICE_CHARS) {
      chars = 0;
      yield;
    }
  }
  return { value: doc, keys: { topLevelOrder: entries.keys, duplicates } };
}

function* documentSteps(value: unknown, keys: JsonKeyReport): Steps<ConfigResult> {
  const duplicateIssues = keys.duplicates
    .filter((d) => d.key !== COMMENT_KEY)
    .map((d) => ({ path: formatPath(d.path), message: `duplicate key ${JSON.stringify(d.key)}` }));
  yield;
  const result = yield* configSteps(value, keys.topLevelOrder, true);
  if (duplicateIssues.length === 0) return result;
  return { ok: false, issues: [...duplicateIssues, ...(result.ok ? [] : result.issues)] };
}

/**
 * Validates and compiles a parsed document. `order` is the document order of top-level
 * keys when known (parseConfigText supplies it); otherwise the object's own key order.
 * `handOver`: the caller made `value` for this call alone (parseConfigText's JSON.parse
 * result), so the result may share its objects instead of copying them.
 */
export function parseConfig(value: unknown, order?: readonly string[], handOver = false): ConfigResult {
  return runSteps(configSteps(value, order, handOver));
}

function* configSteps(value: unknown, order: readonly string[] | undefined, handOver: boolean): Steps<ConfigResult> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, issues: [{ path: "$", message: "config must be a JSON object keyed by experiment name" }] };
  }
  const doc = value as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  const experiments: NamedExperiment[] = [];
  const names = order ?? Object.keys(doc);
  const byFoldedName = new Map<string, string>();
  const rules = new Map<NamedExperiment, ExperimentRules>();

  const seen = new Set<string>();
  let units = 0;
  for (const name of names) {
    // A duplicated key (reported by parseConfigText) is one entry: JSON.parse kept the last.
    if (!Object.hasOwn(doc, name) || seen.has(name)) continue;
    seen.add(name);
    const entry = doc[name];
    const at = formatPath([name]);
    if (name === COMMENT_KEY) {
      if (typeof entry !== "string") issues.push({ path: at, message: "must be a string" });
      continue;
    }
    if (!EXPERIMENT_NAME.test(name)) {
      issues.push({ path: at, message: `experiment name must match ${EXPERIMENT_NAME.source}` });
      continue;
    }
    const folded = name.toLowerCase();
    const twin = byFoldedName.get(folded);
    if (twin !== undefined) issues.push({ path: at, message: `experiment name differs from ${JSON.stringify(twin)} only by case` });
    byFoldedName.set(folded, name);

    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      issues.push({ path: at, message: "experiment must be an object" });
      continue;
    }
    const quick = quickExperiment(entry, handOver);
    const parsed = quick !== undefined ? { success: true as const, output: quick } : v.safeParse(ExperimentSchema, entry);
    if (!parsed.success) {
      for (const issue of parsed.issues) {
        const path = [name, ...(issue.path ?? []).map((p) => p.key as string | number)];
        issues.push({ path: formatPath(path), message: issue.message });
      }
      continue;
    }
    const exp: NamedExperiment = { name, ...parsed.output };
    const checked = ruleIssues(exp);
    issues.push(...checked.issues);
    experiments.push(exp);
    rules.set(exp, checked.rules);
    units += 1 + checked.rules.hosts.length;
    if (units >= SLICE_UNITS) {
      units = 0;
      yield;
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  const compiled = yield* compileSteps(experiments, rules, SLICE_UNITS);
  if ("collision" in compiled) {
    return { ok: false, issues: [{ path: "$", message: `selector fingerprints collide: ${compiled.collision}; rename one selector` }] };
  }
  return { ok: true, config: compiled.config };
}

/** The compiled rules of one experiment (contract §8), keyed for config-compile.ts. */
export interface ExperimentRules {
  /** The experiment's hosts in document order, listed once for both passes (enumerating a large object is slow). */
  readonly hosts: readonly string[];
  readonly eligibility: CompiledRule | null;
  /** Per host with allocations: one compiled rule per allocation, in order. */
  readonly allocations: ReadonlyMap<string, readonly CompiledRule[]>;
}

// The rules a structural schema cannot express, each reported at its own path; targeting
// rules are compiled here, once, and handed to the compiler.
function ruleIssues(exp: NamedExperiment): { issues: ConfigIssue[]; rules: ExperimentRules } {
  const issues: ConfigIssue[] = [];
  if (Date.parse(exp.start) >= Date.parse(exp.end)) {
    issues.push({ path: formatPath([exp.name, "end"]), message: "end must be after start" });
  }
  const constants = new Map<string, ConstantValue>();
  for (const [name, value] of Object.entries(exp.constants ?? {})) {
    const at = formatPath([exp.name, "constants", name]);
    if (Object.hasOwn(CONTEXT_VARIABLES, name) || RULE_KEYWORDS.has(name)) {
      issues.push({ path: at, message: `constant name ${JSON.stringify(name)} is taken by the rule language` });
    } else if (constantType(value) === null) {
      issues.push({ path: at, message: "a list constant holds one type" });
    }
    constants.set(name, value);
  }
  const compile = (source: string, path: (string | number)[]): CompiledRule | null => {
    const r = compileRule(source, constants);
    if (r.ok) return r.rule;
    issues.push({ path: formatPath(path), message: `column ${r.error.column}: ${r.error.message}` });
    return null;
  };
  const eligibility = exp.eligibility === undefined ? null : compile(exp.eligibility, [exp.name, "eligibility"]);
  const allocations = new Map<string, CompiledRule[]>();
  const hosts = Object.keys(exp.domains);
  for (const host of hosts) {
    const domain = exp.domains[host]!;
    if (!groupsAreSound(domain.groups)) issues.push(...groupIssuesAt(domain.groups, [exp.name, "domains", host, "groups"]));
    if (domain.allocations === undefined) continue;
    const compiled: CompiledRule[] = [];
    domain.allocations.forEach((a, i) => {
      const base = [exp.name, "domains", host, "allocations", i];
      issues.push(...groupIssuesAt(a.groups, [...base, "groups"]));
      const rule = compile(a.rule, [...base, "rule"]);
      if (rule !== null) compiled.push(rule);
    });
    allocations.set(host, compiled);
  }
  return { issues, rules: { hosts, eligibility, allocations } };
}

// The domain rules of one group table (contract §1), each problem at its group's path.
function groupIssuesAt(table: GroupTable, at: (string | number)[]): ConfigIssue[] {
  return groupIssues(table).map((i) => ({ path: formatPath([...at, i.group]), message: i.message }));
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `$`, then `.key`, `["odd.key"]` or `[3]` per step. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "$";
  // A number is no identifier, so it is written [3] (JSON.stringify(3) is "3").
  for (const p of path) out += IDENT.test(String(p)) ? `.${p}` : `[${JSON.stringify(p)}]`;
  return out;
}
