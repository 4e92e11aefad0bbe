/**
 * Content negotiation for the status route: a browser (which lists `text/html` first and
 * everything else at a lower q) gets the page, while curl (`*\/*`), scripts asking for JSON
 * and clients sending no Accept at all keep getting JSON, as before. Ties go to JSON, so
 * nothing that worked with the JSON body changes.
 */

/** True when `accept` ranks text/html strictly above application/json (RFC 9110 §12.5.1). */
export function prefersHtml(accept: string | null): boolean {
  if (accept === null) return false;
  // A q is never below 0, so html wins only with a q above 0: no separate check for 0.
  return quality(accept, "text", "html") > quality(accept, "application", "json");
}

// A weight as RFC 9110 §12.4.2 writes it: "0" or "1", up to three decimals. Any other
// `q` parameter is ignored, and the range keeps the default weight 1.
const WEIGHT = /^q=([01](?:\.\d{0,3})?)$/i;

// The q of the most specific media range that matches type/subtype; 0 when none does.
function quality(accept: string, type: string, subtype: string): number {
  const exact = `${type}/${subtype}`;
  const anySubtype = `${type}/*`;
  let best = 0;
  let q = 0;
  for (const part of accept.split(",")) {
    // split always gives at least one piece, the range before any parameter.
    const [range, ...params] = part.split(";") as [string, ...string[]];
    const r = range.trim().toLowerCase();
    const specificity = r === exact ? 3 : r === anySubtype ? 2 : r === "*/*" ? 1 : 0;
    // The first of equally specific ranges counts.
    if (specificity <= best) continue;
    best = specificity;
    q = 1;
    for (const p of params) {
      const weight = WEIGHT.exec(p.trim());
      if (weight !== null) q = Math.min(1, Number(weight[1]));
    }
  }
  return q;
}
