import * as v from "valibot";
import { compileConfig, type CompiledConfig, type NamedExperiment } from "./config-compile.js";
import { ExperimentSchema } from "./config-schema.js";
import { scanJsonKeys } from "./json-keys.js";
import { EXPERIMENT_NAME } from "./contract.js";

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

/** Parses JSON text: adds document key order and duplicate-key detection to parseConfig. */
export function parseConfigText(text: string): ConfigResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, issues: [{ path: "$", message: `invalid JSON: ${(e as Error).message}` }] };
  }
  const keys = scanJsonKeys(text);
  const duplicateIssues = keys.duplicates.map((d) => ({ path: formatPath(d.path), message: `duplicate key ${JSON.stringify(d.key)}` }));
  const result = parseConfig(value, keys.topLevelOrder);
  if (duplicateIssues.length === 0) return result;
  return { ok: false, issues: [...duplicateIssues, ...(result.ok ? [] : result.issues)] };
}

/**
 * Validates and compiles a parsed document. `order` is the document order of top-level
 * keys when known (parseConfigText supplies it); otherwise the object's own key order.
 */
export function parseConfig(value: unknown, order?: readonly string[]): ConfigResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, issues: [{ path: "$", message: "config must be a JSON object keyed by experiment name" }] };
  }
  const doc = value as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  const experiments: NamedExperiment[] = [];
  const names = order ?? Object.keys(doc);
  const byFoldedName = new Map<string, string>();

  const seen = new Set<string>();
  for (const name of names) {
    // A duplicated key (reported by parseConfigText) is one entry: JSON.parse kept the last.
    if (!Object.hasOwn(doc, name) || seen.has(name)) continue;
    seen.add(name);
    const entry = doc[name];
    const at = formatPath([name]);
    if (name === "_comment") {
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
    const parsed = v.safeParse(ExperimentSchema, entry);
    if (!parsed.success) {
      for (const issue of parsed.issues) {
        const path = [name, ...(issue.path ?? []).map((p) => p.key as string | number)];
        issues.push({ path: formatPath(path), message: issue.message });
      }
      continue;
    }
    const exp: NamedExperiment = { name, ...parsed.output };
    issues.push(...ruleIssues(exp));
    experiments.push(exp);
  }
  if (issues.length > 0) return { ok: false, issues };
  const compiled = compileConfig(experiments);
  if ("collision" in compiled) {
    return { ok: false, issues: [{ path: "$", message: `selector fingerprints collide: ${compiled.collision}; rename one selector` }] };
  }
  return { ok: true, config: compiled.config };
}

// The rules a structural schema cannot express, each reported at its own path.
function ruleIssues(exp: NamedExperiment): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (Date.parse(exp.start) >= Date.parse(exp.end)) {
    issues.push({ path: formatPath([exp.name, "end"]), message: "end must be after start" });
  }
  for (const [host, domain] of Object.entries(exp.domains)) {
    const groups = Object.entries(domain.groups);
    const folded = new Map<string, string>();
    for (const [group, [lo, hi]] of groups) {
      const at = () => formatPath([exp.name, "domains", host, "groups", group]);
      if (lo > hi) issues.push({ path: at(), message: `range [${lo}, ${hi}] is reversed: first must be <= last` });
      if (groups.length > 1) {
        const twin = folded.get(group.toLowerCase());
        if (twin !== undefined) issues.push({ path: at(), message: `group name differs from ${JSON.stringify(twin)} only by case` });
        folded.set(group.toLowerCase(), group);
      }
    }
    // Sorted by start, a range overlaps an earlier one exactly when it starts at or before
    // the furthest end seen so far.
    const sorted = groups.filter(([, [lo, hi]]) => lo <= hi).sort((a, b) => a[1][0] - b[1][0]);
    let furthest: [string, readonly [number, number]] | undefined;
    for (const [name, cur] of sorted) {
      if (furthest && cur[0] <= furthest[1][1]) {
        const [prevName, prev] = furthest;
        issues.push({
          path: formatPath([exp.name, "domains", host, "groups", name]),
          message: `range [${cur[0]}, ${cur[1]}] overlaps group ${JSON.stringify(prevName)} [${prev[0]}, ${prev[1]}]`,
        });
      }
      if (!furthest || cur[1] > furthest[1][1]) furthest = [name, cur];
    }
  }
  return issues;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `$`, then `.key`, `["odd.key"]` or `[3]` per step. */
function formatPath(path: readonly (string | number)[]): string {
  let out = "$";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (IDENT.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}
