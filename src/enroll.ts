import { MAX_LIVE_EXPERIMENTS } from "./contract.js";
import type { CompiledConfig, CompiledExperiment, RangeTable } from "./config-compile.js";
import type { RequestContext } from "./request-context.js";
import { bucketOf, deriveSubject, visitorKey } from "./subject.js";
import type { Identity } from "./token.js";


/** The enrollments of one request, in config order. */
export interface Enrollments {
  readonly experiments: CompiledExperiment[];
  /** The range table each group was taken from (the experiment's default, or an allocation's). */
  readonly tables: RangeTable[];
  /** Group index into each table's `groups`/`pairs`, aligned with `experiments`. */
  readonly groups: number[];
  /** Subject words (4 per slot of the host plan), complete only when asked for. */
  readonly subjects: Uint32Array;
  /** Slot of each enrollment into `subjects` (×4), aligned with `experiments`. */
  readonly slots: number[];
  /** Live experiments on the host (enrolled or not), capped at MAX_LIVE_EXPERIMENTS. */
  readonly live: number;
  /** Live experiments beyond the cap that were not evaluated. */
  readonly skipped: number;
  /** Enrollments forced by a preview (contract §10). */
  readonly forced: number;
}

const NONE: Enrollments = Object.freeze({
  experiments: [],
  tables: [],
  groups: [],
  subjects: new Uint32Array(0),
  slots: [],
  live: 0,
  skipped: 0,
  forced: 0,
}) as Enrollments;

// For callers whose configs have no rules (unit tests of enrollment alone); decide() always
// passes the real context.
function noContext(): RequestContext {
  throw new Error("an experiment has a rule, but enroll() was given no request context");
}

/** Why each live experiment came out as it did, for the explain tool (contract §8). */
export interface EnrollmentStep {
  readonly experiment: CompiledExperiment;
  /** The eligibility rule's result (true when there is none). */
  readonly eligible: boolean;
  /** The allocation used: its index, or -1 for the domain's own groups (-1 when not eligible). */
  readonly allocation: number;
  /** -1 when not eligible (the bucket is not looked at). */
  readonly bucket: number;
  /** The group, or null when the bucket is in no range. */
  readonly group: string | null;
  /** Forced by a preview (contract §10): rules and ranges were not looked at. */
  readonly forced?: true;
}

/**
 * Pure enrollment: which group of each live experiment on `host` this identity is in.
 * `withSubjects` computes full subject IDs (the event intake needs them; pages do not).
 * `context` is called at most once, and only when a live experiment has a rule; subject
 * and bucket never depend on it. `forced` (a verified preview, contract §10) puts each
 * named live experiment that has the named group into it, ignoring rules and ranges, and
 * leaves it out when subjects are asked for (the event intake). `trace`, when given,
 * receives one step per live experiment.
 *
 * Fast path: one SipHash for the visitor key, then one single-block SipHash per distinct
 * selector (shared selectors computed once), half-finalised unless subjects are needed.
 */
export function enroll(
  identity: Identity,
  host: string,
  nowMs: number,
  config: CompiledConfig,
  withSubjects = false,
  context: () => RequestContext = noContext,
  trace?: EnrollmentStep[],
  forced: ReadonlyMap<string, string> | null = null,
): Enrollments {
  const plan = config.hosts.get(host);
  if (!plan) return NONE;
  const all = plan.experiments;
  const planSlots = plan.slots;
  let kv: Uint32Array | null = null;
  let subjects: Uint32Array | null = null;
  let done: Uint8Array | null = null;
  const experiments: CompiledExperiment[] = [];
  const tables: RangeTable[] = [];
  const groups: number[] = [];
  let ctx: RequestContext | null = null;
  let forcedCount = 0;
  const slots: number[] = [];
  let live = 0;
  let skipped = 0;
  for (let i = 0; i < all.length; i++) {
    const exp = all[i]!;
    if (nowMs < exp.startMs || nowMs >= exp.endMs) continue;
    if (live === MAX_LIVE_EXPERIMENTS) {
      skipped++;
      continue;
    }
    live++;
    if (forced !== null) {
      const wanted = forced.get(exp.name);
      const hit = wanted === undefined ? null : forcedGroup(exp, wanted);
      if (hit !== null) {
        if (withSubjects) continue;
        experiments.push(exp);
        tables.push(hit.table);
        groups.push(hit.index);
        slots.push(planSlots[i]!);
        forcedCount++;
        trace?.push({ experiment: exp, eligible: true, allocation: hit.allocation, bucket: -1, group: wanted!, forced: true });
        continue;
      }
    }
    let table: RangeTable = exp;
    let allocation = -1;
    if (exp.usesContext) {
      ctx ??= context();
      if (exp.eligibility !== null && !exp.eligibility.test(ctx)) {
        trace?.push({ experiment: exp, eligible: false, allocation: -1, bucket: -1, group: null });
        continue;
      }
      const allocations = exp.allocations;
      for (let a = 0; a < allocations.length; a++) {
        if (allocations[a]!.rule.test(ctx)) {
          table = allocations[a]!.table;
          allocation = a;
          break;
        }
      }
    }
    if (kv === null) {
      kv = visitorKey(identity);
      subjects = new Uint32Array(plan.fingerprints.length * 4);
      done = new Uint8Array(plan.fingerprints.length);
    }
    const slot = planSlots[i]!;
    const at = slot * 4;
    if (done![slot] === 0) {
      deriveSubject(kv, plan.fingerprints[slot]!, subjects!, at, withSubjects);
      done![slot] = 1;
    }
    const bucket = bucketOf(subjects!, at);
    const lo = table.lo, hi = table.hi;
    let found = -1;
    for (let g = 0; g < lo.length; g++) {
      if (bucket < lo[g]!) break;
      if (bucket <= hi[g]!) {
        found = g;
        break;
      }
    }
    if (found >= 0) {
      experiments.push(exp);
      tables.push(table);
      groups.push(found);
      slots.push(slot);
    }
    trace?.push({ experiment: exp, eligible: true, allocation, bucket, group: found >= 0 ? table.groups[found]! : null });
  }
  // Nothing skipped either: a skip needs `live` at the cap first.
  if (live === 0) return NONE;
  return { experiments, tables, groups, subjects: subjects ?? new Uint32Array(0), slots, live, skipped, forced: forcedCount };
}

// The table and index of a group by name: the domain's own groups first, then each allocation's.
function forcedGroup(exp: CompiledExperiment, group: string): { table: RangeTable; index: number; allocation: number } | null {
  const own = exp.groups.indexOf(group);
  if (own >= 0) return { table: exp, index: own, allocation: -1 };
  for (let a = 0; a < exp.allocations.length; a++) {
    const table = exp.allocations[a]!.table;
    const index = table.groups.indexOf(group);
    if (index >= 0) return { table, index, allocation: a };
  }
  return null;
}
