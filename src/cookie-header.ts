/**
 * Reading and stripping `WMF-Uniq` in a request's `Cookie` header, in one pass.
 *
 * The name matches case-insensitively (`WMF-Uniq`, `wmf-uniq`, …). Values are taken raw
 * (only surrounding spaces trimmed, no unquoting, no percent-decoding): an altered value
 * must fail verification, not be "repaired". Every other cookie is kept byte for byte, in
 * order, for the origin.
 */

/** What the header held: every `WMF-Uniq` value in order, and the header without them. */
export interface CookieScan {
  readonly values: string[];
  /** The header for the origin; null when nothing else is left (drop the header). */
  readonly rest: string | null;
}

// Our names and their "=", anywhere; a match counts only at the start of a pair.
const UNIQ_NAME = /wmf-uniq[ \t]*=/gi;
/** `WMF-Preview` (contract §10), for scanCookieHeader's `name`. */
export const PREVIEW_NAME = /wmf-preview[ \t]*=/gi;

/**
 * Scans a Cookie header for `WMF-Uniq` (or, given `name`, another of our cookies). Fast path: one case-insensitive regex search for the name finds
 * our pairs without walking the other cookies (16 KB of them cost one scan, no per-pair
 * work), and each pair found is cut out of the text; no match: the header as it came.
 */
export function scanCookieHeader(header: string | null, name: RegExp = UNIQ_NAME): CookieScan {
  if (!header) return { values: [], rest: null }; // null or ""
  const NAME = name;
  NAME.lastIndex = 0;
  let m = NAME.exec(header);
  const values: string[] = [];
  const len = header.length;
  let rest = "";
  let keptFrom = 0;
  while (m !== null) {
    // A pair starts after ";" (or at the start) and optional spaces: "x=wmf-uniq=" is a value.
    let b = m.index - 1;
    // Before the start, charCodeAt is NaN: the walk stops at -1.
    while (header.charCodeAt(b) === 32 || header.charCodeAt(b) === 9) b--;
    if (b < 0 || header.charCodeAt(b) === 59 /* ; */) {
      let end = header.indexOf(";", NAME.lastIndex);
      if (end < 0) end = len;
      values.push(header.slice(NAME.lastIndex, end).trim());
      // Drop the pair with its own separator: "a=1; WMF-Uniq=x; b=2" -> "a=1; b=2".
      rest += header.slice(keptFrom, b + 1);
      keptFrom = end + 1;
      NAME.lastIndex = end;
    }
    m = NAME.exec(header);
  }
  // No pair of ours (no match, or only inside values): the header as it came.
  if (values.length === 0) return { values, rest: header };
  rest += header.slice(keptFrom); // past the end (the last pair ran to it): ""
  // Trim separators and spaces left at either end; nothing left: drop the header.
  let from = 0;
  let to = rest.length;
  while (isSeparator(rest.charCodeAt(from))) from++; // past the end, charCodeAt is NaN
  while (to > from && isSeparator(rest.charCodeAt(to - 1))) to--;
  return { values, rest: from === to ? null : rest.slice(from, to) };
}

function isSeparator(c: number): boolean {
  return c === 59 /* ; */ || c === 32 || c === 9 || c === 10 || c === 13;
}
