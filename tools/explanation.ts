import { DEFAULT_EVENTS_PATH, ENROLLMENTS_HEADER } from "../src/contract.js";
import { slotOf, type CompiledConfig } from "../src/config-compile.js";
import { decodeBase64url } from "../src/base64url.js";
import { scanCookieHeader } from "../src/cookie-header.js";
import { enroll, type Enrollments } from "../src/enroll.js";
import { encodeAllPairs, encodeEventsHeader, encodePageHeader, withheldFromPage } from "../src/enrollment-header.js";
import type { KeyRing } from "../src/keyring.js";
import { serverTimingEntry } from "../src/server-timing.js";
import { bucketOf, deriveSubject, subjectIdOf, visitorKey } from "../src/subject.js";
import { TOKEN_LENGTH, TOKEN_VERSION, verifyToken, type Identity, type TokenFailure } from "../src/token.js";
import { formatInstant } from "./cli-args.js";
import { experimentStatus, type ExperimentStatus } from "./config-summary.js";

/**
 * "Why am I in this group?": one visitor's request to one host at one moment, answered by
 * the worker's own core. The token is checked with verifyToken, groups and headers come
 * from enroll and the header encoders; subject IDs and buckets are recomputed with the
 * subject functions only to show the numbers behind each group (and are checked against
 * enroll). Subject IDs appear here because an operator holding the key asked; the worker
 * sends them only to the event intake.
 */

export { DEFAULT_EVENTS_PATH };

/** The verdict on one presented `WMF-Uniq` value. */
export type TokenReport =
  | { readonly ok: true; readonly keyTag: number; readonly mintDate: string; readonly ageDays: number }
  | { readonly ok: false; readonly reason: TokenFailure; readonly detail: string };

/** One live experiment on the host and where this visitor lands in it. */
export interface LiveExperimentReport {
  readonly name: string;
  readonly selector: string;
  /** The host is an input of ID derivation too (unique_domain). */
  readonly uniqueDomain: boolean;
  readonly cacheSplit: boolean;
  /** Absent when the cookie does not verify (the worker would enroll a fresh random ID). */
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

export interface Explanation {
  readonly host: string;
  /** False when no experiment names the host in its domains. */
  readonly hostInConfig: boolean;
  readonly at: string;
  /** One verdict per presented value, in order (the first that verifies wins). */
  readonly tokens: readonly TokenReport[];
  /** True when a presented value verifies: the visitor keeps their identity. */
  readonly verified: boolean;
  readonly live: readonly LiveExperimentReport[];
  readonly notLive: readonly OtherExperimentReport[];
  /** `withheld`: cache-split pairs left out because their group is "0" (contract §4). */
  readonly page: HeaderReport & { readonly withheld: number };
  readonly events: HeaderReport & { readonly path: string; readonly edge204: boolean };
  readonly serverTiming: HeaderReport;
}

export interface ExplainInput {
  readonly ring: KeyRing;
  readonly config: CompiledConfig;
  /** Already normalised (normaliseHost). */
  readonly host: string;
  /** A bare cookie value, or a whole Cookie header (anything with `=` or `;`). */
  readonly cookie: string;
  readonly nowMs: number;
  readonly eventsPath?: string;
}

/** The cookie values the worker would see: a bare value, or every WMF-Uniq in a header. */
export function cookieValues(input: string): string[] {
  if (!input.includes("=") && !input.includes(";")) return [input.trim()];
  return scanCookieHeader(input).values;
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

/** Explains one request. Pure: same inputs, same answer, nothing printed. */
export function explainRequest(input: ExplainInput): Explanation {
  const { ring, config, host, nowMs } = input;
  const eventsPath = input.eventsPath ?? DEFAULT_EVENTS_PATH;
  const values = cookieValues(input.cookie);
  const tokens: TokenReport[] = [];
  let identity: Identity | null = null;
  for (const value of values.length === 0 ? [undefined] : values) {
    const checked = reportToken(value, ring, nowMs);
    tokens.push(checked.report);
    if (checked.identity) {
      identity = checked.identity;
      break; // the first value that verifies wins (contract §7)
    }
  }

  const plan = config.hosts.get(host);
  const liveExps = plan ? plan.experiments.filter((e) => experimentStatus(e, nowMs) === "live") : [];
  const notLive: OtherExperimentReport[] = [];
  const byName = new Map(config.experiments.map((e) => [e.name, e]));
  for (const exp of plan?.experiments ?? []) {
    const status = experimentStatus(exp, nowMs);
    if (status !== "live") notLive.push({ name: exp.name, status, start: byName.get(exp.name)!.start, end: byName.get(exp.name)!.end });
  }

  const enrollments: Enrollments | null = identity ? enroll(identity, host, nowMs, config, true) : null;
  const kv = identity ? visitorKey(identity) : null;
  const evaluated = new Set(enrollments ? liveExps.slice(0, enrollments.live) : []);
  const live = liveExps.map((exp): LiveExperimentReport => {
    const named = byName.get(exp.name)!;
    const selector = named.shared_selector ?? exp.name;
    const uniqueDomain = named.domains[host]?.unique_domain === true;
    const base = { name: exp.name, selector, uniqueDomain, cacheSplit: exp.cacheSplit, skipped: enrollments !== null && !evaluated.has(exp) };
    if (!kv || !enrollments || !plan) return base;
    const words = new Uint32Array(4);
    deriveSubject(kv, plan.fingerprints[slotOf(plan, exp)]!, words, 0, true);
    const bucket = bucketOf(words, 0);
    const at = enrollments.experiments.indexOf(exp);
    if (at < 0) return { ...base, subjectId: subjectIdOf(words, 0), bucket, group: null };
    const g = enrollments.groups[at]!;
    const range = [exp.lo[g]!, exp.hi[g]!] as const;
    if (bucket < range[0] || bucket > range[1] || subjectIdOf(enrollments.subjects, enrollments.slots[at]! * 4) !== subjectIdOf(words, 0)) {
      throw new Error(`enroll and subject.ts disagree for ${exp.name}: a bug in the core or this tool`);
    }
    return { ...base, subjectId: subjectIdOf(words, 0), bucket, group: exp.groups[g]!, range };
  });

  return {
    host,
    hostInConfig: plan !== undefined,
    at: formatInstant(nowMs),
    tokens,
    verified: identity !== null,
    live,
    notLive,
    ...requestHeaders(enrollments, identity !== null, liveExps.length > 0, eventsPath),
  };
}

// The three headers the worker derives from one enrollment (contract §4).
function requestHeaders(
  e: Enrollments | null,
  verified: boolean,
  anyLive: boolean,
  eventsPath: string,
): Pick<Explanation, "page" | "events" | "serverTiming"> {
  if (!anyLive) {
    return {
      page: { name: ENROLLMENTS_HEADER, value: null, note: "no live experiments on this host: no header", withheld: 0 },
      events: { name: ENROLLMENTS_HEADER, value: null, path: eventsPath, edge204: true, note: "no live experiments on this host: 204 at the edge, origin not called" },
      serverTiming: { name: "Server-Timing", value: null, note: "no live experiments on this host: no WMF-Uniq entry" },
    };
  }
  if (!verified || e === null) {
    const fresh = "the cookie does not verify: the worker mints a new one, and this request's groups depend on its new random ID";
    return {
      page: { name: ENROLLMENTS_HEADER, value: null, note: fresh, withheld: 0 },
      events: { name: ENROLLMENTS_HEADER, value: null, path: eventsPath, edge204: true, note: "no valid cookie: 204 at the edge, origin not called" },
      serverTiming: { name: "Server-Timing", value: null, note: fresh },
    };
  }
  const page = encodePageHeader(e);
  const withheld = withheldFromPage(e);
  const events = encodeEventsHeader(e);
  const all = encodeAllPairs(e);
  return {
    page: { name: ENROLLMENTS_HEADER, value: page === "" ? null : page, note: pageNote(page, withheld), withheld },
    events: {
      name: ENROLLMENTS_HEADER,
      value: events === "" ? null : events,
      path: eventsPath,
      edge204: events === "",
      note: events === "" ? "not enrolled in any live experiment: 204 at the edge, origin not called" : "every enrolled experiment, with subject IDs",
    },
    serverTiming: {
      name: "Server-Timing",
      value: all === "" ? null : serverTimingEntry(all),
      note: all === "" ? "not enrolled in any experiment: no WMF-Uniq entry" : "appended to the origin's own Server-Timing, if any",
    },
  };
}

function pageNote(page: string, withheld: number): string {
  const left = withheld === 0 ? "" : `; ${withheld === 1 ? "a pair" : `${withheld} pairs`} with group "0" left out (MediaWiki would drop the whole header)`;
  return (page === "" ? "not enrolled in any cache-split experiment: no header" : "cache-split experiments only") + left;
}

/** The human-readable report. */
export function formatExplanation(x: Explanation): string {
  const lines: string[] = [];
  lines.push(`host ${x.host} at ${x.at}`);
  x.tokens.forEach((t, i) => {
    const label = x.tokens.length > 1 ? `cookie ${i + 1}` : "cookie";
    lines.push(
      t.ok
        ? `${label}: ok, key tag ${t.keyTag}, minted ${t.mintDate} (${t.ageDays} day${t.ageDays === 1 ? "" : "s"} before --at)`
        : `${label}: does not verify: ${t.reason} (${t.detail})`,
    );
  });
  if (!x.verified) lines.push("  the worker would mint a fresh WMF-Uniq for this visitor (Set-Cookie) and enroll that new ID");

  lines.push("");
  if (!x.hostInConfig) lines.push(`${x.host} is not in the config: the worker enrolls nothing here`);
  else if (x.live.length === 0) lines.push(`live experiments on ${x.host}: none`);
  else lines.push(`live experiments on ${x.host} (config order):`);
  const width = Math.max(0, ...x.live.map((e) => e.name.length));
  const about = (e: LiveExperimentReport) =>
    `selector ${e.selector}${e.uniqueDomain ? ` + host ${x.host}` : ""}${e.cacheSplit ? "" : "  (not cache-split)"}`;
  for (const e of x.live) {
    const head = `  ${e.name.padEnd(width)}`;
    if (e.skipped) {
      lines.push(`${head}  skipped: beyond the worker's cap on live experiments per request`);
    } else if (e.bucket === undefined) {
      lines.push(`${head}  ${about(e)}`);
    } else {
      const where = e.group === null ? "not enrolled: bucket outside every range" : `group ${e.group} [${e.range![0]}, ${e.range![1]}]`;
      lines.push(`${head}  bucket ${String(e.bucket).padStart(5)}  ${where}`);
      lines.push(`  ${"".padEnd(width)}  subject ${e.subjectId}  ${about(e)}`);
    }
  }
  if (x.notLive.length > 0) {
    lines.push(`not live at ${x.at}:`);
    for (const e of x.notLive) {
      lines.push(`  ${e.name}: ${e.status === "not-yet" ? `not yet, starts ${e.start}` : `ended ${e.end}`}`);
    }
  }

  lines.push("", "origin, page request:");
  lines.push(headerLine(x.page));
  if (x.page.value !== null && x.page.withheld > 0) lines.push(`  (${x.page.note})`);
  lines.push("", `origin, event intake (${x.events.path}):`);
  lines.push(x.events.edge204 ? `  (${x.events.note})` : headerLine(x.events));
  lines.push("", "browser:");
  lines.push(headerLine(x.serverTiming));
  return lines.join("\n") + "\n";
}

function headerLine(h: HeaderReport): string {
  return h.value === null ? `  (${h.note})` : `  ${h.name}: ${h.value}`;
}
