/**
 * The request context that targeting rules read (contract §8): a fixed set of variables,
 * derived from raw request facts by one function, so the worker, the tools and the
 * emulation see the same context for the same request.
 */

/** The raw facts a context is derived from; the glue reads them off the request. */
export interface RequestFacts {
  readonly path: string;
  readonly userAgent: string | null;
  readonly acceptLanguage: string | null;
  /** `request.cf.country`, or the trusted header when self-hosted; null when unknown. */
  readonly country: string | null;
  /** The Cookie header as the origin gets it (our cookie already removed). */
  readonly cookieHeader: string | null;
  /** `request.cf.botManagement.verifiedBot` (contract §9); false when absent. */
  readonly verifiedBot: boolean;
}

/** The variables of contract §8, with their types. */
export interface RequestContext {
  readonly host: string;
  readonly path: string;
  readonly country: string;
  readonly platform: "mobile" | "desktop";
  readonly language: string;
  readonly loggedIn: boolean;
}

/** Variable name → type, for the rule type checker. */
export const CONTEXT_VARIABLES = {
  host: "string",
  path: "string",
  country: "string",
  platform: "string",
  language: "string",
  loggedIn: "boolean",
} as const satisfies Record<keyof RequestContext, "string" | "boolean">;

/**
 * MediaWiki's session cookie names: `<wiki>Session`, `<wiki>UserID`, `<wiki>Token` and
 * CentralAuth's `centralauth_…`. The default of the `SESSION_COOKIE_PATTERN` setting.
 */
export const DEFAULT_SESSION_COOKIE_PATTERN = "(Session|UserID|Token)$|^centralauth_";

const COUNTRY = /^[A-Za-z0-9]{2}$/;
// One to eight letters at the start of the header, ended by a subtag, a parameter, the next
// entry or the end: `de-CH,…` → de, `fr;q=0.5` → fr, `*`, `1en` and `x_de` → none.
const LEADING_LANGUAGE = /^\s*([A-Za-z]{1,8})\s*(?:[-;,]|$)/;
// Substrings of a mobile User-Agent, as contract §8 lists them.
const MOBILE_UA = /Mobi|Android|iPhone/;

/** Derives the context; `sessionCookie` matches the name of a session cookie. */
export function buildContext(host: string, facts: RequestFacts, sessionCookie: RegExp): RequestContext {
  return {
    host,
    path: facts.path,
    country: countryOf(facts.country),
    platform: isMobileHost(host) || (facts.userAgent !== null && MOBILE_UA.test(facts.userAgent)) ? "mobile" : "desktop",
    language: languageOf(facts.acceptLanguage),
    loggedIn: hasSessionCookie(facts.cookieHeader, sessionCookie),
  };
}

/** ISO alpha-2 in upper case; other two-character codes (`T1`) as given; `"XX"` when unknown. */
export function countryOf(raw: string | null): string {
  if (raw === null) return "XX";
  const code = raw.trim();
  return COUNTRY.test(code) ? code.toUpperCase() : "XX";
}

/** A mobile host has the label `m` first (`m.wikidata.org`) or second (`en.m.wikipedia.org`). */
export function isMobileHost(host: string): boolean {
  // Without a dot, indexOf gives -1 and the second test is the first one again.
  return host.startsWith("m.") || host.startsWith("m.", host.indexOf(".") + 1);
}

/** The primary subtag of the first Accept-Language entry, lower case; "" when absent or `*`. */
export function languageOf(header: string | null): string {
  if (header === null) return "";
  const match = LEADING_LANGUAGE.exec(header);
  // A match always has its one group.
  return match === null ? "" : match[1]!.toLowerCase();
}

/** Whether any cookie name in the header matches the session pattern. */
export function hasSessionCookie(header: string | null, sessionCookie: RegExp): boolean {
  if (header === null) return false;
  let at = 0;
  while (at < header.length) {
    let end = header.indexOf(";", at);
    if (end < 0) end = header.length;
    const eq = header.indexOf("=", at);
    const name = header.slice(at, eq >= 0 && eq < end ? eq : end).trim();
    if (name !== "" && sessionCookie.test(name)) return true;
    at = end + 1;
  }
  return false;
}
