/**
 * The `Vary` rewrite of contract §5: `X-Experiment-Enrollments` is a token for the edge
 * only. It is removed before delivery; the rest stays, comma-space joined.
 */

/** Result of rewriting: the new value (null: drop the header) and whether we were listed. */
export interface VaryRewrite {
  readonly value: string | null;
  readonly variesOnEnrollments: boolean;
}

/** Rewrites a Vary value (several Vary headers arrive comma-joined). */
export function rewriteVary(value: string | null): VaryRewrite {
  if (value === null) return { value: null, variesOnEnrollments: false };
  // Fast path: most responses do not mention us at all.
  if (!/x-experiment-enrollments/i.test(value)) return { value, variesOnEnrollments: false };
  const rest: string[] = [];
  let listed = false;
  for (const token of value.split(",")) {
    const t = token.trim();
    if (t === "") continue;
    if (t.toLowerCase() === "x-experiment-enrollments") listed = true;
    else rest.push(t);
  }
  if (!listed) return { value, variesOnEnrollments: false };
  return { value: rest.length === 0 ? null : rest.join(", "), variesOnEnrollments: true };
}
