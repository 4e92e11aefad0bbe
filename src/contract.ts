/**
 * The constants of the wire contract (docs/contract.md), in one place so no literal drifts:
 * bucket space, name patterns, header and cookie names, the upstream defaults and bounds.
 */

/** Bucket space: buckets are 0..BUCKETS-1 (contract §1, §3). */
export const BUCKETS = 100_000;
/** Experiment names and `shared_selector` (contract §1). */
export const EXPERIMENT_NAME = /^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$/;
/** Group names (contract §1). */
export const GROUP_NAME = /^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$/;
/** Host names as keys of `domains` (contract §1). */
export const HOST_NAME = /^[a-z0-9][-_.a-z0-9]{0,254}$/;
/**
 * The comment key, allowed (a string, ignored) at the root, in an experiment, in `domains`,
 * in a domain and in `groups`, and allowed to repeat (contract §1). No experiment, host or
 * group name can be spelled like it: all three patterns start with a letter or digit.
 */
export const COMMENT_KEY = "_comment";

/** The identity cookie (contract §2); read case-insensitively, always set with this spelling. */
export const UNIQ_COOKIE = "WMF-Uniq";
/** Cookie lifetime in days: the token is re-minted after it expires (contract §2). */
export const COOKIE_LIFETIME_DAYS = 365;

/** The preview link's query parameter and cookie (contract §10). */
export const PREVIEW_PARAM = "wmf-preview";
export const PREVIEW_COOKIE = "WMF-Preview";

/**
 * The group name MediaWiki cannot receive (contract §4). Its header parser drops falsy
 * parts, and in PHP the string "0" is falsy, so `exp=0;` loses its group, the pair counts
 * as malformed and the whole header is voided: one such pair would un-enroll the visitor
 * from every experiment at the origin. It is the only falsy string a group name can be.
 */
export const WITHHELD_GROUP = "0";

/** The enrollment header to the origin (contract §4). */
export const ENROLLMENTS_HEADER = "X-Experiment-Enrollments";
/** The Server-Timing entry name the browser SDK reads (contract §4). */
export const SERVER_TIMING_NAME = "WMF-Uniq";

/** Where Test Kitchen publishes the config (contract §1). */
export const DEFAULT_CONFIG_URL = "https://test-kitchen.wikimedia.org/api/v1/experiments?format=config&authority=varnish";
/** The event intake path (contract §4). */
export const DEFAULT_EVENTS_PATH = "/evt-103e/v2/events";
/** Config body cap: a runaway response cannot exhaust the isolate (contract §7). */
export const MAX_CONFIG_BYTES = 5 * 1024 * 1024;
/** The poll timeout, and its upper bound (contract §7). */
export const MAX_POLL_TIMEOUT_MS = 10_000;

// Bounds the contract names (§4, §8, §10): a hostile config or token meets them first.

/** Bounds against hostile configs, named in contract §8. */
export const RULE_LIMITS = {
  /** Characters in one rule as written (with any `${...}` wrapper). */
  length: 2_000,
  /** Nesting of parentheses and `!`. */
  depth: 16,
  /** Items in one list literal. */
  listItems: 256,
} as const;

/** Bounds of the targeting keys (contract §8) against hostile configs. */
export const TARGETING_LIMITS = {
  /** Constants per experiment. */
  constants: 64,
  /** Items in one list constant. */
  constantListItems: 1_000,
  /** Allocations per domain. */
  allocations: 16,
} as const;

/** Constant names: identifiers (contract §8). */
export const CONSTANT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * At most this many live experiments are evaluated for one request (in config order, contract §1);
 * the rest are skipped and reported, so a runaway config cannot blow up header sizes or
 * request CPU. 128 pairs of maximal names stay under the 16 KB header limits of common
 * origins; realistic names give a few KB.
 */
export const MAX_LIVE_EXPERIMENTS = 128;

/** Longest TTL a link may have; the worker refuses a token that claims more (contract §10). */
export const MAX_PREVIEW_TTL_MS = 7 * 86_400_000;

/** Pairs one preview token may force (contract §10). */
export const MAX_PREVIEW_PAIRS = 32;

/** Characters of a preview token: anything longer is refused before it is decoded (contract §10). */
export const MAX_PREVIEW_TOKEN_LENGTH = 2_048;

