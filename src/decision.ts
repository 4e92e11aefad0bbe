import { botReason, type BotPolicy } from "./bots.js";
import type { CompiledConfig, HostPlan } from "./config-compile.js";
import { enroll, type EnrollmentStep, type Enrollments } from "./enroll.js";
import { encodeAllPairs, encodeEventsHeader, encodePageHeader, withheldFromPage } from "./enrollment-header.js";
import type { KeyRing } from "./keyring.js";
import { previewParam, previewRedirect } from "./preview-link.js";
import { verifyPreviewToken, type PreviewFailure } from "./preview-token.js";
import { buildContext, type RequestContext, type RequestFacts } from "./request-context.js";
import { CLEAR_PREVIEW_COOKIE, serializePreviewCookie, serializeUniqCookie } from "./set-cookie.js";
import { mintToken, verifyToken, type Identity, type TokenFailure } from "./token.js";

/**
 * The enrollment decision for one request, in one pure, synchronous function: who the
 * visitor is (verify or mint), whether anything is enrolled at all (kill switch, key ring,
 * config, bots), which group of each live experiment (rules, ranges), and what goes where
 * (the origin's header, Server-Timing, Set-Cookie, a 204 at the event intake). The worker,
 * the explain tool, the tests and the bench all call this, so none of them can drift.
 * Contract §2–§4, §8, §9.
 */

/** What previews need (contract §10); null when no preview key is configured (the feature is off). */
export interface PreviewInput {
  /** The `PREVIEW_KEYS` ring. */
  readonly keyRing: KeyRing;
  /** Every `WMF-Preview` value the request presented, in order. */
  readonly cookies: readonly string[];
  /** The request URL's parts, for finding `?wmf-preview=` and redirecting without it. */
  readonly protocol: string;
  readonly authority: string;
  readonly pathname: string;
  readonly search: string;
}

/** Everything the decision needs; the glue reads it off the request and the platform. */
export interface DecisionInput {
  readonly nowMs: number;
  /** Fills a buffer from a CSPRNG (only called when a cookie is minted). */
  readonly random: (buf: Uint8Array) => void;
  /** null: the key ring is missing or malformed. */
  readonly keyRing: KeyRing | null;
  /** null: no valid config yet. */
  readonly config: CompiledConfig | null;
  /** The kill switch (KV or deploy-time var). */
  readonly killed: boolean;
  /** Normalised request host (contract §7). */
  readonly host: string;
  /** The request is for the event intake path. */
  readonly isEvents: boolean;
  /** Every `WMF-Uniq` value the request presented, in order. */
  readonly presented: readonly string[];
  readonly botPolicy: BotPolicy;
  /** Session cookie names, for `loggedIn` (contract §8). */
  readonly sessionCookie: RegExp;
  /** The cookie `Domain` for a host (null: host-only); called only when minting. */
  readonly cookieDomain: (host: string) => string | null;
  /** The raw request facts; called at most once, only when a bot check or a rule needs them. */
  readonly facts: () => RequestFacts;
  readonly preview: PreviewInput | null;
  /** When given, receives one step per live experiment (the explain tool). */
  readonly trace?: EnrollmentStep[];
}

/** What happened, one value per request: counters and metrics switch on it. */
export type Outcome =
  | "enrolled"
  | "not-enrolled"
  | "no-live-experiments"
  | "bot:verified-bot"
  | "bot:crawler"
  | "preview-redirect"
  | "pass-through:kill-switch"
  | "pass-through:no-key-ring"
  | "pass-through:no-config"
  | "events-forwarded"
  | "events-204:kill-switch"
  | "events-204:no-key-ring"
  | "events-204:no-cookie"
  | "events-204:no-experiments"
  | "events-204:not-enrolled";

/** The decision: the outcome and exactly what the glue must send where. */
export interface Decision {
  readonly outcome: Outcome;
  /** `X-Experiment-Enrollments` for the origin ("" = none). */
  readonly enrollments: string;
  /** `exp=grp;` pairs for Server-Timing ("" = none). */
  readonly timingPairs: string;
  /** The `Set-Cookie` line of a minted token, or null. */
  readonly setCookie: string | null;
  /** Why a cookie was minted, or null when none was. */
  readonly minted: TokenFailure | null;
  /** The host has live experiments: GET/HEAD go through the split cache. */
  readonly split: boolean;
  /** Answer 204 at the edge (event intake with nothing to attach). */
  readonly answer204: boolean;
  /** Experiments enrolled. */
  readonly enrolled: number;
  /** Live experiments beyond the per-request cap, not evaluated. */
  readonly skipped: number;
  /** The verified or minted visitor (null when there is none). */
  readonly identity: Identity | null;
  /** The enrollments themselves (tools and tests). */
  readonly enrollment: Enrollments | null;
  /** Answer 302 to this absolute URL at the edge (a preview link was followed). */
  readonly redirect: string | null;
  /** A `Set-Cookie` line for `WMF-Preview`: set (a verified link) or cleared (a bad token or cookie). */
  readonly previewCookie: string | null;
  /** Why a preview token or cookie was refused, or null. */
  readonly previewRejected: PreviewFailure | null;
  /** Experiments forced by a verified preview cookie. */
  readonly forced: number;
  /** Cache-split enrollments left out of the page header for their group `0` (contract §4). */
  readonly withheld: number;
}

// Every return names its own outcome, so the defaults have none.
const BASE: Omit<Decision, "outcome"> = Object.freeze({
  enrollments: "",
  timingPairs: "",
  setCookie: null,
  minted: null,
  split: false,
  answer204: false,
  enrolled: 0,
  skipped: 0,
  identity: null,
  enrollment: null,
  redirect: null,
  previewCookie: null,
  previewRejected: null,
  forced: 0,
  withheld: 0,
});

/** Decides one request. Pure apart from `random`; the glue's one failure stage catches what it throws. */
export function decide(input: DecisionInput): Decision {
  const { isEvents } = input;
  if (input.killed) return isEvents ? { ...BASE, outcome: "events-204:kill-switch", answer204: true } : { ...BASE, outcome: "pass-through:kill-switch" };
  const ring = input.keyRing;
  if (ring === null) return isEvents ? { ...BASE, outcome: "events-204:no-key-ring", answer204: true } : { ...BASE, outcome: "pass-through:no-key-ring" };

  // The first presented WMF-Uniq that verifies wins; the first failure names the reason.
  let identity: Identity | null = null;
  let failure: TokenFailure = "absent";
  const presented = input.presented;
  for (let i = 0; i < presented.length; i++) {
    const r = verifyToken(presented[i], ring);
    if (r.ok) {
      identity = r.identity;
      break;
    }
    if (i === 0) failure = r.reason;
  }

  // Previews (contract §10): a link is answered with a redirect; a cookie forces groups.
  let forced: ReadonlyMap<string, string> | null = null;
  let previewCookie: string | null = null;
  let previewRejected: PreviewFailure | null = null;
  const preview = input.preview;
  if (preview !== null) {
    const link = previewParam(preview.search);
    if (link !== null) {
      const r = verifyPreviewToken(link, preview.keyRing, input.host, input.nowMs);
      return {
        ...BASE,
        outcome: "preview-redirect",
        redirect: previewRedirect(preview.protocol, preview.authority, preview.pathname, preview.search),
        previewCookie: r.ok ? serializePreviewCookie(link, r.preview.expiresAtMs) : CLEAR_PREVIEW_COOKIE,
        previewRejected: r.ok ? null : r.reason,
      };
    }
    for (let i = 0; i < preview.cookies.length; i++) {
      const r = verifyPreviewToken(preview.cookies[i]!, preview.keyRing, input.host, input.nowMs);
      if (r.ok) {
        forced = r.preview.pairs;
        break;
      }
      if (i === 0) previewRejected = r.reason;
    }
    if (forced === null && previewRejected !== null) previewCookie = CLEAR_PREVIEW_COOKIE;
    else previewRejected = null;
  }
  const previewed = { previewCookie, previewRejected };

  // Request facts and context, computed at most once and only when needed.
  let facts: RequestFacts | null = null;
  let context: RequestContext | null = null;
  const factsOnce = (): RequestFacts => (facts ??= input.facts());
  const contextOnce = (): RequestContext => (context ??= buildContext(input.host, factsOnce(), input.sessionCookie));

  const config = input.config;
  const plan = config?.hosts.get(input.host);
  if (isEvents) {
    if (identity === null) return { ...BASE, ...previewed, outcome: "events-204:no-cookie", answer204: true };
    if (config === null || plan === undefined) return { ...BASE, ...previewed, outcome: "events-204:no-experiments", answer204: true, identity };
    const e = enroll(identity, input.host, input.nowMs, config, true, contextOnce, input.trace, forced);
    const base = { ...BASE, ...previewed, identity, skipped: e.skipped, enrollment: e };
    if (e.live === 0) return { ...base, outcome: "events-204:no-experiments", answer204: true };
    const value = encodeEventsHeader(e);
    if (value === "") return { ...base, outcome: "events-204:not-enrolled", answer204: true };
    return { ...base, outcome: "events-forwarded", enrollments: value, enrolled: e.experiments.length };
  }

  // A visitor without a verified cookie is checked for a bot once (contract §9); a
  // returning visitor, or a tester with a verified preview, never pays for it.
  if (identity === null && forced === null && input.botPolicy === "exclude") {
    const f = factsOnce();
    const bot = botReason(f.verifiedBot, f.userAgent);
    if (bot !== null) return { ...BASE, ...previewed, outcome: `bot:${bot}`, split: plan !== undefined && hasLive(plan, input.nowMs) };
  }

  let setCookie: string | null = null;
  let minted: TokenFailure | null = null;
  if (identity === null) {
    const token = mintToken(ring, input.nowMs, input.random);
    identity = token.identity;
    minted = failure;
    setCookie = serializeUniqCookie(token.value, input.cookieDomain(input.host), input.nowMs);
  }
  if (config === null) return { ...BASE, ...previewed, outcome: "pass-through:no-config", setCookie, minted, identity };
  const e = enroll(identity, input.host, input.nowMs, config, false, contextOnce, input.trace, forced);
  const enrolled = e.experiments.length;
  return {
    outcome: enrolled > 0 ? "enrolled" : e.live > 0 ? "not-enrolled" : "no-live-experiments",
    enrollments: encodePageHeader(e),
    timingPairs: encodeAllPairs(e),
    setCookie,
    minted,
    split: e.live > 0,
    answer204: false,
    enrolled,
    skipped: e.skipped,
    identity,
    enrollment: e,
    redirect: null,
    ...previewed,
    forced: e.forced,
    withheld: withheldFromPage(e),
  };
}

// Whether any experiment on the host is live now (a bot still takes the split cache's
// un-enrolled copy, never the platform cache's).
function hasLive(plan: HostPlan, nowMs: number): boolean {
  for (const exp of plan.experiments) if (nowMs >= exp.startMs && nowMs < exp.endMs) return true;
  return false;
}
