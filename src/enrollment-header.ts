import { EXPERIMENT_NAME, GROUP_NAME, WITHHELD_GROUP } from "./contract.js";
import type { Enrollments } from "./enroll.js";
import { subjectIdOf } from "./subject.js";

/**
 * `X-Experiment-Enrollments` (contract §4): `exp=grp;` pairs for pages, `exp=grp/<subject>;`
 * for the event intake. Every pair ends in `;`, no spaces, config order. Names come from a
 * validated config, so every emitted pair parses under the wiki's rules.
 */

/**
 * The page-header pair of a group, prebuilt at compile time: `exp=grp;`, or "" for the
 * withheld group, which is left out of the page header only (contract §4). Server-Timing
 * (read by the browser SDK) and the event intake (whose pairs carry `/<subject>`, never a
 * bare "0") keep it.
 */
export function pageHeaderPair(experiment: string, group: string): string {
  return group === WITHHELD_GROUP ? "" : `${experiment}=${group};`;
}

/**
 * The page header value: cache-split experiments only, the withheld group left out; ""
 * when there are none (omit the header). Fast: concatenates prebuilt pairs.
 */
export function encodePageHeader(e: Enrollments): string {
  let out = "";
  for (let i = 0; i < e.experiments.length; i++) {
    if (e.experiments[i]!.cacheSplit) out += e.tables[i]!.pagePairs[e.groups[i]!]!;
  }
  return out;
}

/**
 * How many cache-split enrollments encodePageHeader left out because their group is the
 * withheld one: the worker counts them, so an operator sees an experiment that MediaWiki
 * can never receive. Fast: one integer compare per enrollment against the compiled index.
 */
export function withheldFromPage(e: Enrollments): number {
  let n = 0;
  const experiments = e.experiments, tables = e.tables, groups = e.groups;
  for (let i = 0; i < experiments.length; i++) if (experiments[i]!.cacheSplit && tables[i]!.withheldGroup === groups[i]) n++;
  return n;
}

/**
 * The event-intake value: every enrolled experiment (cache-split or not, since events are
 * attributed for all of them) with its subject ID. Needs enroll(..., withSubjects = true).
 */
export function encodeEventsHeader(e: Enrollments): string {
  let out = "";
  for (let i = 0; i < e.experiments.length; i++) {
    out += e.tables[i]!.eventPrefixes[e.groups[i]!]! + subjectIdOf(e.subjects, e.slots[i]! * 4) + ";";
  }
  return out;
}

/** Every enrolled pair, for Server-Timing (cache-split or not). */
export function encodeAllPairs(e: Enrollments): string {
  let out = "";
  for (let i = 0; i < e.experiments.length; i++) out += e.tables[i]!.pairs[e.groups[i]!]!;
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
 * Parses a value the way its reader does: all or nothing. Any malformed pair (or a missing
 * final `;`) drops every enrollment, so a null here means the reader would see none. The
 * `mediawiki` reader (the origin's page header) also voids the value on a bare group `0`
 * (WITHHELD_GROUP); pairs with a subject (`exp=0/<subject>;`, the event intake's form) are
 * not bare. The `sdk` reader (Server-Timing in the browser) takes group `0` as any other.
 */
export function decodeEnrollmentHeader(value: string, reader: "mediawiki" | "sdk" = "mediawiki"): EnrollmentPair[] | null {
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
    } else if (group === WITHHELD_GROUP && reader === "mediawiki") {
      return null;
    }
    if (!EXPERIMENT_NAME.test(experiment) || !GROUP_NAME.test(group)) return null;
    pairs.push(subject === undefined ? { experiment, group } : { experiment, group, subject });
  }
  return pairs;
}
