import type { Decision } from "../src/decision.js";
import type { PreviewFailure } from "../src/preview-token.js";
import type { TokenFailure } from "../src/token.js";
import { logOnce } from "./log.js";

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
  /** contract §9: requests kept out of experiments as bots, by reason. */
  bots: { "verified-bot": 0, crawler: 0 },
  /** contract §10: links followed (302), requests with forced groups, tokens or cookies refused by reason. */
  previews: { redirects: 0, forcedRequests: 0, rejected: { length: 0, encoding: 0, version: 0, "unknown-tag": 0, "bad-mac": 0, malformed: 0, expired: 0, "too-long-lived": 0, "other-host": 0 } satisfies Record<PreviewFailure, number> },
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

/**
 * Counts one decision, and logs what an operator must hear about (rate-limited): the one
 * place where outcomes become counters, so a new outcome cannot go uncounted.
 */
export function countDecision(d: Decision, host: string, nowMs: number, version: string | null, keyRingError: string | null): void {
  if (d.minted !== null) counters.minted[d.minted]++;
  if (d.previewRejected !== null) counters.previews.rejected[d.previewRejected]++;
  if (d.forced > 0) counters.previews.forcedRequests++;
  counters.withheldGroupZero += d.withheld;
  if (d.skipped > 0) {
    counters.tooManyExperiments++;
    logOnce(`too-many:${host}`, nowMs, "warn", "enrollment.too_many_experiments", { host, skipped: d.skipped, version });
  }
  switch (d.outcome) {
    case "enrolled":
      counters.enrolledRequests++;
      return;
    case "not-enrolled":
    case "no-live-experiments":
      counters.unenrolledRequests++;
      return;
    case "bot:verified-bot":
      counters.bots["verified-bot"]++;
      return;
    case "bot:crawler":
      counters.bots.crawler++;
      return;
    case "pass-through:kill-switch":
    case "events-204:kill-switch":
      counters.passThrough.killSwitch++;
      return;
    case "pass-through:no-key-ring":
    case "events-204:no-key-ring":
      counters.passThrough.noKeyRing++;
      logOnce("no-key-ring", nowMs, "error", "enrollment.no_key_ring", { error: keyRingError, effect: "nothing minted or enrolled" });
      return;
    case "pass-through:no-config":
      counters.passThrough.noConfig++;
      return;
    case "events-forwarded":
      counters.events.forwarded++;
      return;
    case "events-204:no-cookie":
      counters.events.noCookie++;
      return;
    case "events-204:no-experiments":
      counters.events.noExperiments++;
      return;
    case "events-204:not-enrolled":
      counters.events.notEnrolled++;
      return;
    case "preview-redirect":
      counters.previews.redirects++;
      return;
  }
}
