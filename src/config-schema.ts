import * as v from "valibot";
import { BUCKETS, COMMENT_KEY, CONSTANT_NAME, EXPERIMENT_NAME, GROUP_NAME, HOST_NAME, TARGETING_LIMITS } from "./contract.js";

/**
 * The Test Kitchen `authority=varnish` experiment config (contract §1) as valibot schemas:
 * structure, every name pattern and bound. Unknown keys are errors, as upstream; `_comment`
 * is allowed wherever upstream allows it. Rules that span fields (start < end, lo <= hi,
 * overlaps, look-alike names) are in config-parse.ts, so each problem is reported with its
 * own path.
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

const Comment = v.string("must be a string");

/**
 * An object keyed by names that match `key`, each value checked by `value`; a `_comment`
 * string beside them is allowed and dropped (contract §1: upstream allows it in `domains`
 * and in `groups`), so it is never taken for a host or a group. Not v.record: that skips
 * the keys "constructor" and "prototype" (its prototype-pollution guard), which are valid
 * group and host names here, so a group called "prototype" would silently vanish.
 */
function recordOf<TValue extends v.GenericSchema>(
  key: RegExp,
  keyMessage: string,
  value: TValue,
  notAnObject: string,
  empty: string,
  quick?: (input: unknown) => v.InferOutput<TValue> | undefined,
) {
  return v.pipe(
    v.custom<Record<string, unknown>>((input) => typeof input === "object" && input !== null && !Array.isArray(input), notAnObject),
    v.rawTransform(({ dataset, addIssue }) => {
      const input = dataset.value;
      const out: Record<string, v.InferOutput<TValue>> = {};
      const names = Object.keys(input).filter((name) => name !== COMMENT_KEY);
      if (Object.hasOwn(input, COMMENT_KEY) && typeof input[COMMENT_KEY] !== "string") {
        const step = { type: "object", origin: "value", input, key: COMMENT_KEY, value: input[COMMENT_KEY] } as const;
        addIssue({ message: "must be a string", path: [step] });
      }
      if (names.length === 0) addIssue({ message: empty });
      for (const name of names) {
        const keyOk = key.test(name);
        if (keyOk) {
          const fast = quick?.(input[name]);
          if (fast !== undefined) {
            out[name] = fast;
            continue;
          }
        }
        const step = { type: "object", origin: "value", input, key: name, value: input[name] } as const;
        if (!keyOk) {
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

const Groups = recordOf(GROUP_NAME, `group name must match ${GROUP_NAME.source}`, Range, "must be an object of group ranges", "needs at least one group");

const Rule = v.string("must be a rule (a string)");

const Allocation = v.strictObject(
  {
    rule: Rule,
    groups: Groups,
    _comment: v.optional(Comment),
  },
  (issue) => objectMessage(issue, "must be an object with a rule and groups"),
);

const Domain = v.strictObject(
  {
    unique_domain: v.optional(v.boolean("must be true or false")),
    _comment: v.optional(Comment),
    groups: Groups,
    allocations: v.optional(
      v.pipe(
        v.array(Allocation, "must be a list of allocations"),
        v.maxLength(TARGETING_LIMITS.allocations, `has more than ${TARGETING_LIMITS.allocations} allocations`),
      ),
    ),
  },
  (issue) => objectMessage(issue, "must be an object with groups"),
);

type GroupsOutput = Record<string, [number, number]>;
type DomainOutput = { unique_domain?: boolean; _comment?: string; groups: GroupsOutput };

// A JSON object: JSON.parse's objects have Object.prototype, so for-in sees own keys only.
function isJsonObject(input: unknown): input is Record<string, unknown> {
  return typeof input === "object" && input !== null && Object.getPrototypeOf(input) === Object.prototype;
}

function isBucket(x: unknown): x is number {
  // Number.isInteger is false for anything but a number.
  return Number.isInteger(x) && (x as number) >= 0 && (x as number) <= BUCKETS - 1;
}

// Groups as valibot would output them, or undefined when the schema must look (any doubt).
// `reuse`: the input itself when it already is that output (no _comment to drop).
function quickGroups(input: unknown, reuse: boolean): GroupsOutput | undefined {
  if (!isJsonObject(input)) return undefined;
  let any = false;
  let comment = false;
  for (const name in input) {
    const range = input[name];
    if (name === COMMENT_KEY) {
      if (typeof range !== "string") return undefined;
      comment = true;
      continue;
    }
    if (!Array.isArray(range) || range.length !== 2 || !GROUP_NAME.test(name) || !isBucket(range[0]) || !isBucket(range[1])) return undefined;
    any = true;
  }
  if (!any) return undefined;
  if (reuse && !comment) return input as GroupsOutput;
  const out: GroupsOutput = {};
  for (const name in input) if (name !== COMMENT_KEY) out[name] = [(input[name] as number[])[0]!, (input[name] as number[])[1]!];
  return out;
}

/**
 * Fast path for the usual domain (groups, optionally unique_domain and _comment; no
 * allocations): checked by hand and built exactly as the schema builds it (its key order
 * included), about 10 × cheaper, which is most of compiling a large config. Anything else,
 * and every invalid domain, goes through the schema, which also words the issues.
 * `reuse`: the input itself when it already is that output (the caller owns it).
 */
function quickDomain(input: unknown, reuse = false): DomainOutput | undefined {
  if (!isJsonObject(input)) return undefined;
  let groups: GroupsOutput | undefined;
  let unique: boolean | undefined;
  let comment: string | undefined;
  // The schema's output order is unique_domain, _comment, groups: is the input's the same?
  let rank = 0;
  let inOrder = true;
  for (const k in input) {
    const value = input[k];
    if (k === "groups") {
      groups = quickGroups(value, reuse);
      if (groups === undefined) return undefined;
      if (groups !== value) inOrder = false;
      rank = 3;
    } else if (k === "unique_domain" && typeof value === "boolean") {
      unique = value;
      if (rank > 1) inOrder = false;
      rank = 1;
    } else if (k === COMMENT_KEY && typeof value === "string") {
      comment = value;
      if (rank > 2) inOrder = false;
      rank = 2;
    } else return undefined;
  }
  if (groups === undefined) return undefined;
  if (reuse && inOrder) return input as DomainOutput;
  const out: DomainOutput = {} as DomainOutput;
  if (unique !== undefined) out.unique_domain = unique;
  if (comment !== undefined) out._comment = comment;
  out.groups = groups;
  return out;
}

const EXPERIMENT_KEYS = new Set(["start", "end", "cache_split", "shared_selector", COMMENT_KEY, "domains"]);

/**
 * Fast path for the usual experiment (no targeting keys), outside valibot: the same checks
 * as ExperimentSchema, the same output (key order included), or undefined to let the
 * schema decide and word the issues. `reuse` (the caller made `input` and hands it over,
 * as parseConfigText does with its own JSON.parse result) lets the output share the
 * input's domain objects where they already are the output, so a large config is not
 * copied object by object (allocation is most of compiling one).
 */
export function quickExperiment(input: unknown, reuse: boolean): ExperimentInput | undefined {
  if (!isJsonObject(input)) return undefined;
  for (const k in input) if (!EXPERIMENT_KEYS.has(k) || input[k] === undefined) return undefined;
  const { start, end, cache_split, shared_selector, _comment, domains } = input;
  if (typeof start !== "string" || !TIMESTAMP.test(start) || !isRealInstant(start)) return undefined;
  if (typeof end !== "string" || !TIMESTAMP.test(end) || !isRealInstant(end)) return undefined;
  if (cache_split !== undefined && typeof cache_split !== "boolean") return undefined;
  if (shared_selector !== undefined && (typeof shared_selector !== "string" || !EXPERIMENT_NAME.test(shared_selector))) return undefined;
  if (_comment !== undefined && typeof _comment !== "string") return undefined;
  if (!isJsonObject(domains)) return undefined;
  let out: Record<string, DomainOutput> | null = null;
  let any = false;
  for (const host in domains) {
    if (host === COMMENT_KEY) {
      if (typeof domains[host] !== "string") return undefined;
      out ??= copyUntil(domains, host);
      continue;
    }
    if (!HOST_NAME.test(host)) return undefined;
    const domain = quickDomain(domains[host], reuse);
    if (domain === undefined) return undefined;
    any = true;
    if (out === null && domain !== domains[host]) out = copyUntil(domains, host);
    if (out !== null) out[host] = domain;
  }
  if (!any) return undefined;
  const result: Record<string, unknown> = { start, end };
  if (cache_split !== undefined) result["cache_split"] = cache_split;
  if (shared_selector !== undefined) result["shared_selector"] = shared_selector;
  if (_comment !== undefined) result["_comment"] = _comment;
  result["domains"] = out ?? domains;
  return result as ExperimentInput;
}

// A copy of a domains object's entries before `stop` (all reused as they are). None of them
// is a _comment: quickExperiment starts the copy at the first one, if not before.
function copyUntil(domains: Record<string, unknown>, stop: string): Record<string, DomainOutput> {
  const out: Record<string, DomainOutput> = {};
  for (const host in domains) {
    if (host === stop) break;
    out[host] = domains[host] as DomainOutput;
  }
  return out;
}

// The inner union and list have no message of their own: what neither kind takes, the outer
// union words (an infinite number, alone or in a list, is the one failure a kind words itself).
const ConstantScalar = v.union([v.string(), v.pipe(v.number(), v.finite("must be a finite number")), v.boolean()]);

const Constant = v.union(
  [
    ConstantScalar,
    v.pipe(
      v.array(ConstantScalar),
      v.maxLength(TARGETING_LIMITS.constantListItems, `list has more than ${TARGETING_LIMITS.constantListItems} items`),
    ),
  ],
  "must be a string, a finite number, true or false, or a list of one of those",
);

const Constants = v.pipe(
  recordOf(CONSTANT_NAME, `constant name must match ${CONSTANT_NAME.source}`, Constant, "must be an object of named constants", "needs at least one constant"),
  v.check((c) => Object.keys(c).length <= TARGETING_LIMITS.constants, `has more than ${TARGETING_LIMITS.constants} constants`),
);

function experimentSchema(fast: boolean) {
  return v.strictObject(
    {
      start: Timestamp,
      end: Timestamp,
      cache_split: v.optional(v.boolean("must be true or false")),
      shared_selector: v.optional(v.pipe(v.string(), v.regex(EXPERIMENT_NAME, `must match ${EXPERIMENT_NAME.source}`))),
      _comment: v.optional(Comment),
      eligibility: v.optional(Rule),
      constants: v.optional(Constants),
      domains: recordOf(
        HOST_NAME,
        `host must be lower-case and match ${HOST_NAME.source}`,
        Domain,
        "must be an object keyed by host",
        "needs at least one domain",
        fast ? (input) => quickDomain(input) : undefined,
      ),
    },
    (issue) => objectMessage(issue, "experiment must be an object"),
  );
}

/** One experiment entry, structure only. */
export const ExperimentSchema = experimentSchema(true);

/** The same schema without its fast path for domains: what the fast paths are tested against. */
export const ReferenceExperimentSchema = experimentSchema(false);

export type ExperimentInput = v.InferOutput<typeof ExperimentSchema>;

// A strict object reports three things through one message hook: a key it does not know,
// a required key that is missing, and input that is not an object at all. valibot gives the
// hook a path for the first two only (the key), none when the input is no object.
function objectMessage(issue: v.BaseIssue<unknown>, notAnObject: string): string {
  if (issue.expected === "never") return "unknown key";
  if (issue.path !== undefined) return "is required";
  return notAnObject;
}

// Fast path: experiments share a few start and end times, and formatting a Date back costs
// about 2 µs, so verdicts are remembered (bounded: a config holds at most a few thousand).
const instants = new Map<string, boolean>();

function isRealInstant(s: string): boolean {
  let real = instants.get(s);
  if (real === undefined) {
    const ms = Date.parse(s);
    real = Number.isFinite(ms) && new Date(ms).toISOString().replace(".000Z", "Z") === s;
    if (instants.size >= 10_000) instants.clear();
    instants.set(s, real);
  }
  return real;
}
