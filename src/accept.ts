/**
 * Content negotiation for the status route: a browser (which lists `text/html` first and
 * everything else at a lower q) gets the page, while curl (`*\/*`), scripts asking for JSON
 * and clients sending no Accept at all keep getting JSON, as before. Ties go to JSON, so
 * nothing that worked with the JSON body changes.
 */

/** True when `accept` ranks text/html strictly above application/json (RFC 9110 §12.5.1). */
export function prefersHtml(accept: string | null): boolean {
  if (accept === null) return false;
  const html = quality(accept, "text", "html");
  return html > 0 && html > quality(accept, "application", "json");
}

// The q of the most specific media range that matches type/subtype; 0 when none does.
function quality(accept: string, type: string, subtype: string): number {
  let best = -1;
  let q = 0;
  for (const part of accept.split(",")) {
    const [range = "", ...params] = part.split(";");
    const [t = "", s = ""] = range.trim().toLowerCase().split("/");
    const specificity = t === type && s === subtype ? 3 : t === type && s === "*" ? 2 : t === "*" && s === "*" ? 1 : 0;
    if (specificity <= best || specificity === 0) continue;
    best = specificity;
    q = 1;
    for (const p of params) {
      const [k = "", v = ""] = p.split("=");
      if (k.trim().toLowerCase() !== "q") continue;
      const n = Number(v.trim());
      q = Number.isFinite(n) && v.trim() !== "" ? Math.min(1, Math.max(0, n)) : 1;
    }
  }
  return q;
}
