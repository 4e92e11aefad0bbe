/**
 * When a self-hosted node polls (contract §11): every minute at an offset within the minute
 * that is random per node and fixed for its life, so a fleet started together (or from one
 * generated config) does not hit the config API in step. Pure, so it is tested in Node.
 */

export const POLL_INTERVAL_MS = 60_000;
/** An alarm due sooner than this is moved on a minute: never two polls back to back. */
const MIN_GAP_MS = 1_000;

/** A node's offset within the minute, in ms: 0 <= splay < 60,000. */
export function randomSplayMs(random: () => number = Math.random): number {
  return Math.min(POLL_INTERVAL_MS - 1, Math.floor(random() * POLL_INTERVAL_MS));
}

/** The next poll after `now`: the first minute boundary plus `splayMs` at least MIN_GAP_MS away. */
export function nextPollAt(now: number, splayMs: number): number {
  let at = Math.floor(now / POLL_INTERVAL_MS) * POLL_INTERVAL_MS + splayMs;
  while (at < now + MIN_GAP_MS) at += POLL_INTERVAL_MS;
  return at;
}
