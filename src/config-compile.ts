import type { ExperimentInput } from "./config-schema.js";
import { selectorFingerprint } from "./subject.js";

/**
 * The request-time form of a validated config, built once per config version so the
 * request path only compares numbers and concatenates ready-made strings.
 */

/** One experiment as one host sees it. Group arrays are aligned and sorted by range start. */
export interface CompiledExperiment {
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly cacheSplit: boolean;
  /** Index into the host plan's fingerprints: experiments sharing a selector share it. */
  readonly slot: number;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly groups: readonly string[];
  /** `name=group;` per group: the page header and Server-Timing pairs, prebuilt. */
  readonly pairs: readonly string[];
  /** `name=group/` per group: the event-intake pair up to the subject ID. */
  readonly eventPrefixes: readonly string[];
}

/** Everything one host needs at request time, in config document order. */
export interface HostPlan {
  readonly host: string;
  readonly experiments: readonly CompiledExperiment[];
  readonly fingerprints: readonly Uint32Array[];
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

/** Builds host plans; returns the fingerprint collision, if any (astronomically rare). */
export function compileConfig(experiments: readonly NamedExperiment[]): { config: CompiledConfig } | { collision: string } {
  const building = new Map<string, { experiments: CompiledExperiment[]; fingerprints: Uint32Array[]; slots: Map<string, number> }>();
  const seenFingerprints = new Map<string, string>();
  for (const exp of experiments) {
    const selector = exp.shared_selector ?? exp.name;
    for (const [host, domain] of Object.entries(exp.domains)) {
      let plan = building.get(host);
      if (!plan) building.set(host, (plan = { experiments: [], fingerprints: [], slots: new Map() }));
      const hostInput = domain.unique_domain === true ? host : null;
      const label = hostInput === null ? selector : `${selector}\u0000${hostInput}`;
      let slot = plan.slots.get(label);
      if (slot === undefined) {
        const fp = selectorFingerprint(selector, hostInput);
        const fpKey = `${fp[0]}:${fp[1]}`;
        const other = seenFingerprints.get(fpKey);
        if (other !== undefined && other !== label) return { collision: `${printable(other)} and ${printable(label)}` };
        seenFingerprints.set(fpKey, label);
        slot = plan.fingerprints.length;
        plan.fingerprints.push(fp);
        plan.slots.set(label, slot);
      }
      const ranges = Object.entries(domain.groups).sort((a, b) => a[1][0] - b[1][0]);
      plan.experiments.push({
        name: exp.name,
        startMs: Date.parse(exp.start),
        endMs: Date.parse(exp.end),
        cacheSplit: exp.cache_split ?? true,
        slot,
        lo: Int32Array.from(ranges, ([, r]) => r[0]),
        hi: Int32Array.from(ranges, ([, r]) => r[1]),
        groups: ranges.map(([g]) => g),
        pairs: ranges.map(([g]) => `${exp.name}=${g};`),
        eventPrefixes: ranges.map(([g]) => `${exp.name}=${g}/`),
      });
    }
  }
  const hosts = new Map<string, HostPlan>();
  for (const [host, plan] of building) hosts.set(host, { host, experiments: plan.experiments, fingerprints: plan.fingerprints });
  return { config: { hosts, experiments } };
}

function printable(label: string): string {
  return JSON.stringify(label.replace("\u0000", " @ "));
}
