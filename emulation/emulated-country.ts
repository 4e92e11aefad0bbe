/**
 * Choosing the visitor's country, in the emulation only. In production the worker reads the
 * country from Cloudflare (`request.cf.country`); Miniflare has none, so the emulation runs
 * the worker with its `COUNTRY_HEADER` setting (contract §8, §11: a trusted header, for
 * self-hosting) naming a header only the emulation uses. Nothing in worker/ or src/ knows
 * these names.
 */

/** The header the emulation's worker reads the country from (its `COUNTRY_HEADER`). */
export const EMULATION_COUNTRY_HEADER = "X-Emulation-Country";

/**
 * The cookie the page's country buttons set. The worker never reads it: a browser cannot
 * add a header to its own navigation, so the page script sends the header on a fetch().
 */
export const EMULATION_COUNTRY_COOKIE = "emulation-country";

/** Countries the page offers: three the sample's rule-gated experiment targets, two it does not. */
export const EMULATION_COUNTRIES = ["DE", "AT", "CH", "US", "JP"] as const;

/**
 * A session cookie name the default `SESSION_COOKIE_PATTERN` knows (CentralAuth's), which
 * the page's "pretend to be logged in" button sets, so `loggedIn` can be tried too.
 */
export const EMULATION_SESSION_COOKIE = "centralauth_Session";
