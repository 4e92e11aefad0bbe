/**
 * A real browser's User-Agent. Node's fetch says "node" and headless Chromium says
 * "HeadlessChrome", which the crawler list (contract §9) rightly takes for bots; tests of
 * visitors send this unless they set a User-Agent of their own.
 */
export const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

/** `init` with the browser User-Agent added when it sets none. */
export function asBrowser(init?: RequestInit): RequestInit {
  const headers = new Headers(init?.headers);
  if (!headers.has("user-agent")) headers.set("user-agent", BROWSER_UA);
  return { ...init, headers };
}

/** A phone's browser (an iPhone's Safari): `platform` is "mobile" for it (contract §8). */
export const MOBILE_BROWSER_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/** Googlebot's User-Agent: on the crawler list, so never enrolled (contract §9). */
export const CRAWLER_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
