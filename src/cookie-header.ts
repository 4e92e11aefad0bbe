/**
 * Reading and stripping `WMF-Uniq` in a request's `Cookie` header, in one pass.
 *
 * The name matches case-insensitively (`WMF-Uniq`, `wmf-uniq`, …). Values are taken raw
 * (only surrounding spaces trimmed, no unquoting, no percent-decoding): an altered value
 * must fail verification, not be "repaired". Every other cookie is kept byte for byte, in
 * order, for the origin.
 */

export const UNIQ_COOKIE = "WMF-Uniq";

/** What the header held: every `WMF-Uniq` value in order, and the header without them. */
export interface CookieScan {
  readonly values: string[];
  /** The header for the origin; null when nothing else is left (drop the header). */
  readonly rest: string | null;
}

/** Scans a Cookie header. Fast path: no `uniq` anywhere means nothing to find or strip. */
export function scanCookieHeader(header: string | null): CookieScan {
  if (header === null || header === "") return { values: [], rest: null };
  // Cheap pre-check; any casing of the name contains one of these spellings of "uniq".
  if (!/uniq/i.test(header)) return { values: [], rest: header };
  const values: string[] = [];
  const kept: string[] = [];
  let start = 0;
  const len = header.length;
  while (start <= len) {
    let end = header.indexOf(";", start);
    if (end < 0) end = len;
    const pair = header.slice(start, end);
    const eq = pair.indexOf("=");
    const name = (eq < 0 ? "" : pair.slice(0, eq)).trim();
    if (name.length === 8 && name.toLowerCase() === "wmf-uniq") {
      values.push(pair.slice(eq + 1).trim());
    } else if (pair.trim() !== "") {
      kept.push(pair.trim());
    }
    start = end + 1;
  }
  return { values, rest: kept.length === 0 ? null : kept.join("; ") };
}
