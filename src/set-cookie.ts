import { COOKIE_LIFETIME_DAYS, PREVIEW_COOKIE, UNIQ_COOKIE } from "./contract.js";

const DAY_MS = 86_400_000;

/**
 * `Expires` value: 00:00:00 GMT on the UTC date 365 days ahead (contract §2). Day-aligned so
 * the header is the same for everyone minted on one day.
 */
export function cookieExpiry(nowMs: number): string {
  const day = Math.floor(nowMs / DAY_MS) + COOKIE_LIFETIME_DAYS;
  // Fast path: the same string all day; formatting a Date costs more than minting's MAC.
  if (day !== lastDay) {
    lastDay = day;
    lastExpiry = new Date(day * DAY_MS).toUTCString();
  }
  return lastExpiry;
}

let lastDay = Number.NaN;
let lastExpiry: string; // set by the first call: no day equals NaN

/**
 * The exact `Set-Cookie` line for a minted token. `domain` null gives a host-only cookie
 * (IP literals and `localhost` in development).
 */
export function serializeUniqCookie(value: string, domain: string | null, nowMs: number): string {
  const domainAttr = domain === null ? "" : `; Domain=${domain}`;
  return `${UNIQ_COOKIE}=${value}${domainAttr}; Path=/; HttpOnly; Secure; SameSite=None; Expires=${cookieExpiry(nowMs)}`;
}

/** The host-only `WMF-Preview` cookie for a verified token, expiring with it (contract §10). */
export function serializePreviewCookie(token: string, expiresAtMs: number): string {
  return `${PREVIEW_COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Lax; Expires=${new Date(expiresAtMs).toUTCString()}`;
}

/** Clears a `WMF-Preview` cookie that did not verify. */
export const CLEAR_PREVIEW_COOKIE = `${PREVIEW_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0`;
