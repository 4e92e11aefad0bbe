import type { CompiledConfig, CompiledExperiment, RangeTable } from "../src/config-compile.js";
import type { RequestContext } from "../src/request-context.js";
import { formatInstant } from "./cli-args.js";
import { bucketPercent, experimentStatus, type ExperimentStatus } from "./config-summary.js";
import { contextFor, formatContextFlag, type ContextFlag } from "./request-flags.js";

/**
 * `config:check --context ...`: which experiments a request with that context is eligible
 * for on each host, and which allocation supplies its groups (contract §8), evaluated by
 * the compiled rules the worker runs (`CompiledRule.test`), first true allocation winning.
 */

/** One experiment on one host, for the given context. */
export interface ContextExperiment {
  readonly name: string;
  readonly status: ExperimentStatus;
  /** The eligibility rule's result (true when there is none). */
  readonly eligible: boolean;
  readonly eligibility: string | null;
  /** The allocation used (-1: the domain's groups); -1 when not eligible. */
  readonly allocation: number;
  /** The rule of the allocation used, or null. */
  readonly rule: string | null;
  /** The groups that apply (empty when not eligible), in bucket order, with their share. */
  readonly groups: readonly { readonly name: string; readonly percent: string }[];
  readonly samplePercent: string;
}

export interface ContextHost {
  readonly host: string;
  readonly context: RequestContext;
  readonly experiments: readonly ContextExperiment[];
}

export interface ContextCheck {
  /** The variables given, as accepted. */
  readonly given: ContextFlag;
  readonly at: string;
  readonly hosts: readonly ContextHost[];
  /** `host=` named a host the config does not have. */
  readonly unknownHost: string | null;
}

/** Evaluates every experiment's rules on each host's context (only `host=`'s, when given). */
export function checkContext(config: CompiledConfig, given: ContextFlag, atMs: number): ContextCheck {
  const hosts: ContextHost[] = [];
  for (const plan of config.hosts.values()) {
    if (given.host !== undefined && plan.host !== given.host) continue;
    const context = contextFor(plan.host, given);
    hosts.push({ host: plan.host, context, experiments: plan.experiments.map((exp) => evaluate(exp, context, atMs)) });
  }
  const unknownHost = given.host !== undefined && !config.hosts.has(given.host) ? given.host : null;
  return { given, at: formatInstant(atMs), hosts, unknownHost };
}

function evaluate(exp: CompiledExperiment, context: RequestContext, atMs: number): ContextExperiment {
  const eligible = exp.eligibility === null || exp.eligibility.test(context);
  const allocation = eligible ? exp.allocations.findIndex((a) => a.rule.test(context)) : -1;
  const table: RangeTable = allocation >= 0 ? exp.allocations[allocation]!.table : exp;
  const groups = eligible ? table.groups.map((name, g) => ({ name, percent: bucketPercent(table.hi[g]! - table.lo[g]! + 1) })) : [];
  let sample = 0;
  if (eligible) for (let g = 0; g < table.lo.length; g++) sample += table.hi[g]! - table.lo[g]! + 1;
  return {
    name: exp.name,
    status: experimentStatus(exp, atMs),
    eligible,
    eligibility: exp.eligibility?.source ?? null,
    allocation,
    rule: allocation >= 0 ? exp.allocations[allocation]!.rule.source : null,
    groups,
    samplePercent: bucketPercent(sample),
  };
}

function verdict(e: ContextExperiment): string {
  if (e.status !== "live") return `not live (${e.status})`;
  if (!e.eligible) return "not eligible";
  return e.eligibility === null ? "eligible (no rule)" : "eligible";
}

/** The human-readable form, printed after the summary. */
export function formatContextCheck(check: ContextCheck): string {
  const lines: string[] = [];
  const given = formatContextFlag(check.given);
  lines.push(`for a request with ${given === "" ? "no context given" : given} at ${check.at}:`);
  lines.push("(variables not given: path /, country XX, platform desktop, language \"\", loggedIn false; host: each host)");
  if (check.unknownHost !== null) lines.push("", `${check.unknownHost} is not in the config: nothing applies there`);
  for (const host of check.hosts) {
    const c = host.context;
    const forced = check.given.platform !== undefined && check.given.platform !== c.platform ? " (a mobile host)" : "";
    lines.push("", `${host.host}: path ${c.path}  country ${c.country}  platform ${c.platform}${forced}  language ${JSON.stringify(c.language)}  loggedIn ${c.loggedIn}`);
    const width = Math.max(...host.experiments.map((e) => e.name.length));
    const verdicts = host.experiments.map(verdict);
    const verdictWidth = Math.max(...verdicts.map((v) => v.length));
    host.experiments.forEach((e, i) => {
      const head = `  ${e.name.padEnd(width)}  ${verdicts[i]!.padEnd(verdictWidth)}`;
      if (e.status !== "live") lines.push(head.trimEnd());
      else if (!e.eligible) lines.push(`${head}  ${e.eligibility}`);
      else {
        const from = e.rule !== null ? `allocations[${e.allocation}] ${e.rule}` : "the domain's groups";
        lines.push(`${head}  ${from}  sample ${e.samplePercent}: ${e.groups.map((g) => `${g.name} ${g.percent}`).join(", ")}`);
      }
    });
  }
  return lines.join("\n") + "\n";
}
