/**
 * Host names as the contract uses them (contract §7): lower-cased, a trailing dot dropped,
 * any port ignored, both for matching config `domains` and for the cookie `Domain`.
 */

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

// Public suffixes of more than one label that a wiki farm might plausibly sit under. Not
// the whole Public Suffix List: operators with unusual domains set COOKIE_DOMAIN.
const MULTI_LABEL_SUFFIXES = new Set([
  "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk",
  "com.au", "net.au", "org.au", "edu.au", "co.nz", "org.nz", "co.jp", "or.jp", "ne.jp",
  "com.br", "org.br", "com.cn", "org.cn", "co.in", "org.in", "co.za", "org.za",
  "com.mx", "com.ar", "com.tr", "co.kr", "or.kr", "com.tw", "org.tw", "co.il", "org.il",
]);

/**
 * The registrable domain a cookie should be scoped to (`en.m.wikipedia.org` ->
 * `wikipedia.org`), or null when the cookie must stay host-only (IP literals, single-label
 * hosts such as `localhost`, or a host that is itself a public suffix).
 */
export function registrableDomain(host: string): string | null {
  const h = normaliseHost(host);
  if (h.startsWith("[") || /^[0-9.]+$/.test(h)) return null;
  const labels = h.split(".");
  if (labels.length < 2) return null;
  const lastTwo = labels.slice(-2).join(".");
  if (MULTI_LABEL_SUFFIXES.has(lastTwo)) {
    return labels.length < 3 ? null : labels.slice(-3).join(".");
  }
  // `*.localhost` is a development convention: scope to the host itself.
  if (labels[labels.length - 1] === "localhost") return null;
  return lastTwo;
}
