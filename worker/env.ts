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
export type Env = GeneratedEnv & SelfHostedVars;

/**
 * Vars only the self-hosted profile sets (selfhost/, contract §11), so they are not in
 * wrangler.toml: on Cloudflare they are absent and mean their defaults.
 *   SPLIT_CACHE     "off": raw workerd has no Cache API; the site's own cache splits instead
 *   STATUS_ROUTE    "off": the status page is served by the admin listener only
 *   COUNTRY_HEADER  the trusted request header carrying the visitor's country (the CDN's GeoIP)
 */
export interface SelfHostedVars {
  SPLIT_CACHE?: string;
  STATUS_ROUTE?: string;
  COUNTRY_HEADER?: string;
}
