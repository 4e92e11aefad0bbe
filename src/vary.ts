/**
 * The response's `Vary` header, parsed once for both of its readers (contract §5):
 * delivery, where `X-Experiment-Enrollments` is a token for the edge only and is removed
 * (the rest stays, comma-space joined), and the split cache, which keys a stored copy on
 * every request header the origin says the response varies on.
 */

/** A response's `Vary`, read once. */
export interface Vary {
  /** The value delivered to the browser: our token removed (null: send no Vary). */
  readonly value: string | null;
  /** The origin listed `X-Experiment-Enrollments`. */
  readonly variesOnEnrollments: boolean;
  /**
   * What a cache must key on: lower-cased, unique, sorted names (our token included when
   * listed), without Accept-Encoding (the platform decompresses and re-encodes per client);
   * null for `Vary: *`, which no cache can honour.
   */
  readonly keyed: readonly string[] | null;
}

/** Our token, as `keyed` lists it. */
export const ENROLLMENTS_TOKEN = "x-experiment-enrollments";

const NONE: Vary = Object.freeze({ value: null, variesOnEnrollments: false, keyed: Object.freeze([]) });

// Fast path: an origin sends the same Vary on page after page, so the last value's parse is
// kept and handed out again (results are frozen, so sharing one is safe).
let lastValue: string | null = null;
let lastVary: Vary = NONE;

/** Parses a Vary value (several Vary headers arrive comma-joined); null = no header. */
export function parseVary(value: string | null): Vary {
  if (value === null) return NONE;
  if (value === lastValue) return lastVary;
  const vary = parse(value);
  Object.freeze(vary.keyed);
  lastValue = value;
  lastVary = Object.freeze(vary);
  return lastVary;
}

function parse(value: string): Vary {
  // One name (most often `Accept-Encoding`) needs no split, set or sort.
  if (!value.includes(",")) return single(value);
  const rest: string[] = [];
  const keyed = new Set<string>();
  let listed = false;
  let star = false;
  for (const token of value.split(",")) {
    const t = token.trim();
    if (t === "") continue;
    const lower = t.toLowerCase();
    if (lower === ENROLLMENTS_TOKEN) listed = true;
    else rest.push(t);
    if (lower === "*") star = true;
    else if (lower !== "accept-encoding") keyed.add(lower);
  }
  return {
    value: !listed ? value : rest.length === 0 ? null : rest.join(", "),
    variesOnEnrollments: listed,
    keyed: star ? null : [...keyed].sort(),
  };
}

function single(value: string): Vary {
  const lower = value.trim().toLowerCase();
  if (lower === ENROLLMENTS_TOKEN) return { value: null, variesOnEnrollments: true, keyed: [ENROLLMENTS_TOKEN] };
  if (lower === "*") return { value, variesOnEnrollments: false, keyed: null };
  return { value, variesOnEnrollments: false, keyed: lower === "" || lower === "accept-encoding" ? [] : [lower] };
}
