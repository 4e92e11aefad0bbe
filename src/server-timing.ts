import { SERVER_TIMING_NAME } from "./contract.js";

/**
 * The browser's view of its enrollments (contract §4): the JavaScript SDK reads the
 * `WMF-Uniq` entry of the navigation's Server-Timing. The pairs are name-pattern strings
 * (no quotes or backslashes), so they go into the quoted `desc` verbatim.
 */

/** The Server-Timing entry for the given `exp=grp;` pairs. */
export function serverTimingEntry(pairs: string): string {
  return `${SERVER_TIMING_NAME};desc="${pairs}"`;
}

/** Appends our entry to an existing Server-Timing value (the origin's entries stay first). */
export function appendServerTiming(existing: string | null, entry: string): string {
  return existing === null || existing.trim() === "" ? entry : `${existing}, ${entry}`;
}
