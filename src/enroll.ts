import type { CompiledConfig, CompiledExperiment } from "./config-compile.js";
import { bucketOf, deriveSubject, visitorKey } from "./subject.js";
import type { Identity } from "./token.js";

/**
 * At most this many live experiments are evaluated for one request (in config order);
 * the rest are skipped and reported, so a runaway config cannot blow up header sizes or
 * request CPU. 128 pairs of maximal names stay under the 16 KB header limits of common
 * origins; realistic names give a few KB.
 */
export const MAX_LIVE_EXPERIMENTS = 128;

/** The enrollments of one request, in config order. */
export interface Enrollments {
  readonly experiments: CompiledExperiment[];
  /** Group index into each experiment's `groups`/`pairs`, aligned with `experiments`. */
  readonly groups: number[];
  /** Subject words (4 per slot of the host plan), complete only when asked for. */
  readonly subjects: Uint32Array;
  /** Slot of each enrollment into `subjects` (×4), aligned with `experiments`. */
  readonly slots: number[];
  /** Live experiments on the host (enrolled or not), capped at MAX_LIVE_EXPERIMENTS. */
  readonly live: number;
  /** Live experiments beyond the cap that were not evaluated. */
  readonly skipped: number;
}

const NONE: Enrollments = Object.freeze({
  experiments: [],
  groups: [],
  subjects: new Uint32Array(0),
  slots: [],
  live: 0,
  skipped: 0,
}) as Enrollments;

/**
 * Pure enrollment: which group of each live experiment on `host` this identity is in.
 * `withSubjects` computes full subject IDs (the event intake needs them; pages do not).
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
): Enrollments {
  const plan = config.hosts.get(host);
  if (!plan) return NONE;
  const all = plan.experiments;
  const planSlots = plan.slots;
  let kv: Uint32Array | null = null;
  let subjects: Uint32Array | null = null;
  let done: Uint8Array | null = null;
  const experiments: CompiledExperiment[] = [];
  const groups: number[] = [];
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
    const lo = exp.lo, hi = exp.hi;
    for (let g = 0; g < lo.length; g++) {
      if (bucket < lo[g]!) break;
      if (bucket <= hi[g]!) {
        experiments.push(exp);
        groups.push(g);
        slots.push(slot);
        break;
      }
    }
  }
  // Nothing live (skipped > 0 implies live > 0): the shared empty result, no allocation.
  if (live === 0) return NONE;
  return { experiments, groups, subjects: subjects ?? new Uint32Array(0), slots, live, skipped };
}
