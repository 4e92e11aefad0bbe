/**
 * Host names as the contract uses them (contract §7): lower-cased, a trailing dot dropped,
 * any port ignored, both for matching config `domains` and for the cookie `Domain`.
 */

import { getDomain, getPublicSuffix } from "tldts";

/** Normalises a URL hostname or a Host-like value. */
export function normaliseHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[")) {
    const close = h.indexOf("]");
    return close < 0 ? h : h.slice(0, close + 1);
  }
  const colon = h.indexOf(":");
  if (colon >= 0) h = h.slice(0, colon);
  while (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

// Both sections of the Public Suffix List: browsers refuse a cookie scoped to a private
// suffix (github.io, workers.dev) just as they refuse one scoped to com.ua, so the worker
// must know those too. The list is the one tldts ships, pinned in package.json.
const PSL_OPTIONS = { allowPrivateDomains: true } as const;

/**
 * The registrable domain a cookie should be scoped to, from the Public Suffix List
 * (`en.m.wikipedia.org` -> `wikipedia.org`, `wiki.example.github.io` -> `example.github.io`),
 * or null when the cookie must stay host-only: IP literals, `localhost` and `*.localhost`,
 * a host that is itself a public suffix (`co.uk`, `github.io`), or no valid host name.
 * A `Domain` browsers would refuse is never returned, since a refused cookie means no
 * stickiness at all. About 0.6 µs warm (bench: `registrableDomain`), but the list's
 * tables are built when the module loads and the first call runs cold code: callers look
 * a host up once and remember it (worker/cookie-domain.ts).
 */
export function registrableDomain(host: string): string | null {
  const h = normaliseHost(host);
  // `*.localhost` is a development convention: scope to the host itself.
  if (h.endsWith(".localhost")) return null;
  // tldts answers null for "", IP literals (bracketed or not), single labels such as
  // `localhost`, and invalid names; test/src/host.test.ts pins each of them.
  return getDomain(h, PSL_OPTIONS);
}

/**
 * Why a browser would refuse a cookie with `Domain=domain` set by `host` (RFC 6265 §5.3:
 * the host must be the domain or under it, and the domain no public suffix), or null when
 * it keeps it. For checking a fixed COOKIE_DOMAIN, which no lookup vouches for.
 */
export function domainRefusal(host: string, domain: string): string | null {
  const h = normaliseHost(host);
  const d = normaliseHost(domain.startsWith(".") ? domain.slice(1) : domain);
  if (h !== d && !h.endsWith(`.${d}`)) return `${h} is neither ${d} nor under it`;
  if (h !== d && getPublicSuffix(d, PSL_OPTIONS) === d) return `${d} is a public suffix`;
  return null;
}
