import { botReason, type BotPolicy, type BotReason } from "../src/bots.js";
import { slotOf, type CompiledConfig, type CompiledExperiment, type RangeTable } from "../src/config-compile.js";
import { DEFAULT_EVENTS_PATH, ENROLLMENTS_HEADER, UNIQ_COOKIE } from "../src/contract.js";
import { decodeBase64url } from "../src/base64url.js";
import { decide, type Decision, type DecisionInput, type Outcome } from "../src/decision.js";
import type { EnrollmentStep } from "../src/enroll.js";
import { domainRefusal, registrableDomain } from "../src/host.js";
import type { KeyRing } from "../src/keyring.js";
import { buildContext, DEFAULT_SESSION_COOKIE_PATTERN, type RequestContext, type RequestFacts } from "../src/request-context.js";
import { serverTimingEntry } from "../src/server-timing.js";
import { bucketOf, deriveSubject, subjectIdOf, visitorKey } from "../src/subject.js";
import { TOKEN_LENGTH, TOKEN_VERSION, verifyToken, type Identity, type TokenFailure } from "../src/token.js";
import { formatInstant } from "./cli-args.js";
import { experimentStatus, type ExperimentStatus } from "./config-summary.js";
import { cookieValues, describeRequest, type RequestFlags } from "./request-flags.js";

/**
 * "Why am I in this group?": one visitor's request to one host at one moment, answered by
 * the worker's own decision. `decide` (src/decision.ts) runs twice, once for the page
 * request and once for the event intake, with a trace; every outcome, rule result, group
 * and header shown comes from those decisions. What is computed here besides is only for
 * display: why a presented token fails, the context the facts give (buildContext, as
 * decide does) and subject IDs (checked against the trace's buckets). Subject IDs appear
 * because an operator holding the key asked; the worker sends them only to the event intake.
 */

export { cookieValues, DEFAULT_EVENTS_PATH };

/** The verdict on one presented `WMF-Uniq` value. */
export type TokenReport =
  | { readonly ok: true; readonly keyTag: number; readonly mintDate: string; readonly ageDays: number }
  | { readonly ok: false; readonly reason: TokenFailure; readonly detail: string };

/** A targeting rule (contract §8) and its result for this request; null: not evaluated. */
export interface RuleReport {
  readonly source: string;
  readonly result: boolean | null;
}

/** One live experiment on the host and where this visitor lands in it. */
export interface LiveExperimentReport {
  readonly name: string;
  readonly selector: string;
  /** The host is an input of ID derivation too (unique_domain). */
  readonly uniqueDomain: boolean;
  readonly cacheSplit: boolean;
  /** The worker evaluated it for this request (false: a bot, or beyond the cap). */
  readonly evaluated: boolean;
  /** The eligibility rule, or null when the experiment has none. */
  readonly eligibility: RuleReport | null;
  /** This host's allocation rules in order (first true wins; later ones are not evaluated). */
  readonly allocations: readonly RuleReport[];
  /** The allocation whose groups were used, -1 for the domain's groups; absent when not eligible or not evaluated. */
  readonly allocation?: number;
  /** Absent unless the cookie verifies and the experiment is eligible (a fresh ID is random). */
  readonly subjectId?: string;
  readonly bucket?: number;
  /** The group, or null: not enrolled (bucket outside every range). */
  readonly group?: string | null;
  readonly range?: readonly [number, number];
  /** True when the experiment is past the MAX_LIVE_EXPERIMENTS cap and not evaluated. */
  readonly skipped: boolean;
}

export interface OtherExperimentReport {
  readonly name: string;
  readonly status: Exclude<ExperimentStatus, "live">;
  readonly start: string;
  readonly end: string;
}

/** What one request would carry; `value` null means the header is not sent. */
export interface HeaderReport {
  readonly name: string;
  readonly value: string | null;
  readonly note: string;
}

/** The `Domain` of a `WMF-Uniq` the worker mints on the host, as the worker picks it. */
export interface CookieDomainReport {
  /** null: host-only, no `Domain` attribute. */
  readonly domain: string | null;
  readonly source: "COOKIE_DOMAIN" | "public-suffix-list";
  /** Why browsers would refuse the cookie (a COOKIE_DOMAIN the host is not under), or null. */
  readonly refused: string | null;
}

/** The bot check of contract §9, as the page decision ran it. */
export interface BotReport {
  /** The decision checked (a visitor without a verified cookie, BOT_POLICY=exclude). */
  readonly checked: boolean;
  /** Why the request is a bot, or null. */
  readonly reason: BotReason | null;
  readonly note: string;
}

export interface Explanation {
  readonly host: string;
  /** False when no experiment names the host in its domains. */
  readonly hostInConfig: boolean;
  readonly at: string;
  /** The request facts decide was given (page request), and what --context added to them. */
  readonly facts: RequestFacts;
  readonly factNotes: readonly string[];
  /** The context those facts give (what the rules read). */
  readonly context: RequestContext;
  /** The page decision read the facts (a rule or the bot check needed them). */
  readonly contextRead: boolean;
  /** One verdict per presented value, in order (the first that verifies wins). */
  readonly tokens: readonly TokenReport[];
  /** True when a presented value verifies: the visitor keeps their identity. */
  readonly verified: boolean;
  readonly cookieDomain: CookieDomainReport;
  readonly bot: BotReport;
  /** The decisions' outcomes (what the worker counts). */
  readonly outcome: { readonly page: Outcome; readonly events: Outcome };
  /** The page's groups depend on the random ID a first visit is minted (so none are shown). */
  readonly freshId: boolean;
  readonly live: readonly LiveExperimentReport[];
  readonly notLive: readonly OtherExperimentReport[];
  /** Rule results that differ at the event intake (its path is the events path). */
  readonly eventsDiffer: readonly string[];
  /** `withheld`: cache-split pairs left out because their group is "0" (contract §4). */
  readonly page: HeaderReport & { readonly withheld: number };
  readonly events: HeaderReport & { readonly path: string; readonly edge204: boolean };
  readonly serverTiming: HeaderReport;
  readonly setCookie: HeaderReport;
}

export interface ExplainInput {
  readonly ring: KeyRing;
  readonly config: CompiledConfig;
  /** Already normalised (normaliseHost). */
  readonly host: string;
  /** A bare cookie value, or a whole Cookie header (anything with `=` or `;`); absent: no cookie. */
  readonly cookie?: string | undefined;
  readonly nowMs: number;
  readonly eventsPath?: string;
  /** Raw request facts and `--context` (default: a request to "/" with no headers). */
  readonly request?: RequestFlags;
  readonly botPolicy?: BotPolicy;
  readonly sessionCookie?: RegExp;
  /** COOKIE_DOMAIN; absent: the host's registrable domain, as the worker does. */
  readonly cookieDomain?: string | null | undefined;
  /** For a minted cookie (default: the platform CSPRNG). */
  readonly random?: (buf: Uint8Array) => void;
}

/** The verdict on one value, with the precise reason when it fails. */
export function reportToken(value: string | undefined, ring: KeyRing, nowMs: number): { report: TokenReport; identity: Identity | null } {
  const result = verifyToken(value, ring);
  if (result.ok) {
    const day = result.identity.mintDay;
    return {
      report: {
        ok: true,
        keyTag: result.identity.key.tag,
        mintDate: formatInstant(day * 86_400_000).slice(0, 10),
        ageDays: Math.floor(nowMs / 86_400_000) - day,
      },
      identity: result.identity,
    };
  }
  return { report: { ok: false, reason: result.reason, detail: failureDetail(result.reason, value ?? "", ring) }, identity: null };
}

function failureDetail(reason: TokenFailure, value: string, ring: KeyRing): string {
  switch (reason) {
    case "absent":
      return "no WMF-Uniq cookie in the input";
    case "length":
      return `value is ${value.length} characters; a token is exactly ${TOKEN_LENGTH}`;
    case "encoding":
      return "not strict unpadded base64url (quotes, padding, spaces or other characters)";
    case "version":
      return `token version ${decodeBase64url(value)?.[0] ?? "?"}; this worker reads version ${TOKEN_VERSION}`;
    case "unknown-tag":
      return `key tag ${decodeBase64url(value)?.[1] ?? "?"} is not in the key ring (ring tags: ${ring.tags.join(", ")})`;
    case "bad-mac":
      return "MAC does not match: the value was altered, or minted under another key with the same tag";
  }
}

/**
 * Explains one request: the worker's decision for the page and for the event intake.
 * Pure apart from `random` (the cookie a first visit would be minted); throws a UsageError
 * when `--context` contradicts the other request flags.
 */
export function explainRequest(input: ExplainInput): Explanation {
  const { ring, config, host, nowMs } = input;
  const eventsPath = input.eventsPath ?? DEFAULT_EVENTS_PATH;
  const sessionCookie = input.sessionCookie ?? new RegExp(DEFAULT_SESSION_COOKIE_PATTERN);
  const botPolicy = input.botPolicy ?? "exclude";
  const request = describeRequest(host, input.cookie, input.request ?? {}, sessionCookie);

  // Why each presented value verifies or not (display only: decide does its own verifying).
  const tokens: TokenReport[] = [];
  for (const value of request.presented.length === 0 ? [undefined] : request.presented) {
    const checked = reportToken(value, ring, nowMs);
    tokens.push(checked.report);
    if (checked.identity) break; // the first value that verifies wins (contract §7)
  }

  let contextRead = false;
  const pageTrace: EnrollmentStep[] = [];
  const eventsTrace: EnrollmentStep[] = [];
  const eventsFacts: RequestFacts = { ...request.facts, path: eventsPath };
  const common: Omit<DecisionInput, "isEvents" | "facts" | "trace"> = {
    nowMs,
    random: input.random ?? ((buf) => void crypto.getRandomValues(buf)),
    keyRing: ring,
    config,
    killed: false,
    host,
    presented: request.presented,
    botPolicy,
    sessionCookie,
    cookieDomain: (h) => input.cookieDomain ?? registrableDomain(h),
    preview: null,
  };
  const page = decide({ ...common, isEvents: false, trace: pageTrace, facts: () => ((contextRead = true), request.facts) });
  const events = decide({ ...common, isEvents: true, trace: eventsTrace, facts: () => eventsFacts });
  // The event intake never mints: its identity is the verified visitor, or none.
  const visitor = events.identity;
  const verified = visitor !== null;
  if (verified !== tokens.some((t) => t.ok)) throw new Error("decide and verifyToken disagree: a bug in the core or this tool");

  const plan = config.hosts.get(host);
  const byName = new Map(config.experiments.map((e) => [e.name, e]));
  const liveExps = plan ? plan.experiments.filter((e) => experimentStatus(e, nowMs) === "live") : [];
  const notLive: OtherExperimentReport[] = [];
  for (const exp of plan?.experiments ?? []) {
    const status = experimentStatus(exp, nowMs);
    if (status !== "live") notLive.push({ name: exp.name, status, start: byName.get(exp.name)!.start, end: byName.get(exp.name)!.end });
  }

  const isBot = page.outcome === "bot:crawler" || page.outcome === "bot:verified-bot";
  const kv = visitor ? visitorKey(visitor) : null;
  const live = liveExps.map((exp): LiveExperimentReport => {
    const named = byName.get(exp.name)!;
    const step = pageTrace.find((s) => s.experiment === exp);
    const base = {
      name: exp.name,
      selector: named.shared_selector ?? exp.name,
      uniqueDomain: named.domains[host]?.unique_domain === true,
      cacheSplit: exp.cacheSplit,
      evaluated: step !== undefined,
      skipped: !isBot && step === undefined,
      ...ruleReports(exp, step),
    };
    if (step === undefined || !step.eligible) return base;
    const withAllocation = { ...base, allocation: step.allocation };
    if (!kv || !plan) return withAllocation;
    const words = new Uint32Array(4);
    deriveSubject(kv, plan.fingerprints[slotOf(plan, exp)]!, words, 0, true);
    const bucket = bucketOf(words, 0);
    if (bucket !== step.bucket) throw new Error(`decide and subject.ts disagree for ${exp.name}: a bug in the core or this tool`);
    const shown = { ...withAllocation, subjectId: subjectIdOf(words, 0), bucket };
    if (step.group === null) return { ...shown, group: null };
    const table: RangeTable = step.allocation >= 0 ? exp.allocations[step.allocation]!.table : exp;
    const g = table.groups.indexOf(step.group);
    return { ...shown, group: step.group, range: [table.lo[g]!, table.hi[g]!] as const };
  });

  const freshId = page.minted !== null && pageTrace.some((s) => s.eligible);
  return {
    host,
    hostInConfig: plan !== undefined,
    at: formatInstant(nowMs),
    facts: request.facts,
    factNotes: request.notes,
    context: buildContext(host, request.facts, sessionCookie),
    contextRead,
    tokens,
    verified,
    cookieDomain: cookieDomainReport(host, input.cookieDomain ?? null),
    bot: botReport(page, verified, botPolicy, request.facts),
    outcome: { page: page.outcome, events: events.outcome },
    freshId,
    live,
    notLive,
    eventsDiffer: differences(pageTrace, eventsTrace, eventsPath),
    ...pageHeaders(page, freshId),
    events: eventsHeader(events, eventsPath),
  };
}

/** The worker's rule (worker/cookie-domain.ts): COOKIE_DOMAIN, else the Public Suffix List. */
export function cookieDomainReport(host: string, override: string | null): CookieDomainReport {
  if (override !== null) return { domain: override, source: "COOKIE_DOMAIN", refused: domainRefusal(host, override) };
  return { domain: registrableDomain(host), source: "public-suffix-list", refused: null };
}

function cookieDomainLine(c: CookieDomainReport): string {
  const why = c.source === "COOKIE_DOMAIN" ? "COOKIE_DOMAIN" : "the host's registrable domain, Public Suffix List";
  const head = c.domain === null
    ? "cookie Domain: none, host-only (an IP literal, *.localhost, or a host that is itself a public suffix)"
    : `cookie Domain: ${c.domain} (${why})`;
  return c.refused === null ? head : `${head}\n  browsers refuse this cookie: ${c.refused}`;
}

// Each rule's result, read off the trace: allocations before the one used were false, the
// one used true, later ones not evaluated (first match wins, contract §8).
function ruleReports(exp: CompiledExperiment, step: EnrollmentStep | undefined): Pick<LiveExperimentReport, "eligibility" | "allocations"> {
  const eligibility = exp.eligibility === null ? null : { source: exp.eligibility.source, result: step ? step.eligible : null };
  const allocations = exp.allocations.map((a, i): RuleReport => {
    let result: boolean | null = null;
    if (step !== undefined && step.eligible) result = step.allocation === -1 || i < step.allocation ? false : i === step.allocation ? true : null;
    return { source: a.rule.source, result };
  });
  return { eligibility, allocations };
}

function botReport(page: Decision, verified: boolean, policy: BotPolicy, facts: RequestFacts): BotReport {
  if (page.outcome === "bot:verified-bot") {
    return { checked: true, reason: "verified-bot", note: "bot: verified-bot (cf.botManagement.verifiedBot), no cookie, no enrollment, no Server-Timing entry; the un-enrolled cached copy" };
  }
  if (page.outcome === "bot:crawler") {
    return { checked: true, reason: "crawler", note: "bot: crawler (the User-Agent is on the crawler list), no cookie, no enrollment, no Server-Timing entry; the un-enrolled cached copy" };
  }
  if (policy === "include") return { checked: false, reason: null, note: "bot: not checked (BOT_POLICY=include: bots are treated like any visitor)" };
  if (verified) {
    // Display only: what the list would say, to explain a crawler that kept a cookie.
    const would = botReason(facts.verifiedBot, facts.userAgent);
    return { checked: false, reason: null, note: `bot: not checked (a verified cookie is never re-checked${would ? `; the request would count as ${would} without it` : ""})` };
  }
  return { checked: true, reason: null, note: "bot: no (no verified cookie, so checked: not a verified bot, User-Agent not on the crawler list)" };
}

// Rules may read `path`, which at the event intake is the intake's path.
function differences(page: readonly EnrollmentStep[], events: readonly EnrollmentStep[], eventsPath: string): string[] {
  const out: string[] = [];
  for (const e of events) {
    const p = page.find((s) => s.experiment === e.experiment);
    if (p === undefined) continue;
    const there = e.eligible ? `${allocationName(e.allocation)}, ${e.group === null ? "not enrolled" : `group ${e.group}`}` : "not eligible";
    if (p.eligible !== e.eligible || p.allocation !== e.allocation) out.push(`${e.experiment.name}: at ${eventsPath} ${there} (a rule reads path)`);
  }
  return out;
}

function allocationName(a: number): string {
  return a < 0 ? "the domain's groups" : `allocations[${a}]`;
}

// The page headers and the cookie, from the page decision (`freshId`: its groups are those
// of a random ID minted just now, so they are not shown).
function pageHeaders(d: Decision, freshId: boolean): Pick<Explanation, "page" | "serverTiming" | "setCookie"> {
  const setCookie: HeaderReport = {
    name: "Set-Cookie",
    value: d.setCookie === null ? null : d.setCookie.replace(/^[^;]*/, `${UNIQ_COOKIE}=<a new random token>`),
    note: d.setCookie !== null ? "a fresh WMF-Uniq" : d.outcome.startsWith("bot:") ? "a bot: no Set-Cookie" : "the cookie verifies: no Set-Cookie",
  };
  const none = (page: string, timing: string) => ({
    page: { name: ENROLLMENTS_HEADER, value: null, note: page, withheld: 0 },
    serverTiming: { name: "Server-Timing", value: null, note: timing },
    setCookie,
  });
  if (d.outcome === "bot:crawler" || d.outcome === "bot:verified-bot") return none("a bot: no enrollment, no header", "a bot: no WMF-Uniq entry");
  if (d.outcome === "no-live-experiments") return none("no live experiments on this host: no header", "no live experiments on this host: no WMF-Uniq entry");
  if (freshId) {
    const fresh = "the cookie does not verify: the worker mints a new one, and this request's groups depend on its new random ID";
    return none(fresh, fresh);
  }
  return {
    page: {
      name: ENROLLMENTS_HEADER,
      value: d.enrollments === "" ? null : d.enrollments,
      note: pageNote(d.enrollments, d.withheld),
      withheld: d.withheld,
    },
    serverTiming: {
      name: "Server-Timing",
      value: d.timingPairs === "" ? null : serverTimingEntry(d.timingPairs),
      note: d.timingPairs === "" ? "not enrolled in any experiment: no WMF-Uniq entry" : "appended to the origin's own Server-Timing, if any",
    },
    setCookie,
  };
}

const EDGE_204: Partial<Record<Outcome, string>> = {
  "events-204:no-cookie": "no valid cookie",
  "events-204:no-experiments": "no live experiments on this host",
  "events-204:not-enrolled": "not enrolled in any live experiment",
};

function eventsHeader(d: Decision, path: string): Explanation["events"] {
  if (d.answer204) {
    return { name: ENROLLMENTS_HEADER, value: null, path, edge204: true, note: `${EDGE_204[d.outcome] ?? d.outcome}: 204 at the edge, origin not called` };
  }
  return { name: ENROLLMENTS_HEADER, value: d.enrollments, path, edge204: false, note: "every enrolled experiment, with subject IDs" };
}

function pageNote(page: string, withheld: number): string {
  const left = withheld === 0 ? "" : `; ${withheld === 1 ? "a pair" : `${withheld} pairs`} with group "0" left out (MediaWiki would drop the whole header)`;
  return (page === "" ? "not enrolled in any cache-split experiment: no header" : "cache-split experiments only") + left;
}

/** The human-readable report. */
export function formatExplanation(x: Explanation): string {
  const lines: string[] = [];
  lines.push(`host ${x.host} at ${x.at}`);
  const f = x.facts;
  const shown = (v: string | null) => (v === null ? "(none)" : v);
  if (x.contextRead) {
    lines.push("request (the facts the worker reads):");
    lines.push(`  path ${f.path}  country ${shown(f.country)}  Accept-Language ${shown(f.acceptLanguage)}  Cookie ${shown(f.cookieHeader)}${f.verifiedBot ? "  cf.botManagement.verifiedBot" : ""}`);
    lines.push(`  User-Agent ${shown(f.userAgent)}`);
    if (x.factNotes.length > 0) lines.push(`  from --context: ${x.factNotes.join("; ")}`);
    const c = x.context;
    lines.push(`context: host ${c.host}  path ${c.path}  country ${c.country}  platform ${c.platform}  language ${JSON.stringify(c.language)}  loggedIn ${c.loggedIn}`);
  } else {
    lines.push("request facts: not read by the worker here (no live experiment on the host has a rule, and no bot check ran)");
  }
  x.tokens.forEach((t, i) => {
    const label = x.tokens.length > 1 ? `cookie ${i + 1}` : "cookie";
    lines.push(
      t.ok
        ? `${label}: ok, key tag ${t.keyTag}, minted ${t.mintDate} (${t.ageDays} day${t.ageDays === 1 ? "" : "s"} before --at)`
        : `${label}: does not verify: ${t.reason} (${t.detail})`,
    );
  });
  lines.push(x.bot.note);
  if (!x.verified && x.bot.reason === null) lines.push("  the worker would mint a fresh WMF-Uniq for this visitor (Set-Cookie) and enroll that new ID");
  lines.push(cookieDomainLine(x.cookieDomain));

  lines.push("");
  if (!x.hostInConfig) lines.push(`${x.host} is not in the config: the worker enrolls nothing here`);
  else if (x.live.length === 0) lines.push(`live experiments on ${x.host}: none`);
  else lines.push(`live experiments on ${x.host} (config order)${x.bot.reason !== null ? ", none evaluated for a bot" : ""}:`);
  const width = Math.max(0, ...x.live.map((e) => e.name.length));
  const pad = `  ${"".padEnd(width)}  `;
  const about = (e: LiveExperimentReport) =>
    `selector ${e.selector}${e.uniqueDomain ? ` + host ${x.host}` : ""}${e.cacheSplit ? "" : "  (not cache-split)"}`;
  for (const e of x.live) {
    const head = `  ${e.name.padEnd(width)}  `;
    if (e.skipped) {
      lines.push(`${head}skipped: beyond the worker's cap on live experiments per request`);
      continue;
    }
    const from = e.allocation !== undefined && e.allocation >= 0 ? `  from allocations[${e.allocation}]` : "";
    if (e.eligibility?.result === false) {
      lines.push(`${head}not eligible: as if not live for this request`);
    } else if (e.bucket === undefined) {
      const groups = e.allocation === undefined || e.allocations.length === 0 ? "" : e.allocation >= 0 ? `  groups from allocations[${e.allocation}]` : "  the domain's groups";
      lines.push(`${head}${about(e)}${groups}`);
    } else {
      const where = e.group === null ? "not enrolled: bucket outside every range" : `group ${e.group} [${e.range![0]}, ${e.range![1]}]${from}`;
      lines.push(`${head}bucket ${String(e.bucket).padStart(5)}  ${where}`);
      lines.push(`${pad}subject ${e.subjectId}  ${about(e)}`);
    }
    lines.push(...ruleLines(e, pad));
  }
  if (x.notLive.length > 0) {
    lines.push(`not live at ${x.at}:`);
    for (const e of x.notLive) {
      lines.push(`  ${e.name}: ${e.status === "not-yet" ? `not yet, starts ${e.start}` : `ended ${e.end}`}`);
    }
  }

  lines.push("", `origin, page request (${x.freshId ? "groups of a new random ID" : x.outcome.page}):`);
  lines.push(headerLine(x.page));
  lines.push("", `origin, event intake (${x.events.path}; ${x.outcome.events}):`);
  for (const d of x.eventsDiffer) lines.push(`  note: ${d}`);
  lines.push(x.events.edge204 ? `  (${x.events.note})` : headerLine(x.events));
  lines.push("", "browser:");
  lines.push(headerLine(x.serverTiming));
  if (x.setCookie.value !== null || x.bot.reason !== null) lines.push(headerLine(x.setCookie));
  return lines.join("\n") + "\n";
}

// One line per rule: its result (or "-": not evaluated) and its source as written.
function ruleLines(e: LiveExperimentReport, pad: string): string[] {
  const rules: [string, RuleReport][] = [];
  if (e.eligibility !== null) rules.push(["eligibility", e.eligibility]);
  e.allocations.forEach((a, i) => rules.push([`allocations[${i}]`, a]));
  if (rules.length === 0) return [];
  const width = Math.max(...rules.map(([label]) => label.length));
  const out = rules.map(([label, r]) => `${pad}${label.padEnd(width)}  ${r.result === null ? "-    " : String(r.result).padEnd(5)}  ${r.source}`);
  if (e.allocation === -1 && e.allocations.length > 0) out.push(`${pad}(no allocation rule is true: the domain's groups)`);
  return out;
}

function headerLine(h: HeaderReport): string {
  return h.value === null ? `  (${h.note})` : `  ${h.name}: ${h.value}`;
}
