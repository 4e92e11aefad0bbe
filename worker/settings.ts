import * as v from "valibot";
import { DEFAULT_CONFIG_URL, DEFAULT_EVENTS_PATH, HOST_NAME, MAX_POLL_TIMEOUT_MS } from "../src/contract.js";
import type { BotPolicy } from "../src/bots.js";
import { parseKeyRing, type KeyRing } from "../src/keyring.js";
import { DEFAULT_SESSION_COOKIE_PATTERN } from "../src/request-context.js";
import type { Env } from "./env.js";
import { log } from "./log.js";

/**
 * Settings, parsed from the environment once per isolate (per env object). A bad value is
 * a clear, logged error and falls back to its safe default, so a typo in a var never
 * takes the site down: the worker keeps proxying and says what is wrong on the status
 * endpoint.
 */

export interface Settings {
  readonly configUrl: string;
  /** Origin base (scheme, host, optional path prefix without trailing slash); null = the request's own URL. */
  readonly originBase: string | null;
  readonly eventsPath: string;
  /** Fixed cookie Domain; null = the request host's registrable domain. */
  readonly cookieDomain: string | null;
  readonly configRefreshMs: number;
  /** Config poll timeout, ms (at most 10 s, contract §7). */
  readonly pollTimeoutMs: number;
  readonly disabledByVar: boolean;
  /** contract §9: keep bots out of experiments (`exclude`) or treat them like anyone. */
  readonly botPolicy: BotPolicy;
  /** contract §8: names of session cookies, for `loggedIn`. */
  readonly sessionCookie: RegExp;
  /** False where there is no Cache API (self-hosted): pages go straight to the origin, whose cache splits on the enrollments. */
  readonly splitCache: boolean;
  /** False where another listener serves the status page (self-hosted): the path is proxied like any page. */
  readonly statusRoute: boolean;
  /** Lower-cased name of the trusted header carrying the visitor's country; null = `request.cf.country`. */
  readonly countryHeader: string | null;
  /** null when UNIQ_KEYS is missing or malformed: nothing is minted or enrolled. */
  readonly keyRing: KeyRing | null;
  readonly keyRingError: string | null;
  /** contract §10: the preview key ring; null = previews off (unset, malformed, or sharing a key with UNIQ_KEYS). */
  readonly previewKeyRing: KeyRing | null;
  readonly previewKeyRingError: string | null;
  /** Problems found in the vars (names and reasons only, never values of secrets). */
  readonly errors: readonly string[];
}

// RFC 9110 field name (token).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

const HttpUrl = v.pipe(v.string(), v.trim(), v.url(), v.check((s) => /^https?:\/\//i.test(s), "must be an http(s) URL"));

const Fields = {
  CONFIG_URL: v.optional(HttpUrl, DEFAULT_CONFIG_URL),
  ORIGIN_URL: v.optional(
    v.union([v.literal(""), v.pipe(HttpUrl, v.check((s) => !/[?#]/.test(s), "must not have a query or fragment"))], "must be empty or an http(s) URL"),
    "",
  ),
  EVENTS_PATH: v.optional(v.pipe(v.string(), v.regex(/^\/[^?#\s]*$/, "must be a path starting with /")), DEFAULT_EVENTS_PATH),
  COOKIE_DOMAIN: v.optional(
    v.union([v.literal(""), v.pipe(v.string(), v.regex(HOST_NAME, "must be a lower-case domain"))], "must be empty or a lower-case domain"),
    "",
  ),
  CONFIG_REFRESH_MS: v.optional(
    v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number of ms"), v.transform(Number), v.minValue(1000, "must be >= 1000"), v.maxValue(60_000, "must be <= 60000")),
    "5000",
  ),
  CONFIG_POLL_TIMEOUT_MS: v.optional(
    v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number of ms"), v.transform(Number), v.minValue(100, "must be >= 100"), v.maxValue(MAX_POLL_TIMEOUT_MS, `must be <= ${MAX_POLL_TIMEOUT_MS}`)),
    String(MAX_POLL_TIMEOUT_MS),
  ),
  ENROLLMENT_DISABLED: v.optional(v.picklist(["", "true", "false"], 'must be "true", "false" or empty'), ""),
  BOT_POLICY: v.optional(v.picklist(["exclude", "include"], 'must be "exclude" or "include"'), "exclude"),
  SESSION_COOKIE_PATTERN: v.optional(
    v.pipe(v.string(), v.maxLength(200, "must be at most 200 characters"), v.check(compiles, "must be a valid regular expression")),
    DEFAULT_SESSION_COOKIE_PATTERN,
  ),
  SPLIT_CACHE: v.optional(v.picklist(["", "on", "off"], 'must be "on", "off" or empty'), ""),
  STATUS_ROUTE: v.optional(v.picklist(["", "on", "off"], 'must be "on", "off" or empty'), ""),
  COUNTRY_HEADER: v.optional(
    v.union([v.literal(""), v.pipe(v.string(), v.regex(HEADER_NAME, "must be a header name"), v.toLowerCase())], "must be empty or a header name"),
    "",
  ),
} as const;

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

// Per env object: one isolate may serve several (the self-hosted admin entrypoint has its
// own). Fast path: the env of the previous call, an identity check.
const parsed = new WeakMap<Env, Settings>();
let last: { env: Env; settings: Settings } | null = null;

/** Settings for this env, parsed on first use and kept for the isolate's life. */
export function getSettings(env: Env): Settings {
  if (last !== null && last.env === env) return last.settings;
  const known = parsed.get(env);
  if (known !== undefined) {
    last = { env, settings: known };
    return known;
  }
  const settings = parseSettings(env);
  parsed.set(env, settings);
  last = { env, settings };
  if (settings.errors.length > 0) log("error", "settings.invalid", { errors: settings.errors });
  if (settings.keyRingError !== null) {
    log("error", "settings.key_ring_unusable", { error: settings.keyRingError, effect: "nothing is minted or enrolled; requests pass through" });
  } else if (settings.keyRing?.usesDevelopmentKey) {
    log("warn", "settings.development_key", { message: "UNIQ_KEYS contains the committed development key; never use it in production" });
  }
  if (settings.previewKeyRingError !== null) {
    log("error", "settings.preview_keys_unusable", { error: settings.previewKeyRingError, effect: "preview links are off" });
  } else if (settings.previewKeyRing?.usesDevelopmentKey) {
    log("warn", "settings.development_preview_key", { message: "PREVIEW_KEYS contains the committed development key; never use it in production" });
  }
  return settings;
}

/** Pure parse of the vars; exported for tests. */
export function parseSettings(env: Env): Settings {
  const errors: string[] = [];
  const field = <K extends keyof typeof Fields>(name: K): v.InferOutput<(typeof Fields)[K]> => {
    const schema = Fields[name];
    const raw = env[name];
    const result = v.safeParse(schema, raw);
    if (result.success) return result.output as v.InferOutput<(typeof Fields)[K]>;
    errors.push(`${name}: ${result.issues[0]?.message ?? "invalid"}; using the default`);
    return v.parse(schema, undefined) as v.InferOutput<(typeof Fields)[K]>;
  };
  const origin = field("ORIGIN_URL");
  const ring = parseKeyRing(env.UNIQ_KEYS);
  const preview = previewRing(env.PREVIEW_KEYS, env.UNIQ_KEYS);
  return {
    configUrl: field("CONFIG_URL"),
    originBase: origin === "" ? null : origin.replace(/\/+$/, ""),
    eventsPath: field("EVENTS_PATH"),
    cookieDomain: field("COOKIE_DOMAIN") || null,
    configRefreshMs: Number(field("CONFIG_REFRESH_MS")),
    pollTimeoutMs: Number(field("CONFIG_POLL_TIMEOUT_MS")),
    disabledByVar: field("ENROLLMENT_DISABLED") === "true",
    botPolicy: field("BOT_POLICY"),
    sessionCookie: new RegExp(field("SESSION_COOKIE_PATTERN")),
    splitCache: field("SPLIT_CACHE") !== "off",
    statusRoute: field("STATUS_ROUTE") !== "off",
    countryHeader: field("COUNTRY_HEADER") || null,
    keyRing: ring.ok ? ring.ring : null,
    keyRingError: ring.ok ? null : `UNIQ_KEYS: ${ring.error}`,
    previewKeyRing: preview.ring,
    previewKeyRingError: preview.error,
    errors,
  };
}

// PREVIEW_KEYS: unset means previews are off (no error); a ring that shares a key with
// UNIQ_KEYS is refused, so one leak never covers both (contract §10). Unset is undefined on
// Cloudflare but null under workerd serve (a `fromEnvironment` binding of a missing variable).
function previewRing(text: string | null | undefined, uniq: string | null | undefined): { ring: KeyRing | null; error: string | null } {
  if (text == null || text.trim() === "") return { ring: null, error: null };
  const parsed = parseKeyRing(text);
  if (!parsed.ok) return { ring: null, error: `PREVIEW_KEYS: ${parsed.error}` };
  const keysOf = (ring: string) => new Set(ring.split(",").map((e) => e.slice(e.indexOf(":") + 1).trim()));
  const uniqKeys = keysOf(uniq ?? "");
  for (const key of keysOf(text)) if (uniqKeys.has(key)) return { ring: null, error: "PREVIEW_KEYS: shares a key with UNIQ_KEYS; preview keys must be their own" };
  return { ring: parsed.ring, error: null };
}
