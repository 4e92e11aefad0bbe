import { describe, expect, it } from "vitest";
import { CLEAR_PREVIEW_COOKIE, cookieExpiry, serializePreviewCookie, serializeUniqCookie } from "../../src/set-cookie.js";

describe("Set-Cookie for WMF-Uniq", () => {
  it("expires at 00:00:00 GMT on the date 365 days ahead, whatever the time of day", () => {
    expect(cookieExpiry(Date.parse("2025-06-15T00:00:00Z"))).toBe("Mon, 15 Jun 2026 00:00:00 GMT");
    expect(cookieExpiry(Date.parse("2025-06-15T23:59:59Z"))).toBe("Mon, 15 Jun 2026 00:00:00 GMT");
    // Across a leap day: 365 days after 2027-06-15 is 2028-06-14.
    expect(cookieExpiry(Date.parse("2027-06-15T08:00:00Z"))).toBe("Wed, 14 Jun 2028 00:00:00 GMT");
  });

  it("has exactly the contract's attributes", () => {
    expect(serializeUniqCookie("TOKEN", "wikipedia.org", Date.parse("2025-06-15T12:00:00Z"))).toBe(
      "WMF-Uniq=TOKEN; Domain=wikipedia.org; Path=/; HttpOnly; Secure; SameSite=None; Expires=Mon, 15 Jun 2026 00:00:00 GMT",
    );
  });

  it("is host-only without a domain", () => {
    expect(serializeUniqCookie("T", null, 0)).toBe("WMF-Uniq=T; Path=/; HttpOnly; Secure; SameSite=None; Expires=Fri, 01 Jan 1971 00:00:00 GMT");
  });
});

describe("Set-Cookie for WMF-Preview (contract §10)", () => {
  it("is host-only, Lax, and expires with its token", () => {
    expect(serializePreviewCookie("T", Date.parse("2025-06-15T13:30:05Z"))).toBe("WMF-Preview=T; Path=/; HttpOnly; Secure; SameSite=Lax; Expires=Sun, 15 Jun 2025 13:30:05 GMT");
  });

  it("is cleared with the same attributes, expired at once", () => {
    expect(CLEAR_PREVIEW_COOKIE).toBe("WMF-Preview=; Path=/; HttpOnly; Secure; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0");
  });
});
