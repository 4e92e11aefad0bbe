import { describe, expect, it } from "vitest";
import { COOKIE_DOMAIN_MEMO_LIMIT, cookieDomainFor, cookieDomainsInUse } from "../../worker/cookie-domain.js";

// Plain Node: the memo is ordinary code with no platform API; the worker tests
// (request-path.test.ts) check the same answers through workerd and the status page.
describe("cookieDomainFor: one look-up per host per isolate, bounded", () => {
  it("answers from the Public Suffix List, or COOKIE_DOMAIN when set, and remembers per host", () => {
    expect(cookieDomainFor("wiki.example.github.io", null)).toBe("example.github.io");
    expect(cookieDomainFor("github.io", null)).toBeNull();
    expect(cookieDomainsInUse(() => true)).toEqual({ "wiki.example.github.io": "example.github.io", "github.io": null });
    expect(cookieDomainsInUse((h) => h === "github.io")).toEqual({ "github.io": null });
    // Another override starts over, so the status page never shows a stale Domain.
    expect(cookieDomainFor("en.m.wikipedia.org", "m.wikipedia.org")).toBe("m.wikipedia.org");
    expect(cookieDomainsInUse(() => true)).toEqual({ "en.m.wikipedia.org": "m.wikipedia.org" });
    expect(cookieDomainFor("en.m.wikipedia.org", null)).toBe("wikipedia.org");
  });

  it("a flood of made-up hosts never grows the map past its limit", () => {
    for (let i = 0; i < COOKIE_DOMAIN_MEMO_LIMIT * 2 + 7; i++) {
      expect(cookieDomainFor(`h${i}.example.co.uk`, null)).toBe(`example.co.uk`);
      if (i % 97 === 0) expect(Object.keys(cookieDomainsInUse(() => true)).length).toBeLessThanOrEqual(COOKIE_DOMAIN_MEMO_LIMIT);
    }
    expect(Object.keys(cookieDomainsInUse(() => true)).length).toBeLessThanOrEqual(COOKIE_DOMAIN_MEMO_LIMIT);
  });
});
