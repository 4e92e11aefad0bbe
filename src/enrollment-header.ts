import { EXPERIMENT_NAME, GROUP_NAME } from "./contract.js";
import type { Enrollments } from "./enroll.js";
import { subjectIdOf } from "./subject.js";

/**
 * `X-Experiment-Enrollments` (contract §4): `exp=grp;` pairs for pages, `exp=grp/<subject>;`
 * for the event intake. Every pair ends in `;`, no spaces, config order. Names come from a
 * validated config, so every emitted pair parses under the wiki's rules.
 */

/** The page header value: cache-split experiments only; "" when there are none (omit it). */
export function encodePageHeader(e: Enrollments): string {
  let out = "";
  for (let i = 0; i < e.experiments.length; i++) {
    const exp = e.experiments[i]!;
    if (exp.cacheSplit) out += exp.pairs[e.groups[i]!]!;
  }
  return out;
}

/**
 * The event-intake value: every enrolled experiment (cache-split or not, since events are
 * attributed for all of them) with its subject ID. Needs enroll(..., withSubjects = true).
 */
export function encodeEventsHeader(e: Enrollments): string {
  let out = "";
  for (let i = 0; i < e.experiments.length; i++) {
    out += e.experiments[i]!.eventPrefixes[e.groups[i]!]! + subjectIdOf(e.subjects, e.slots[i]! * 4) + ";";
  }
  return out;
}

/** Every enrolled pair, for Server-Timing (cache-split or not). */
export function encodeAllPairs(e: Enrollments): string {
  let out = "";
  for (let i = 0; i < e.experiments.length; i++) out += e.experiments[i]!.pairs[e.groups[i]!]!;
  return out;
}

/** One decoded pair. */
export interface EnrollmentPair {
  readonly experiment: string;
  readonly group: string;
  readonly subject?: string;
}

const SUBJECT = /^[A-Za-z0-9_-]{22}$/;

/**
 * Parses a header value the way the wiki does: all or nothing. Any malformed pair (or a
 * missing final `;`) drops every enrollment, so a null here means MediaWiki would see none.
 */
export function decodeEnrollmentHeader(value: string): EnrollmentPair[] | null {
  if (value === "") return [];
  if (!value.endsWith(";")) return null;
  const pairs: EnrollmentPair[] = [];
  for (const part of value.slice(0, -1).split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) return null;
    const experiment = part.slice(0, eq);
    let group = part.slice(eq + 1);
    let subject: string | undefined;
    const slash = group.indexOf("/");
    if (slash >= 0) {
      subject = group.slice(slash + 1);
      group = group.slice(0, slash);
      if (!SUBJECT.test(subject)) return null;
    }
    if (!EXPERIMENT_NAME.test(experiment) || !GROUP_NAME.test(group)) return null;
    pairs.push(subject === undefined ? { experiment, group } : { experiment, group, subject });
  }
  return pairs;
}
