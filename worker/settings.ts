import * as v from "valibot";
import { DEFAULT_CONFIG_URL, DEFAULT_EVENTS_PATH, HOST_NAME, MAX_POLL_TIMEOUT_MS } from "../src/contract.js";
import { parseKeyRing, type KeyRing } from "../src/keyring.js";
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
  /** null when UNIQ_KEYS is missing or malformed: nothing is minted or enrolled. */
  readonly keyRing: KeyRing | null;
  readonly keyRingError: string | null;
  /** Problems found in the vars (names and reasons only, never values of secrets). */
  readonly errors: readonly string[];
}

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
} as const;

let memo: { env: Env; settings: Settings } | null = null;

/** Settings for this env, parsed on first use and kept for the isolate's life. */
export function getSettings(env: Env): Settings {
  if (memo !== null && memo.env === env) return memo.settings;
  const settings = parseSettings(env);
  memo = { env, settings };
  if (settings.errors.length > 0) log("error", "settings.invalid", { errors: settings.errors });
  if (settings.keyRingError !== null) {
    log("error", "settings.key_ring_unusable", { error: settings.keyRingError, effect: "nothing is minted or enrolled; requests pass through" });
  } else if (settings.keyRing?.usesDevelopmentKey) {
    log("warn", "settings.development_key", { message: "UNIQ_KEYS contains the committed development key; never use it in production" });
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
  return {
    configUrl: field("CONFIG_URL"),
    originBase: origin === "" ? null : origin.replace(/\/+$/, ""),
    eventsPath: field("EVENTS_PATH"),
    cookieDomain: field("COOKIE_DOMAIN") || null,
    configRefreshMs: Number(field("CONFIG_REFRESH_MS")),
    pollTimeoutMs: Number(field("CONFIG_POLL_TIMEOUT_MS")),
    disabledByVar: field("ENROLLMENT_DISABLED") === "true",
    keyRing: ring.ok ? ring.ring : null,
    keyRingError: ring.ok ? null : `UNIQ_KEYS: ${ring.error}`,
    errors,
  };
}
