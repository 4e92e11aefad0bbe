/** The bindings wrangler.toml (and Miniflare in tests) give the worker. */
export interface Env {
  /** Last good config, its version, the poll status and the kill switch (see config-store.ts). */
  CONFIG: KVNamespace;
  CONFIG_URL?: string;
  ORIGIN_URL?: string;
  EVENTS_PATH?: string;
  COOKIE_DOMAIN?: string;
  /** How often an isolate re-checks KV for a new config version, in ms (default 5000). */
  CONFIG_REFRESH_MS?: string;
  /** Config poll timeout in ms, at most 10000 (the default). */
  CONFIG_POLL_TIMEOUT_MS?: string;
  /** Kill switch as a deploy-time var: "true" stops all enrollment (see README). */
  ENROLLMENT_DISABLED?: string;
  /** Secret: the key ring (`<tag>:<key>[,…]`), set with `wrangler secret put UNIQ_KEYS`. */
  UNIQ_KEYS?: string;
  /** Optional Workers Analytics Engine dataset for counters. */
  METRICS?: AnalyticsEngineDataset;
}
