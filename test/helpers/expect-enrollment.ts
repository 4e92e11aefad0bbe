import { expect } from "vitest";
import type { CompiledConfig } from "../../src/config-compile.js";
import { parseConfig } from "../../src/config-parse.js";
import { decide, type Decision } from "../../src/decision.js";
import { parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { DEFAULT_SESSION_COOKIE_PATTERN, type RequestFacts } from "../../src/request-context.js";
import { verifyToken } from "../../src/token.js";
import { DEV_KEYS } from "../fixtures/config.js";
import { BROWSER_UA } from "./browser-ua.js";

/** Request facts of a plain desktop browser with no session; override what a test needs. */
export function browserFacts(over: Partial<RequestFacts> = {}): RequestFacts {
  return {
    path: "/wiki/Main_Page",
    userAgent: BROWSER_UA,
    acceptLanguage: "en-US,en;q=0.9",
    country: null,
    cookieHeader: null,
    verifiedBot: false,
    ...over,
  };
}

/**
 * The core's decision for a returning visitor's cookie, exactly as the worker makes it:
 * the oracle of the end-to-end tests, the soak and the browser test. Throws when the
 * cookie does not verify (a test that expects a returning visitor must have one).
 */
export function coreDecision(config: CompiledConfig, ring: KeyRing, cookie: string, host: string, isEvents: boolean, now = Date.now(), facts = browserFacts()): Decision {
  const d = decide({
    nowMs: now,
    random: () => {
      throw new Error("the oracle never mints");
    },
    keyRing: ring,
    config,
    killed: false,
    host,
    isEvents,
    presented: [cookie],
    botPolicy: "exclude",
    sessionCookie: new RegExp(DEFAULT_SESSION_COOKIE_PATTERN),
    cookieDomain: () => null,
    facts: () => facts,
    preview: null,
  });
  if (d.identity === null) throw new Error("cookie does not verify");
  return d;
}

/** The page header, Server-Timing pairs and event-intake header the core gives a cookie on a host. */
export function expectedHeaders(config: CompiledConfig, ring: KeyRing, cookie: string, host: string, now = Date.now(), facts = browserFacts()) {
  const page = coreDecision(config, ring, cookie, host, false, now, facts);
  const events = coreDecision(config, ring, cookie, host, true, now, facts);
  return { page: page.enrollments, timing: page.timingPairs, events: events.enrollments };
}

/** expectedHeaders for a config document and the development key ring. */
export function expectedFor(doc: unknown, cookie: string, host: string, now = Date.now(), keys = DEV_KEYS, facts = browserFacts()) {
  const ring = parseKeyRing(keys);
  if (!ring.ok) throw new Error(ring.error);
  const cfg = parseConfig(doc);
  if (!cfg.ok) throw new Error(JSON.stringify(cfg.issues));
  return expectedHeaders(cfg.config, ring.ring, cookie, host, now, facts);
}

/**
 * Asserts `cookie` is a WMF-Uniq token the worker just minted with the ring's minting key
 * (it verifies, under that key's tag, with today's mint day); returns it.
 */
export function expectMinted(cookie: string | null | undefined, keys = DEV_KEYS, now = Date.now()): string {
  const ring = parseKeyRing(keys);
  if (!ring.ok) throw new Error(ring.error);
  expect(cookie, "a minted WMF-Uniq cookie").toMatch(/^[A-Za-z0-9_-]{48}$/);
  const v = verifyToken(cookie!, ring.ring);
  expect(v.ok ? v.identity.key.tag : v).toBe(ring.ring.minting.tag);
  // Today, or yesterday for a request that crossed midnight UTC.
  const today = Math.floor(now / 86_400_000) & 0xffff;
  expect([today, today - 1]).toContain(v.ok ? v.identity.mintDay : null);
  return cookie!;
}
