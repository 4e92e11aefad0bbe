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
