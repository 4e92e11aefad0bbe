import { PREVIEW_PARAM } from "./contract.js";

/**
 * The `?wmf-preview=` parameter of a preview link (contract §10): found in a query string
 * and cut out of it, every other parameter kept byte for byte and in order, so the 302
 * lands on the URL the tester meant.
 */

/**
 * The parameter's first value (percent-decoded), or null when the query has none. The name
 * counts only as written, `wmf-preview` (as every link the tool makes spells it), never
 * percent-encoded: the fast path below sees only that spelling, so whether a query is a
 * link never depends on what else it holds.
 */
export function previewParam(search: string): string | null {
  // Fast path: almost no request carries the parameter; one substring search rules it out.
  if (!search.includes(PREVIEW_PARAM)) return null;
  for (const part of parts(search)) {
    if (isPreviewPart(part)) {
      const eq = part.indexOf("=");
      return eq < 0 ? "" : decode(part.slice(eq + 1));
    }
  }
  return null;
}

/**
 * The absolute URL to redirect to: the request's own scheme and host, its path as it is
 * (a path like `//evil.example` stays a path on this host), the query without the parameter.
 */
export function previewRedirect(protocol: string, host: string, pathname: string, search: string): string {
  const kept = parts(search).filter((part) => !isPreviewPart(part));
  return `${protocol}//${host}${pathname}${kept.length === 0 ? "" : `?${kept.join("&")}`}`;
}

// `wmf-preview=…` or a bare `wmf-preview`, the name exactly as written.
function isPreviewPart(part: string): boolean {
  return part.startsWith(PREVIEW_PARAM) && (part.length === PREVIEW_PARAM.length || part.charCodeAt(PREVIEW_PARAM.length) === 61 /* = */);
}

function parts(search: string): string[] {
  const q = search.startsWith("?") ? search.slice(1) : search;
  // Empty parts (`a=1&&b=2`, a trailing `&`) are dropped; "" splits to one empty part.
  return q.split("&").filter((p) => p !== "");
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}
