import { registrableDomain } from "../src/host.js";

/**
 * The cookie `Domain` per host, remembered per isolate: the Public Suffix List lookup runs
 * once per host (a site has a bounded set of hosts), never per request, and only when a
 * cookie is minted. The same bounded map is what the status page shows (for the config's
 * hosts), so an operator can see the domain each host's cookies actually get.
 */

/** Hosts remembered before the map starts over (a flood of made-up Host values cannot grow it). */
export const COOKIE_DOMAIN_MEMO_LIMIT = 1000;

const domains = new Map<string, string | null>();
let memoOverride: string | null = null;

/**
 * The `Domain` for a cookie minted on `host` (already normalised): `override`
 * (COOKIE_DOMAIN) when set, else the host's registrable domain; null = host-only.
 */
export function cookieDomainFor(host: string, override: string | null): string | null {
  if (override !== memoOverride) {
    domains.clear();
    memoOverride = override;
  }
  let domain = domains.get(host);
  if (domain === undefined) {
    if (domains.size >= COOKIE_DOMAIN_MEMO_LIMIT) domains.clear();
    domain = override ?? registrableDomain(host);
    domains.set(host, domain);
  }
  return domain;
}

/**
 * Host -> Domain in use (null = host-only) for the hosts this isolate has minted a cookie
 * on that `shown` accepts: the status page passes the config's hosts, so it never echoes a
 * Host value a client made up.
 */
export function cookieDomainsInUse(shown: (host: string) => boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [host, domain] of domains) if (shown(host)) out[host] = domain;
  return out;
}
