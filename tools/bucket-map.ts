import type { CompiledConfig, NamedExperiment } from "../src/config-compile.js";
import { BUCKETS } from "../src/contract.js";
import { bucketPercent, summariseConfig, type ConfigSummary, type ExperimentStatus, type ExperimentSummary } from "./config-summary.js";

/**
 * The bucket map: what a config means as slices of the 100,000 buckets, per host, for
 * people to look at (config:check --html, the emulation's map page). Pure data, no HTML:
 * bands of segments that cover 0..99,999 (groups and the unenrolled gaps between them), and
 * the diff of two versions, bucket by bucket, so a ramp that would move someone already
 * enrolled (into another group, or out) is found, not guessed. Built on the config:check
 * summary, so host order, experiment order and selector sharing are the worker's.
 */

/** A `[first, last]` inclusive bucket range. */
export type Range = readonly [number, number];

/** A run of buckets: one group's range, or a gap nobody is enrolled in. */
export interface Segment {
  /** The group; null where no group holds these buckets. */
  readonly group: string | null;
  readonly first: number;
  readonly last: number;
  readonly buckets: number;
  readonly percent: string;
}

/** One allocation of an experiment on a host: the default groups, or a §8 allocation. */
export interface Band {
  /** null for the domain's `groups`; the rule of an `allocations` entry otherwise. */
  readonly rule: string | null;
  /** Covers 0..99,999 in bucket order. */
  readonly segments: readonly Segment[];
  readonly sampleBuckets: number;
  readonly samplePercent: string;
}

/** An experiment on one host, ready to draw. */
export interface ExperimentMap {
  readonly name: string;
  readonly status: ExperimentStatus;
  readonly start: string;
  readonly end: string;
  readonly cacheSplit: boolean;
  readonly selector: string;
  readonly sharedSelector: boolean;
  readonly uniqueDomain: boolean;
  /**
   * Experiments with the same bucket space on a host get the same subject ID and bucket
   * (the selector, plus the host when `unique_domain`; contract §3).
   */
  readonly bucketSpace: string;
  /** Shown experiments on this host that share the bucket space. */
  readonly sameBucketsAs: readonly string[];
  /** The §8 eligibility rule; null when every visitor is eligible. */
  readonly eligibility: string | null;
  /** Names of the §8 constants the rules may use. */
  readonly constants: readonly string[];
  /** The default band first, then one per allocation in match order. */
  readonly bands: readonly Band[];
  /** Colour slot per group name: stable across the experiment's bands. */
  readonly colours: Readonly<Record<string, number>>;
  readonly warnings: readonly string[];
}

export interface HostMap {
  readonly host: string;
  readonly live: number;
  readonly scheduled: number;
  /** Live and not-yet experiments, in config order except that experiments sharing buckets sit together. */
  readonly experiments: readonly ExperimentMap[];
  /** Ended experiments: named, not drawn. */
  readonly ended: readonly string[];
  readonly warnings: readonly string[];
}

export interface BucketMap {
  readonly at: string;
  readonly experiments: number;
  readonly hosts: readonly HostMap[];
  /** Warnings that name no host or experiment. */
  readonly warnings: readonly string[];
}

/** How many distinct group colours the page has; slots wrap beyond it. */
export const PALETTE_SIZE = 8;

// The §8 fields, read through a narrow optional view so this compiles before and after the
// schema has them (the parser rejects them until then, so today they are always absent).
interface RuleFields {
  readonly eligibility?: string;
  readonly constants?: Readonly<Record<string, unknown>>;
}
interface Allocation {
  readonly rule: string;
  readonly groups: Readonly<Record<string, Range>>;
}

/** The map of a validated config at `atMs` (pass the summary when it is already made). */
export function buildBucketMap(config: CompiledConfig, atMs: number, summary: ConfigSummary = summariseConfig(config, atMs)): BucketMap {
  const byName = new Map<string, NamedExperiment>(config.experiments.map((e) => [e.name, e]));
  const placed = new Set<string>();
  const hosts = summary.hosts.map((host): HostMap => {
    const shown = host.experiments.filter((e) => e.status !== "ended");
    const names = new Set(shown.map((e) => e.name));
    const hostWarnings: string[] = [];
    const warningsOf = new Map<string, string[]>(shown.map((e) => [e.name, []]));
    for (const w of summary.warnings) {
      const forHost = w.startsWith(`${host.host}: `);
      const about = shown.find((e) => mentions(w, e.name));
      if (about && (forHost || !/^[^\s:]+: /.test(w))) {
        warningsOf.get(about.name)!.push(forHost ? w.slice(host.host.length + 2) : w);
        placed.add(w);
      } else if (forHost) {
        hostWarnings.push(w.slice(host.host.length + 2));
        placed.add(w);
      }
    }
    const experiments = shown.map((e) => experimentMap(e, byName.get(e.name)!, host.host, names, warningsOf.get(e.name)!));
    return {
      host: host.host,
      live: host.live,
      scheduled: shown.length - host.live,
      experiments: clusterByBucketSpace(experiments),
      ended: host.experiments.filter((e) => e.status === "ended").map((e) => e.name),
      warnings: hostWarnings,
    };
  });
  return { at: summary.at, experiments: summary.experiments, hosts, warnings: summary.warnings.filter((w) => !placed.has(w)) };
}

function experimentMap(e: ExperimentSummary, named: NamedExperiment, host: string, shown: ReadonlySet<string>, warnings: string[]): ExperimentMap {
  const rules = named as NamedExperiment & RuleFields;
  const domain = named.domains[host] as { readonly allocations?: readonly Allocation[] } | undefined;
  const bands: Band[] = [bandOf(null, e.groups.map((g) => [g.name, [g.first, g.last]] as const))];
  for (const a of domain?.allocations ?? []) bands.push(bandOf(a.rule, Object.entries(a.groups)));
  const colours: Record<string, number> = {};
  let next = 0;
  for (const band of bands) {
    for (const s of band.segments) if (s.group !== null && !Object.hasOwn(colours, s.group)) colours[s.group] = next++ % PALETTE_SIZE;
  }
  // Contract §4: MediaWiki drops a group named "0" and with it the whole header. config:check
  // is gaining this warning; until its summary carries it, the map adds it here, once.
  if (!warnings.some((w) => /group (named )?["“]?0["”]?(\W|$)/.test(w))) {
    for (const band of bands) {
      if (band.segments.some((s) => s.group === "0")) {
        warnings.push(
          `group "0"${band.rule === null ? "" : ` (allocation ${JSON.stringify(band.rule)})`}: MediaWiki drops a group named 0 and with it every enrollment of the page, so this pair is left out of X-Experiment-Enrollments (still in Server-Timing)`,
        );
      }
    }
  }
  return {
    name: e.name,
    status: e.status,
    start: e.start,
    end: e.end,
    cacheSplit: e.cacheSplit,
    selector: e.selector,
    sharedSelector: e.sharedSelector,
    uniqueDomain: e.uniqueDomain,
    bucketSpace: e.uniqueDomain ? `${e.selector} @ ${host}` : e.selector,
    sameBucketsAs: e.sameBucketsAs.filter((n) => shown.has(n)),
    eligibility: typeof rules.eligibility === "string" ? rules.eligibility : null,
    constants: rules.constants === undefined ? [] : Object.keys(rules.constants),
    bands,
    colours,
    warnings,
  };
}

/** A band from group ranges in any order; the gaps become unenrolled segments. */
export function bandOf(rule: string | null, groups: readonly (readonly [string, Range])[]): Band {
  const sorted = [...groups].sort((a, b) => a[1][0] - b[1][0]);
  const segments: Segment[] = [];
  let at = 0;
  for (const [name, [first, last]] of sorted) {
    if (first > at) segments.push(segment(null, at, first - 1));
    segments.push(segment(name, first, last));
    at = last + 1;
  }
  if (at < BUCKETS) segments.push(segment(null, at, BUCKETS - 1));
  const sampleBuckets = segments.reduce((n, s) => n + (s.group === null ? 0 : s.buckets), 0);
  return { rule, segments, sampleBuckets, samplePercent: bucketPercent(sampleBuckets) };
}

function segment(group: string | null, first: number, last: number): Segment {
  return { group, first, last, buckets: last - first + 1, percent: bucketPercent(last - first + 1) };
}

// Experiments sharing a bucket space are drawn one under the other, at the place of the
// first of them, so their aligned bands show which groups coincide.
function clusterByBucketSpace(experiments: readonly ExperimentMap[]): ExperimentMap[] {
  const out: ExperimentMap[] = [];
  const done = new Set<string>();
  for (const e of experiments) {
    if (done.has(e.bucketSpace)) continue;
    done.add(e.bucketSpace);
    out.push(...experiments.filter((o) => o.bucketSpace === e.bucketSpace));
  }
  return out;
}

function mentions(text: string, name: string): boolean {
  const at = text.indexOf(name);
  if (at < 0) return false;
  const before = text[at - 1] ?? " ";
  const after = text[at + name.length] ?? " ";
  return !/[-_.A-Za-z0-9]/.test(before) && !/[-_.A-Za-z0-9]/.test(after);
}

// ---------------------------------------------------------------------------------------
// Diff

/** What happens to a run of buckets between two versions. */
export type ChangeKind =
  /** In the same group before and after (or in none both times). */
  | "same"
  /** Not enrolled before, in a group now: a ramp-up. */
  | "enrolled"
  /** In a group before, in another group now: someone is reshuffled. */
  | "reshuffled"
  /** In a group before, in none now: someone is dropped. */
  | "dropped";

export interface ChangeSegment {
  readonly first: number;
  readonly last: number;
  readonly buckets: number;
  readonly percent: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly kind: ChangeKind;
}

export type GroupChangeKind = "same" | "widened" | "narrowed" | "moved" | "added" | "removed";

export interface GroupChange {
  readonly group: string;
  readonly before: Range | null;
  readonly after: Range | null;
  readonly kind: GroupChangeKind;
  /** after's size minus before's. */
  readonly delta: number;
}

export interface BandDiff {
  readonly rule: string | null;
  /** The band visitors of this rule had before: the same rule's, else the default one. */
  readonly before: Band;
  readonly after: Band;
  /** The rule's band is new (compared with the default groups its visitors had) or gone. */
  readonly ruleChange: "same" | "added" | "removed";
  readonly groups: readonly GroupChange[];
  readonly segments: readonly ChangeSegment[];
  /** Buckets whose visitors move from a group to another group or out. */
  readonly reshuffled: number;
  readonly enrolled: number;
}

export type ExperimentChangeKind = "unchanged" | "changed" | "added" | "removed";

export interface ExperimentDiff {
  readonly name: string;
  readonly kind: ExperimentChangeKind;
  readonly before: ExperimentMap | null;
  readonly after: ExperimentMap | null;
  /** Per band (rule) of either version; empty for added and removed experiments. */
  readonly bands: readonly BandDiff[];
  /** Changes that are not ranges: dates, selector, eligibility, cache_split, allocation order. */
  readonly notes: readonly string[];
  /** The bucket space changed: every enrolled visitor gets a new, unrelated bucket. */
  readonly rebucketed: boolean;
  /** Buckets (of the band that moves most) whose visitors are reshuffled or dropped. */
  readonly reshuffled: number;
  readonly colours: Readonly<Record<string, number>>;
}

export interface HostDiff {
  readonly host: string;
  readonly experiments: readonly ExperimentDiff[];
}

export interface MapDiff {
  readonly before: BucketMap;
  readonly after: BucketMap;
  readonly hosts: readonly HostDiff[];
  /** Experiments (host/name) whose change moves someone already enrolled. */
  readonly reshuffling: readonly string[];
  readonly changed: number;
}

/** Compares two maps experiment by experiment and bucket by bucket, per host. */
export function diffBucketMaps(before: BucketMap, after: BucketMap): MapDiff {
  const hostNames = [...new Set([...after.hosts.map((h) => h.host), ...before.hosts.map((h) => h.host)])];
  const reshuffling: string[] = [];
  let changed = 0;
  const hosts = hostNames.map((host): HostDiff => {
    const old = before.hosts.find((h) => h.host === host)?.experiments ?? [];
    const now = after.hosts.find((h) => h.host === host)?.experiments ?? [];
    const names = [...new Set([...now.map((e) => e.name), ...old.map((e) => e.name)])];
    const experiments = names.map((name) => diffExperiment(old.find((e) => e.name === name) ?? null, now.find((e) => e.name === name) ?? null));
    for (const d of experiments) {
      if (d.kind !== "unchanged") changed++;
      if (d.reshuffled > 0) reshuffling.push(`${host}/${d.name}`);
    }
    return { host, experiments };
  });
  return { before, after, hosts, reshuffling, changed };
}

function diffExperiment(before: ExperimentMap | null, after: ExperimentMap | null): ExperimentDiff {
  const name = (after ?? before)!.name;
  const colours = mergeColours(after, before);
  if (before === null || after === null) {
    return { name, kind: before === null ? "added" : "removed", before, after, bands: [], notes: [], rebucketed: false, reshuffled: 0, colours };
  }
  const rebucketed = before.bucketSpace !== after.bucketSpace;
  const notes: string[] = [];
  if (rebucketed) notes.push(`bucket space ${JSON.stringify(before.bucketSpace)} -> ${JSON.stringify(after.bucketSpace)}: every enrolled visitor gets a new bucket`);
  if (before.start !== after.start) notes.push(`start ${before.start} -> ${after.start}`);
  if (before.end !== after.end) notes.push(`end ${before.end} -> ${after.end}`);
  if (before.status !== after.status) notes.push(`status ${before.status} -> ${after.status}`);
  if (before.cacheSplit !== after.cacheSplit) notes.push(`cache_split ${before.cacheSplit} -> ${after.cacheSplit}`);
  if (before.eligibility !== after.eligibility) notes.push(`eligibility ${ruleText(before.eligibility)} -> ${ruleText(after.eligibility)}: visitors may become (in)eligible`);
  const oldRules = before.bands.slice(1).map((b) => b.rule);
  const newRules = after.bands.slice(1).map((b) => b.rule);
  const common = newRules.filter((r) => oldRules.includes(r));
  if (common.join("\u0000") !== oldRules.filter((r) => newRules.includes(r)).join("\u0000")) {
    notes.push("allocation order changed: a visitor matching several rules may now get another allocation");
  }
  const defaultOf = (e: ExperimentMap) => e.bands[0]!;
  const rules = [null, ...new Set([...newRules, ...oldRules])];
  const bands = rules.map((rule): BandDiff => {
    const b = before.bands.find((x) => x.rule === rule);
    const a = after.bands.find((x) => x.rule === rule);
    return diffBand(rule, b ?? defaultOf(before), a ?? defaultOf(after), b === undefined ? "added" : a === undefined ? "removed" : "same", rebucketed);
  });
  const reshuffled = Math.max(0, ...bands.map((b) => b.reshuffled));
  const rangesChanged = bands.some((b) => b.ruleChange !== "same" || b.groups.some((g) => g.kind !== "same"));
  const kind = notes.length > 0 || rangesChanged ? "changed" : "unchanged";
  return { name, kind, before, after, bands, notes, rebucketed, reshuffled, colours };
}

/** The bucket-by-bucket change from one band to another (a sweep over both boundaries). */
export function diffBand(rule: string | null, before: Band, after: Band, ruleChange: BandDiff["ruleChange"] = "same", rebucketed = false): BandDiff {
  const cuts = new Set<number>([0, BUCKETS]);
  for (const s of [...before.segments, ...after.segments]) {
    cuts.add(s.first);
    cuts.add(s.last + 1);
  }
  const points = [...cuts].sort((x, y) => x - y);
  const segments: ChangeSegment[] = [];
  let reshuffled = 0;
  let enrolled = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const first = points[i]!, last = points[i + 1]! - 1;
    const b = groupAt(before, first), a = groupAt(after, first);
    // A new bucket space re-draws every visitor's bucket: whoever was enrolled is moved.
    const kind: ChangeKind =
      b !== null && (rebucketed || a !== b) ? (a === null ? "dropped" : "reshuffled") : b === null && a !== null ? "enrolled" : "same";
    if (kind === "reshuffled" || kind === "dropped") reshuffled += last - first + 1;
    if (kind === "enrolled") enrolled += last - first + 1;
    const prev = segments.at(-1);
    if (prev && prev.kind === kind && prev.before === b && prev.after === a) {
      segments[segments.length - 1] = changeSegment(prev.first, last, b, a, kind);
    } else {
      segments.push(changeSegment(first, last, b, a, kind));
    }
  }
  return { rule, before, after, ruleChange, groups: groupChanges(before, after), segments, reshuffled, enrolled };
}

function changeSegment(first: number, last: number, before: string | null, after: string | null, kind: ChangeKind): ChangeSegment {
  return { first, last, buckets: last - first + 1, percent: bucketPercent(last - first + 1), before, after, kind };
}

function groupAt(band: Band, bucket: number): string | null {
  for (const s of band.segments) if (s.first <= bucket && bucket <= s.last) return s.group;
  return null;
}

function groupChanges(before: Band, after: Band): GroupChange[] {
  const range = (band: Band, g: string): Range | null => {
    const s = band.segments.find((x) => x.group === g);
    return s === undefined ? null : [s.first, s.last];
  };
  const names = [...new Set([...after.segments, ...before.segments].flatMap((s) => (s.group === null ? [] : [s.group])))];
  return names.map((group): GroupChange => {
    const b = range(before, group), a = range(after, group);
    const size = (r: Range | null) => (r === null ? 0 : r[1] - r[0] + 1);
    let kind: GroupChangeKind;
    if (b === null) kind = "added";
    else if (a === null) kind = "removed";
    else if (b[0] === a[0] && b[1] === a[1]) kind = "same";
    else if (a[0] <= b[0] && b[1] <= a[1]) kind = "widened";
    else if (b[0] <= a[0] && a[1] <= b[1]) kind = "narrowed";
    else kind = "moved";
    return { group, before: b, after: a, kind, delta: size(a) - size(b) };
  });
}

function mergeColours(first: ExperimentMap | null, second: ExperimentMap | null): Record<string, number> {
  const colours: Record<string, number> = { ...first?.colours };
  let next = Object.keys(colours).length;
  for (const g of Object.keys(second?.colours ?? {})) if (!Object.hasOwn(colours, g)) colours[g] = next++ % PALETTE_SIZE;
  return colours;
}

function ruleText(rule: string | null): string {
  return rule === null ? "(none)" : JSON.stringify(rule);
}

/** The diff as text lines, for the terminal (config:check --against without --html). */
export function formatDiff(diff: MapDiff, against: string): string {
  const lines: string[] = [`changes against ${against}: ${diff.changed} experiment${diff.changed === 1 ? "" : "s"} on a host changed`];
  for (const host of diff.hosts) {
    const changed = host.experiments.filter((e) => e.kind !== "unchanged");
    if (changed.length === 0) continue;
    lines.push("", `${host.host}:`);
    for (const e of changed) {
      lines.push(`  ${e.name}: ${e.kind}${e.reshuffled > 0 ? `  RESHUFFLES ${e.reshuffled} bucket${e.reshuffled === 1 ? "" : "s"} (${bucketPercent(e.reshuffled)})` : ""}`);
      for (const n of e.notes) lines.push(`    ${n}`);
      for (const b of e.bands) {
        const label = b.rule === null ? "" : `[${b.ruleChange === "same" ? "" : `${b.ruleChange} `}allocation ${JSON.stringify(b.rule)}] `;
        for (const g of b.groups) {
          if (g.kind === "same") continue;
          const delta = g.delta === 0 ? "" : ` (${g.delta > 0 ? "+" : ""}${g.delta} buckets)`;
          lines.push(`    ${label}${g.group} ${rangeText(g.before)} -> ${rangeText(g.after)} ${g.kind}${delta}`);
        }
        for (const s of b.segments) {
          if (s.kind !== "reshuffled" && s.kind !== "dropped") continue;
          lines.push(`    ${label}! buckets [${s.first}, ${s.last}] (${s.percent}): ${s.before} -> ${s.after ?? "not enrolled"}`);
        }
      }
    }
  }
  if (diff.reshuffling.length > 0) lines.push("", `warning: reshuffles visitors already enrolled: ${diff.reshuffling.join(", ")}`);
  return lines.join("\n") + "\n";
}

function rangeText(r: Range | null): string {
  return r === null ? "(none)" : `[${r[0]}, ${r[1]}]`;
}
