import * as v from "valibot";
import { BUCKETS, EXPERIMENT_NAME, GROUP_NAME, HOST_NAME } from "./contract.js";

/**
 * The Test Kitchen `authority=varnish` experiment config (contract §1) as valibot schemas:
 * structure, every name pattern and bound. Unknown keys are errors, as upstream. Rules
 * that span fields (start < end, lo <= hi, overlaps, names differing only by case) are
 * checked by parseConfig in config-parse.ts, so each problem is reported with its own path.
 */

// UTC, whole seconds, ending in Z.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const Timestamp = v.pipe(
  v.string(),
  v.regex(TIMESTAMP, "must be a UTC timestamp like 2025-06-01T14:30:00Z (no fractions, ending in Z)"),
  v.check(isRealInstant, "is not a real calendar date and time"),
);

const Bucket = v.pipe(
  v.number("must be a number"),
  v.integer("must be an integer"),
  v.minValue(0, "must be >= 0"),
  v.maxValue(BUCKETS - 1, `must be <= ${BUCKETS - 1}`),
);

const Range = v.strictTuple([Bucket, Bucket], "must be a [first, last] pair of bucket numbers");

/**
 * An object keyed by names that match `key`, each value checked by `value`. Not v.record:
 * that skips the keys "constructor" and "prototype" (its prototype-pollution guard), which
 * are valid group and host names here, so a group called "prototype" would silently vanish.
 */
function recordOf<TValue extends v.GenericSchema>(key: RegExp, keyMessage: string, value: TValue, notAnObject: string, empty: string) {
  return v.pipe(
    v.custom<Record<string, unknown>>((input) => typeof input === "object" && input !== null && !Array.isArray(input), notAnObject),
    v.rawTransform(({ dataset, addIssue }) => {
      const input = dataset.value;
      const out: Record<string, v.InferOutput<TValue>> = {};
      const names = Object.keys(input);
      if (names.length === 0) addIssue({ message: empty });
      for (const name of names) {
        const step = { type: "object", origin: "value", input, key: name, value: input[name] } as const;
        if (!key.test(name)) {
          addIssue({ message: keyMessage, path: [{ ...step, origin: "key" }] });
          continue;
        }
        const parsed = v.safeParse(value, input[name]);
        if (!parsed.success) {
          for (const issue of parsed.issues) addIssue({ message: issue.message, path: [step, ...(issue.path ?? [])] });
          continue;
        }
        // Plain assignment is safe: no valid name can be "__proto__" (names start with a
        // letter or digit), and "constructor"/"prototype" become own properties.
        out[name] = parsed.output;
      }
      return out;
    }),
  );
}

const Domain = v.strictObject(
  {
    unique_domain: v.optional(v.boolean("must be true or false")),
    groups: recordOf(GROUP_NAME, `group name must match ${GROUP_NAME.source}`, Range, "must be an object of group ranges", "needs at least one group"),
  },
  (issue) => objectMessage(issue, "must be an object with groups"),
);

/** One experiment entry, structure only. */
export const ExperimentSchema = v.strictObject(
  {
    start: Timestamp,
    end: Timestamp,
    cache_split: v.optional(v.boolean("must be true or false")),
    shared_selector: v.optional(v.pipe(v.string(), v.regex(EXPERIMENT_NAME, `must match ${EXPERIMENT_NAME.source}`))),
    _comment: v.optional(v.string()),
    domains: recordOf(HOST_NAME, `host must be lower-case and match ${HOST_NAME.source}`, Domain, "must be an object keyed by host", "needs at least one domain"),
  },
  (issue) => objectMessage(issue, "experiment must be an object"),
);

export type ExperimentInput = v.InferOutput<typeof ExperimentSchema>;

// A strict object reports three things through one message hook: a key it does not know,
// a required key that is missing, and input that is not an object at all.
function objectMessage(issue: v.BaseIssue<unknown>, notAnObject: string): string {
  if (issue.expected === "never") return "unknown key";
  if (issue.received === "undefined" && issue.path && issue.path.length > 0) return "is required";
  return notAnObject;
}

function isRealInstant(s: string): boolean {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && new Date(ms).toISOString().replace(".000Z", "Z") === s;
}
