import { slotOf, type CompiledConfig, type CompiledExperiment, type NamedExperiment, type RangeTable } from "../src/config-compile.js";
import { formatPath, type ConfigIssue } from "../src/config-parse.js";
import { BUCKETS, ENROLLMENTS_HEADER, MAX_LIVE_EXPERIMENTS, WITHHELD_GROUP } from "../src/contract.js";
import { formatInstant } from "./cli-args.js";

/**
 * What a validated config means for each host at a given moment, for experiment owners
 * before they publish: which experiments are live, how each derives its IDs, and how big
 * each group is. Built from the compiled config the worker runs, so host order, experiment
 * order, selector sharing and range order are the worker's, not a re-reading of the JSON.
 */

/** An experiment's state at the summary's time: live when start <= at < end. */
export type ExperimentStatus = "live" | "not-yet" | "ended";

export interface GroupSummary {
  readonly name: string;
  readonly first: number;
  readonly last: number;
  readonly buckets: number;
  readonly percent: string;
}

export interface ExperimentSummary {
  readonly name: string;
  readonly status: ExperimentStatus;
  readonly start: string;
  readonly end: string;
  readonly cacheSplit: boolean;
  /** The selector IDs are derived from: the shared_selector, or the experiment's own name. */
  readonly selector: string;
  readonly sharedSelector: boolean;
  readonly uniqueDomain: boolean;
  /** Other experiments on this host with the same subject IDs and buckets. */
  readonly sameBucketsAs: readonly string[];
  readonly sampleBuckets: number;
  readonly samplePercent: string;
  /** In bucket order (as the worker matches them). */
  readonly groups: readonly GroupSummary[];
  /** The eligibility rule as written (contract §8), or null. */
  readonly eligibility: string | null;
  /** The constants the rules may name, as written. */
  readonly constants: Readonly<Record<string, unknown>>;
  /** This host's allocations in order: the first whose rule holds supplies the groups. */
  readonly allocations: readonly AllocationSummary[];
}

/** An allocation (contract §8): its rule as written and its own groups. */
export interface AllocationSummary {
  readonly rule: string;
  readonly sampleBuckets: number;
  readonly samplePercent: string;
  readonly groups: readonly GroupSummary[];
}

export interface HostSummary {
  readonly host: string;
  readonly live: number;
  readonly experiments: readonly ExperimentSummary[];
}

export interface ConfigSummary {
  readonly at: string;
  readonly experiments: number;
  readonly hosts: readonly HostSummary[];
  /** Things that are valid but probably not meant. */
  readonly warnings: readonly string[];
}

/** Status of a compiled experiment at `atMs`. */
export function experimentStatus(exp: Pick<CompiledExperiment, "startMs" | "endMs">, atMs: number): ExperimentStatus {
  if (atMs < exp.startMs) return "not-yet";
  return atMs < exp.endMs ? "live" : "ended";
}

/** A bucket count as a percentage of all 100,000 buckets, exact: 5000 -> "5%", 1 -> "0.001%". */
export function bucketPercent(buckets: number): string {
  // 100,000 buckets: one bucket is exactly 0.001 %, so integer arithmetic gives the exact digits.
  const whole = Math.floor(buckets / (BUCKETS / 100));
  const frac = String(buckets % (BUCKETS / 100)).padStart(3, "0").replace(/0+$/, "");
  return frac === "" ? `${whole}%` : `${whole}.${frac}%`;
}

/** Summarises a validated config per host at `atMs`. */
export function summariseConfig(config: CompiledConfig, atMs: number): ConfigSummary {
  const byName = new Map<string, NamedExperiment>(config.experiments.map((e) => [e.name, e]));
  const hosts: HostSummary[] = [];
  const warnings: string[] = [];
  const withheldOn = new Map<string, string[]>();
  for (const plan of config.hosts.values()) {
    for (const exp of plan.experiments) {
      if (exp.cacheSplit && exp.groups.includes(WITHHELD_GROUP)) withheldOn.set(exp.name, [...(withheldOn.get(exp.name) ?? []), plan.host]);
    }
    const experiments = plan.experiments.map((exp): ExperimentSummary => {
      const named = byName.get(exp.name)!;
      const groups = groupSummaries(exp);
      const sampleBuckets = groups.reduce((n, g) => n + g.buckets, 0);
      return {
        name: exp.name,
        status: experimentStatus(exp, atMs),
        start: named.start,
        end: named.end,
        cacheSplit: exp.cacheSplit,
        selector: named.shared_selector ?? named.name,
        sharedSelector: named.shared_selector !== undefined,
        uniqueDomain: named.domains[plan.host]?.unique_domain === true,
        sameBucketsAs: plan.experiments.filter((o, j) => o !== exp && plan.slots[j] === slotOf(plan, exp)).map((o) => o.name),
        sampleBuckets,
        samplePercent: bucketPercent(sampleBuckets),
        groups,
        eligibility: exp.eligibility?.source ?? null,
        constants: named.constants ?? {},
        allocations: exp.allocations.map((a): AllocationSummary => {
          const own = groupSummaries(a.table);
          const buckets = own.reduce((n, g) => n + g.buckets, 0);
          return { rule: a.rule.source, sampleBuckets: buckets, samplePercent: bucketPercent(buckets), groups: own };
        }),
      };
    });
    const live = experiments.filter((e) => e.status === "live").length;
    if (live > MAX_LIVE_EXPERIMENTS) {
      warnings.push(`${plan.host}: ${live} experiments live at once; the worker evaluates only the first ${MAX_LIVE_EXPERIMENTS} and skips the rest`);
    }
    hosts.push({ host: plan.host, live, experiments });
  }
  for (const [name, on] of withheldOn) {
    warnings.push(
      `${name}: a group named "${WITHHELD_GROUP}" (on ${on.join(", ")}): MediaWiki's parser drops it and then ignores the whole ` +
        `${ENROLLMENTS_HEADER} header, so the worker leaves that pair out of the header (Server-Timing and the event intake keep it; ` +
        `the origin renders the default for it); rename the group to keep it valid everywhere`,
    );
  }
  return { at: formatInstant(atMs), experiments: config.experiments.length, hosts, warnings };
}

/** The human-readable summary. */
export function formatSummary(summary: ConfigSummary, source: string): string {
  const lines: string[] = [];
  const hostCount = summary.hosts.length;
  lines.push(
    `${source}: valid. ${plural(summary.experiments, "experiment")} on ${plural(hostCount, "host")}; status at ${summary.at}`,
  );
  for (const host of summary.hosts) {
    lines.push("", `${host.host}: ${plural(host.experiments.length, "experiment")}, ${host.live} live`);
    for (const e of host.experiments) {
      lines.push(`  ${e.name}  [${e.status}]  ${e.start} .. ${e.end}`);
      const selector = e.sharedSelector ? `shared "${e.selector}"` : "own";
      const same = e.sameBucketsAs.length > 0 ? ` (same buckets as ${e.sameBucketsAs.join(", ")})` : "";
      lines.push(`    cache_split ${e.cacheSplit}  selector ${selector}${same}  unique_domain ${e.uniqueDomain}  sample ${e.samplePercent}`);
      for (const [name, value] of Object.entries(e.constants)) lines.push(`    constant ${name} = ${JSON.stringify(value)}`);
      if (e.eligibility !== null) lines.push(`    eligibility ${e.eligibility}`);
      if (e.allocations.length > 0) lines.push("    groups (when no allocation rule is true):");
      lines.push(...groupLines(e.groups, e.allocations.length > 0 ? "      " : "    "));
      e.allocations.forEach((a, i) => {
        lines.push(`    allocations[${i}] ${a.rule}  sample ${a.samplePercent}`);
        lines.push(...groupLines(a.groups, "      "));
      });
    }
  }
  for (const w of summary.warnings) lines.push("", `warning: ${w}`);
  return lines.join("\n") + "\n";
}

/**
 * Every problem, one per line, with its JSON path. Given the document's text, a problem
 * in a targeting rule ("column N: ...") also shows the rule with a caret at the column.
 */
export function formatIssues(issues: readonly ConfigIssue[], source: string, text?: string): string {
  const lines = [`${source}: invalid, ${plural(issues.length, "problem")}; the worker would reject it and keep its last good config`];
  const rules = text === undefined ? new Map<string, string>() : ruleSources(text);
  for (const issue of issues) {
    lines.push(`  ${issue.path}: ${issue.message}`);
    const column = /^column (\d+): /.exec(issue.message);
    const rule = rules.get(issue.path);
    if (column !== null && rule !== undefined) lines.push(...caretLines(rule, Number(column[1]), "      "));
  }
  return lines.join("\n") + "\n";
}

// Every targeting rule in a document, by the JSON path the parser reports it under.
function ruleSources(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return out;
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(doc)) return out;
  for (const [name, exp] of Object.entries(doc)) {
    if (!isObject(exp)) continue;
    if (typeof exp["eligibility"] === "string") out.set(formatPath([name, "eligibility"]), exp["eligibility"]);
    if (!isObject(exp["domains"])) continue;
    for (const [host, domain] of Object.entries(exp["domains"])) {
      if (!isObject(domain) || !Array.isArray(domain["allocations"])) continue;
      domain["allocations"].forEach((a: unknown, i: number) => {
        if (isObject(a) && typeof a["rule"] === "string") out.set(formatPath([name, "domains", host, "allocations", i, "rule"]), a["rule"]);
      });
    }
  }
  return out;
}

// The rule (a window of it when long) and a caret under the 1-based column.
function caretLines(rule: string, column: number, indent: string): string[] {
  const at = Math.min(Math.max(column - 1, 0), rule.length);
  const from = Math.max(0, at - 50);
  const to = Math.min(rule.length, at + 30);
  const head = from > 0 ? "…" : "";
  const shown = head + rule.slice(from, to).replace(/[\t\n\r]/g, " ") + (to < rule.length ? "…" : "");
  return [`${indent}${shown}`, `${indent}${" ".repeat(head.length + at - from)}^`];
}

function groupSummaries(table: RangeTable): GroupSummary[] {
  return table.groups.map((name, g): GroupSummary => {
    const first = table.lo[g]!, last = table.hi[g]!;
    return { name, first, last, buckets: last - first + 1, percent: bucketPercent(last - first + 1) };
  });
}

function groupLines(groups: readonly GroupSummary[], indent: string): string[] {
  const nameWidth = Math.max(...groups.map((g) => g.name.length));
  const rangeWidth = Math.max(...groups.map((g) => rangeText(g).length));
  const countWidth = Math.max(...groups.map((g) => String(g.buckets).length));
  return groups.map(
    (g) => `${indent}${g.name.padEnd(nameWidth)}  ${rangeText(g).padEnd(rangeWidth)}  ${String(g.buckets).padStart(countWidth)} bucket${g.buckets === 1 ? " " : "s"}  ${g.percent}`,
  );
}

function rangeText(g: GroupSummary): string {
  return `[${g.first}, ${g.last}]`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
