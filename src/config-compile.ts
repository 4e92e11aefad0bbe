import type { ExperimentRules } from "./config-parse.js";
import type { ExperimentInput } from "./config-schema.js";
import type { CompiledRule } from "./rule-compile.js";
import { pageHeaderPair } from "./enrollment-header.js";
import { selectorFingerprint } from "./subject.js";
import { runSteps, type Steps } from "./steps.js";

/**
 * The request-time form of a validated config, built once per config version so the
 * request path only compares numbers and concatenates ready-made strings.
 */

/** One set of groups: arrays aligned and sorted by range start, with their strings prebuilt. */
export interface RangeTable {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly groups: readonly string[];
  /** `name=group;` per group: the Server-Timing pairs, prebuilt. */
  readonly pairs: readonly string[];
  /** The page-header pair per group: as `pairs`, but "" for the group MediaWiki cannot receive (enrollment-header.ts). */
  readonly pagePairs: readonly string[];
  /** Index of the group left out of the page header (contract §4), else -1: what the worker counts. */
  readonly withheldGroup: number;
  /** `name=group/` per group: the event-intake pair up to the subject ID. */
  readonly eventPrefixes: readonly string[];
}

/** An allocation (contract §8): the groups to use when its rule holds. */
export interface CompiledAllocation {
  readonly rule: CompiledRule;
  readonly table: RangeTable;
}

/**
 * One experiment on one set of hosts with the same groups: the default range table is the
 * object itself. Hosts with the same groups and allocations share the object; the
 * host-specific part (which fingerprint slot it uses) is in the host plan's `slots`.
 */
export interface CompiledExperiment extends RangeTable {
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly cacheSplit: boolean;
  /** contract §8: false means "as if not live" for this request. */
  readonly eligibility: CompiledRule | null;
  /** contract §8: the first whose rule holds supplies the groups; none: the default table. */
  readonly allocations: readonly CompiledAllocation[];
  /** The experiment reads the request context (has an eligibility rule or allocations). */
  readonly usesContext: boolean;
}

/** Everything one host needs at request time, in config document order. */
export interface HostPlan {
  readonly host: string;
  readonly experiments: readonly CompiledExperiment[];
  /** Per experiment (aligned), its index into `fingerprints`: experiments sharing a selector share it. */
  readonly slots: Int32Array;
  readonly fingerprints: readonly Uint32Array[];
}

/** The fingerprint slot of an experiment on this host (tools and tests; enroll reads `slots` directly). */
export function slotOf(plan: HostPlan, exp: CompiledExperiment): number {
  return plan.slots[plan.experiments.indexOf(exp)]!;
}

/** An experiment as written, with its name, in document order (for tools and status). */
export interface NamedExperiment extends ExperimentInput {
  readonly name: string;
}

/** A validated, precompiled config. */
export interface CompiledConfig {
  readonly hosts: ReadonlyMap<string, HostPlan>;
  readonly experiments: readonly NamedExperiment[];
}


/**
 * Builds host plans; returns the fingerprint collision, if any (astronomically rare).
 * An experiment usually has the same groups on all its hosts, so range tables and their
 * strings are built once per experiment and shared, and a selector's fingerprint is
 * computed once per config, not once per host.
 */
export function compileConfig(
  experiments: readonly NamedExperiment[],
  rules: ReadonlyMap<NamedExperiment, ExperimentRules>,
): { config: CompiledConfig } | { collision: string } {
  return runSteps(compileSteps(experiments, rules, Number.POSITIVE_INFINITY));
}

/**
 * compileConfig as steps: yields after every `sliceUnits` experiments and domains, where a
 * caller compiling in slices (parseConfigTextInSlices) may pause.
 */
export function* compileSteps(
  experiments: readonly NamedExperiment[],
  rules: ReadonlyMap<NamedExperiment, ExperimentRules>,
  sliceUnits: number,
): Steps<{ config: CompiledConfig } | { collision: string }> {
  let units = 0;
  const building = new Map<string, PlanBuilder>();
  const fingerprints = new Map<string, Uint32Array>();
  const seenFingerprints = new Map<string, string>();
  // Selectors of the experiments compiled so far: only an experiment whose selector is in
  // here can share a fingerprint slot (a new selector's label is new on every host).
  const selectors = new Set<string>();
  for (const exp of experiments) {
    const selector = exp.shared_selector ?? exp.name;
    const sharing = selectors.has(selector);
    selectors.add(selector);
    const startMs = Date.parse(exp.start);
    const endMs = Date.parse(exp.end);
    const cacheSplit = exp.cache_split ?? true;
    const expRules = rules.get(exp);
    const eligibility = expRules?.eligibility ?? null;
    // Group tables compiled for this experiment so far, and the experiment compiled for each.
    const tableGroups: Readonly<Record<string, readonly [number, number]>>[] = [];
    const tableCompiled: CompiledExperiment[] = [];
    const hasAllocations = expRules !== undefined && expRules.allocations.size > 0;
    const hosts = expRules?.hosts ?? Object.keys(exp.domains);
    for (let d = 0; d < hosts.length; d++) {
      const host = hosts[d]!;
      const domain = exp.domains[host]!;
      let plan = building.get(host);
      if (!plan) building.set(host, (plan = { experiments: [], slotList: [], fingerprints: [], labels: [], slots: null }));
      const hostInput = domain.unique_domain === true ? host : null;
      const label = hostInput === null ? selector : `${selector}\u0000${hostInput}`;
      let slot = sharing ? slotOfLabel(plan, label) : undefined;
      if (slot === undefined) {
        let fp = fingerprints.get(label);
        if (fp === undefined) {
          fp = selectorFingerprint(selector, hostInput);
          const fpKey = `${fp[0]}:${fp[1]}`;
          const other = seenFingerprints.get(fpKey);
          if (other !== undefined) return { collision: `${printable(other)} and ${printable(label)}` };
          seenFingerprints.set(fpKey, label);
          fingerprints.set(label, fp);
        }
        slot = plan.fingerprints.length;
        plan.fingerprints.push(fp);
        plan.labels.push(label);
        plan.slots?.set(label, slot);
      }
      // Hosts with equal groups share one compiled experiment (compared by value; few
      // groups). A host with allocations gets its own.
      let compiled: CompiledExperiment | undefined;
      const allocationRules = hasAllocations ? expRules.allocations.get(host) : undefined;
      if (allocationRules === undefined) {
        for (let t = 0; t < tableGroups.length; t++) {
          if (tableGroups[t] === domain.groups || sameGroups(tableGroups[t]!, domain.groups)) {
            compiled = tableCompiled[t];
            break;
          }
        }
      }
      if (compiled === undefined) {
        const allocations = (domain.allocations ?? []).map((a, i) => ({ rule: allocationRules![i]!, table: rangeTable(exp.name, a.groups) }));
        compiled = {
          name: exp.name,
          startMs,
          endMs,
          cacheSplit,
          ...rangeTable(exp.name, domain.groups),
          eligibility,
          allocations,
          usesContext: eligibility !== null || allocations.length > 0,
        };
        if (allocationRules === undefined) {
          tableGroups.push(domain.groups);
          tableCompiled.push(compiled);
        }
      }
      plan.experiments.push(compiled);
      plan.slotList.push(slot);
    }
    units += 1 + hosts.length;
    if (units >= sliceUnits) {
      units = 0;
      yield;
    }
  }
  const hosts = new Map<string, HostPlan>();
  for (const [host, plan] of building) {
    hosts.set(host, { host, experiments: plan.experiments, slots: Int32Array.from(plan.slotList), fingerprints: plan.fingerprints });
  }
  return { config: { hosts, experiments } };
}

interface PlanBuilder {
  experiments: CompiledExperiment[];
  slotList: number[];
  fingerprints: Uint32Array[];
  /** The label of each fingerprint slot, in slot order. */
  labels: string[];
  /** label -> slot, built on the first shared selector on this host (most configs never need it). */
  slots: Map<string, number> | null;
}

// Fast path: the label -> slot map of a host is built only when a selector is shared, so a
// config without shared selectors pays no map insert per experiment and host.
function slotOfLabel(plan: PlanBuilder, label: string): number | undefined {
  if (plan.slots === null) {
    plan.slots = new Map();
    for (let i = 0; i < plan.labels.length; i++) plan.slots.set(plan.labels[i]!, i);
  }
  return plan.slots.get(label);
}

// Value equality of two small group tables without allocating (this runs per host).
function sameGroups(a: Readonly<Record<string, readonly [number, number]>>, b: Readonly<Record<string, readonly [number, number]>>): boolean {
  let count = 0;
  for (const k in a) {
    if (!Object.hasOwn(b, k)) return false;
    const x = a[k]!, y = b[k]!;
    if (x[0] !== y[0] || x[1] !== y[1]) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

function rangeTable(
  name: string,
  groups: Readonly<Record<string, readonly [number, number]>>,
): RangeTable {
  const ranges = Object.entries(groups).sort((a, b) => a[1][0] - b[1][0]);
  // Filled by index: Int32Array.from with a map function takes V8's slow iterator path.
  const lo = new Int32Array(ranges.length);
  const hi = new Int32Array(ranges.length);
  for (let i = 0; i < ranges.length; i++) {
    lo[i] = ranges[i]![1][0];
    hi[i] = ranges[i]![1][1];
  }
  return {
    lo,
    hi,
    groups: ranges.map(([g]) => g),
    pairs: ranges.map(([g]) => `${name}=${g};`),
    pagePairs: ranges.map(([g]) => pageHeaderPair(name, g)),
    withheldGroup: ranges.findIndex(([g]) => pageHeaderPair(name, g) === ""),
    eventPrefixes: ranges.map(([g]) => `${name}=${g}/`),
  };
}

function printable(label: string): string {
  return JSON.stringify(label.replace("\u0000", " @ "));
}
