import { expect } from "vitest";
import { parseConfig } from "../../src/config-parse.js";
import { enroll } from "../../src/enroll.js";
import { encodeAllPairs, encodeEventsHeader, encodePageHeader } from "../../src/enrollment-header.js";
import { parseKeyRing } from "../../src/keyring.js";
import { verifyToken } from "../../src/token.js";
import { DEV_KEYS } from "../fixtures/config.js";

/** What the core says a cookie should get on a host: the oracle for end-to-end tests. */
export function expectedFor(doc: unknown, cookie: string, host: string, now = Date.now(), keys = DEV_KEYS) {
  const ring = parseKeyRing(keys);
  if (!ring.ok) throw new Error(ring.error);
  const cfg = parseConfig(doc);
  if (!cfg.ok) throw new Error(JSON.stringify(cfg.issues));
  const v = verifyToken(cookie, ring.ring);
  if (!v.ok) throw new Error(`cookie does not verify: ${v.reason}`);
  const page = enroll(v.identity, host, now, cfg.config);
  const events = enroll(v.identity, host, now, cfg.config, true);
  return { page: encodePageHeader(page), timing: encodeAllPairs(page), events: encodeEventsHeader(events) };
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
