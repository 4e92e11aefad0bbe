import type { TokenFailure } from "../src/token.js";

/**
 * Per-isolate counters, shown on the status endpoint (and written to Analytics Engine
 * when bound, see metrics.ts). Per isolate means they reset with the isolate; they show
 * rates and ratios, not site-wide totals.
 */
export const counters = {
  requests: 0,
  enrolledRequests: 0,
  unenrolledRequests: 0,
  minted: { absent: 0, length: 0, encoding: 0, version: 0, "unknown-tag": 0, "bad-mac": 0 } satisfies Record<TokenFailure, number>,
  spoofedHeaderRemoved: 0,
  /** Pairs left out of the page header because their group is "0", which MediaWiki cannot receive (contract §4). */
  withheldGroupZero: 0,
  tooManyExperiments: 0,
  events: { forwarded: 0, noCookie: 0, noExperiments: 0, notEnrolled: 0 },
  /** Split cache: hit, miss (looked up, not found), pass (hit-for-pass: lookup skipped), stored. */
  cache: { hit: 0, miss: 0, pass: 0, stored: 0 },
  config: { loads: 0, loadFailures: 0, rejected: 0 },
  passThrough: { killSwitch: 0, noKeyRing: 0, noConfig: 0, enrollmentError: 0 },
  originErrors: 0,
};

export type Counters = typeof counters;
