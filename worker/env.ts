/// <reference path="./worker-configuration.d.ts" />

/**
 * The bindings the worker gets. `GeneratedEnv` is generated from wrangler.toml by
 * `npm run types` (wrangler types) and a test fails when it is stale, so the code and the
 * deployed bindings cannot drift apart:
 *   CONFIG               KV: last good config, version, poll status, kill switch (config-store.ts)
 *   METRICS              optional Analytics Engine dataset (metrics.ts)
 *   CONFIG_URL, ORIGIN_URL, EVENTS_PATH, COOKIE_DOMAIN, CONFIG_REFRESH_MS,
 *   CONFIG_POLL_TIMEOUT_MS, ENROLLMENT_DISABLED, BOT_POLICY, SESSION_COOKIE_PATTERN
 *                        vars, parsed once per isolate (settings.ts)
 *   UNIQ_KEYS            secret: the key ring (`wrangler secret put UNIQ_KEYS`)
 * Vars may still be absent at run time (tests, a var deleted in the dashboard): settings.ts
 * treats every one as optional.
 */
export type Env = GeneratedEnv & {
  /** Self-hosted profile only (contract §11): the trusted header that carries the country. */
  readonly COUNTRY_HEADER?: string;
};
