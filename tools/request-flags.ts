import { scanCookieHeader } from "../src/cookie-header.js";
import { normaliseHost } from "../src/host.js";
import { buildContext, CONTEXT_VARIABLES, isMobileHost, type RequestContext, type RequestFacts } from "../src/request-context.js";
import { UsageError } from "./cli-io.js";

/**
 * What an operator says about a request (contract §8): the `--context k=v,...` shorthand
 * both tools take, and for `explain` the raw request facts the worker reads. `explain`
 * never sets a context directly: the shorthand is turned into request facts, and the
 * context shown is the one buildContext derives from them, as the worker would.
 */

/** `--context` as given: some of the §8 variables, each checked and typed. */
export interface ContextFlag {
  readonly host?: string;
  readonly path?: string;
  readonly country?: string;
  readonly platform?: RequestContext["platform"];
  readonly language?: string;
  readonly loggedIn?: boolean;
}

type Variable = keyof RequestContext;

/** Parses `country=DE,platform=mobile,language=de,loggedIn=false` (any subset, any order). */
export function parseContextFlag(text: string): ContextFlag {
  const out: { -readonly [K in Variable]?: RequestContext[K] } = {};
  for (const entry of text.split(",")) {
    const eq = entry.indexOf("=");
    if (eq < 0) throw new UsageError(`--context ${JSON.stringify(entry)}: expected NAME=VALUE (names: ${Object.keys(CONTEXT_VARIABLES).join(", ")})`);
    const name = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim();
    if (!Object.hasOwn(CONTEXT_VARIABLES, name)) {
      const near = Object.keys(CONTEXT_VARIABLES).find((k) => k.toLowerCase() === name.toLowerCase());
      throw new UsageError(`--context: unknown variable ${JSON.stringify(name)}${near ? ` (did you mean ${near}?)` : ""}; names: ${Object.keys(CONTEXT_VARIABLES).join(", ")}`);
    }
    const key = name as Variable;
    if (out[key] !== undefined) throw new UsageError(`--context: ${key} is given twice`);
    switch (key) {
      case "host": {
        const host = normaliseHost(value);
        if (host === "") throw new UsageError("--context host= is empty");
        out.host = host;
        break;
      }
      case "path":
        if (!value.startsWith("/")) throw new UsageError(`--context path=${value}: a path starts with "/"`);
        out.path = value;
        break;
      case "country":
        if (!/^[A-Za-z0-9]{2}$/.test(value)) throw new UsageError(`--context country=${value}: two letters or digits (ISO alpha-2 such as DE, XX for unknown)`);
        out.country = value.toUpperCase();
        break;
      case "platform":
        if (value !== "mobile" && value !== "desktop") throw new UsageError(`--context platform=${value}: mobile or desktop`);
        out.platform = value;
        break;
      case "language":
        if (!/^[A-Za-z]{0,8}$/.test(value)) throw new UsageError(`--context language=${value}: a primary language subtag such as de (empty: no Accept-Language)`);
        out.language = value.toLowerCase();
        break;
      case "loggedIn":
        if (value !== "true" && value !== "false") throw new UsageError(`--context loggedIn=${value}: true or false`);
        out.loggedIn = value === "true";
        break;
    }
  }
  return out;
}

/** `--context` in the form it was accepted, for headings (`country=DE platform=mobile`). */
export function formatContextFlag(flag: ContextFlag): string {
  return Object.entries(flag)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : String(v)}`)
    .join(" ");
}

/**
 * The context `config:check` evaluates rules on, for one host: what `--context` names, and
 * for the rest what a request with no such facts gets (path "/", country "XX", desktop,
 * no language, logged out). config:check has no request, so here the context is direct;
 * only a mobile host is mobile whatever `platform=` says, as on the edge.
 */
export function contextFor(host: string, flag: ContextFlag): RequestContext {
  return {
    host,
    path: flag.path ?? "/",
    country: flag.country ?? "XX",
    platform: isMobileHost(host) ? "mobile" : (flag.platform ?? "desktop"),
    language: flag.language ?? "",
    loggedIn: flag.loggedIn ?? false,
  };
}

/** The raw facts `explain` takes as flags (each as the request would carry it). */
export interface RequestFlags {
  readonly userAgent?: string | undefined;
  readonly acceptLanguage?: string | undefined;
  readonly country?: string | undefined;
  readonly path?: string | undefined;
  /** The request's other cookies (a Cookie header; any WMF-Uniq in it is presented too). */
  readonly cookieHeader?: string | undefined;
  readonly verifiedBot?: boolean | undefined;
  readonly context?: ContextFlag | undefined;
}

/** One request as the worker would see it: the presented cookie values and the facts. */
export interface DescribedRequest {
  /** Every WMF-Uniq value, in order (`--cookie` first, then `--cookie-header`). */
  readonly presented: readonly string[];
  readonly facts: RequestFacts;
  /** What `--context` added to the facts, one phrase each. */
  readonly notes: readonly string[];
}

/**
 * An example mobile browser User-Agent, used when `--context platform=mobile` asks for a
 * mobile request on a desktop host and no `--user-agent` is given. Not a crawler.
 */
export const EXAMPLE_MOBILE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

// Session cookie names tried, in order, when `--context loggedIn=true` needs one: MediaWiki's.
const SESSION_NAMES = ["enwikiSession", "centralauth_Session", "enwikiUserID", "enwikiToken"];

/** A bare WMF-Uniq value, or a whole Cookie header (anything with `=` or `;`). */
export function cookieValues(input: string): string[] {
  if (!input.includes("=") && !input.includes(";")) return [input.trim()];
  return scanCookieHeader(input).values;
}

/**
 * The request `explain` decides for: `cookie` (a WMF-Uniq value or a Cookie header), the
 * raw flags, and `--context` turned into facts where they are missing (country,
 * Accept-Language, path, a mobile User-Agent, a session cookie). The context derived from
 * the result must equal every `--context` value; if a raw flag or the host contradicts one,
 * that is a UsageError saying where the variable comes from.
 */
export function describeRequest(host: string, cookie: string | undefined, flags: RequestFlags, sessionCookie: RegExp): DescribedRequest {
  const want = flags.context ?? {};
  const notes: string[] = [];
  const presented: string[] = [];
  const rest: string[] = [];
  if (cookie !== undefined) {
    presented.push(...cookieValues(cookie));
    if (cookie.includes("=") || cookie.includes(";")) {
      const other = scanCookieHeader(cookie).rest;
      if (other !== null) rest.push(other);
    }
  }
  if (flags.cookieHeader !== undefined) {
    const scan = scanCookieHeader(flags.cookieHeader);
    presented.push(...scan.values);
    if (scan.rest !== null) rest.push(scan.rest);
  }

  if (want.host !== undefined && want.host !== host) {
    throw new UsageError(`--context host=${want.host}: the host is --host ${host}; explain one host at a time`);
  }
  let userAgent = flags.userAgent ?? null;
  let acceptLanguage = flags.acceptLanguage ?? null;
  let country = flags.country ?? null;
  let path = flags.path ?? null;
  if (want.country !== undefined && country === null) {
    country = want.country;
    notes.push(`country ${want.country}`);
  }
  if (want.language !== undefined && acceptLanguage === null && want.language !== "") {
    acceptLanguage = want.language;
    notes.push(`Accept-Language ${want.language}`);
  }
  if (want.path !== undefined && path === null) path = want.path;
  const probe = (): RequestContext => buildContext(host, facts(), sessionCookie);
  const facts = (): RequestFacts => ({
    path: path ?? "/",
    userAgent,
    acceptLanguage,
    country,
    cookieHeader: rest.length === 0 ? null : rest.join("; "),
    verifiedBot: flags.verifiedBot === true,
  });
  if (want.platform === "mobile" && userAgent === null && probe().platform !== "mobile") {
    userAgent = EXAMPLE_MOBILE_UA;
    notes.push("User-Agent of an example iPhone browser (platform=mobile)");
  }
  if (want.loggedIn === true && !probe().loggedIn) {
    const name = SESSION_NAMES.find((n) => sessionCookie.test(n));
    if (name === undefined) {
      throw new UsageError("--context loggedIn=true: no MediaWiki session cookie name matches SESSION_COOKIE_PATTERN; pass one in --cookie-header");
    }
    rest.push(`${name}=explain`);
    notes.push(`Cookie ${name}=explain, a session cookie (loggedIn=true)`);
  }

  const result = facts();
  const context = buildContext(host, result, sessionCookie);
  for (const [key, value] of Object.entries(want) as [Variable, RequestContext[Variable]][]) {
    if (context[key] !== value) throw new UsageError(`--context ${key}=${String(value)}, but ${contradiction(key, context)}`);
  }
  return { presented, facts: result, notes };
}

// Where a context variable comes from, for a flag that contradicts the other flags.
function contradiction(key: Variable, context: RequestContext): string {
  switch (key) {
    case "platform":
      return context.platform === "mobile"
        ? isMobileHost(context.host)
          ? `${context.host} is a mobile host (platform is mobile whatever the User-Agent)`
          : "--user-agent is a mobile one"
        : "--user-agent is not a mobile one (platform is mobile for a mobile host or a User-Agent with Mobi, Android or iPhone)";
    case "loggedIn":
      return "the Cookie header has a session cookie (SESSION_COOKIE_PATTERN)";
    case "country":
      return `--country gives ${context.country}`;
    case "language":
      return `--accept-language gives ${JSON.stringify(context.language)}`;
    case "path":
      return `--path is ${context.path}`;
    case "host":
      return `the host is ${context.host}`;
  }
}

