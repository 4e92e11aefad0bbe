import { describe, expect, it } from "vitest";
import { domainRefusal, normaliseHost, registrableDomain } from "../../src/host.js";

describe("normaliseHost", () => {
  it.each([
    ["en.wikipedia.org", "en.wikipedia.org"],
    ["EN.Wikipedia.ORG", "en.wikipedia.org"],
    ["en.wikipedia.org.", "en.wikipedia.org"],
    ["en.wikipedia.org:8443", "en.wikipedia.org"],
    ["En.Wikipedia.Org.:443", "en.wikipedia.org"],
    ["[::1]:8787", "[::1]"],
    ["[::1", "[::1"],
    [":8080", ""],
    ["en.wikipedia.org...", "en.wikipedia.org"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
  ])("%s -> %s", (input, expected) => {
    expect(normaliseHost(input)).toBe(expected);
  });
});

// Expected answers are those of the Public Suffix List as browsers apply it (a cookie
// with any other Domain is refused, or wider than it should be).
describe("registrableDomain: the cookie Domain from the Public Suffix List", () => {
  it.each([
    // ICANN section, one-label suffixes
    ["en.wikipedia.org", "wikipedia.org"],
    ["en.m.wikipedia.org", "wikipedia.org"],
    ["wikipedia.org", "wikipedia.org"],
    ["EN.WIKIPEDIA.ORG.", "wikipedia.org"],
    ["en.wikipedia.org:8443", "wikipedia.org"],
    // ICANN section, multi-label suffixes
    ["foo.co.uk", "foo.co.uk"],
    ["www.example.co.uk", "example.co.uk"],
    ["co.uk", null],
    ["shop.example.com.ua", "example.com.ua"],
    ["com.ua", null],
    ["portal.example.gov.br", "example.gov.br"],
    ["gov.br", null],
    // wildcard and exception rules (*.kawasaki.jp, !city.kawasaki.jp)
    ["www.example.kawasaki.jp", "www.example.kawasaki.jp"],
    ["example.kawasaki.jp", null],
    ["www.city.kawasaki.jp", "city.kawasaki.jp"],
    // private section: the host sits directly under a private suffix, or is one
    ["wiki.example.github.io", "example.github.io"],
    ["example.github.io", "example.github.io"],
    ["github.io", null],
    ["edge-enrollment.example.workers.dev", "example.workers.dev"],
    ["workers.dev", null],
    ["preview.wiki.pages.dev", "wiki.pages.dev"],
    ["pages.dev", null],
    ["wiki.blogspot.com", "wiki.blogspot.com"],
    ["blogspot.com", null],
    // IDN in punycode: 个人.hk is a public suffix; bücher.example a plain name
    ["wiki.example.xn--ciqpn.hk", "example.xn--ciqpn.hk"],
    ["xn--ciqpn.hk", null],
    ["en.xn--bcher-kva.example", "xn--bcher-kva.example"],
    // not on the list: the default rule (the last label is the suffix)
    ["wiki.corp.internal-tld", "corp.internal-tld"],
    // host-only
    ["localhost", null],
    ["en.wikipedia.localhost", null],
    ["wikipedia.localhost", null],
    ["127.0.0.1", null],
    ["10.1.2.3:8080", null],
    ["[::1]", null],
    ["[2001:db8::1]:443", null],
    ["intranet", null],
    ["", null],
    ["a..b.org", null],
    ["127.0.0.1:8080", null],
    ["[::ffff:192.0.2.1]", null],
    ["example.co.uk", "example.co.uk"],
    ["10.example.org", "example.org"],
    ["host.example.42", null], // a numeric last label is no hostname for tldts: host-only
  ])("%s -> %s", (host, expected) => {
    expect(registrableDomain(host)).toBe(expected);
  });

  // Restated here, not imported: each suffix of more than one label keeps one more label.
  it.each([
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk",
    "com.au", "net.au", "org.au", "edu.au", "co.nz", "org.nz", "co.jp", "or.jp", "ne.jp",
    "com.br", "org.br", "com.cn", "org.cn", "co.in", "org.in", "co.za", "org.za",
    "com.mx", "com.ar", "com.tr", "co.kr", "or.kr", "com.tw", "org.tw", "co.il", "org.il",
  ])("under %s the cookie is scoped to one more label, and the suffix alone is host-only", (suffix) => {
    expect(registrableDomain(`en.wiki.${suffix}`)).toBe(`wiki.${suffix}`);
    expect(registrableDomain(suffix)).toBeNull();
  });

  it("a two-label suffix not in the list is an ordinary domain", () => {
    expect(registrableDomain("en.wiki.example.org")).toBe("example.org");
  });
});

describe("domainRefusal: would a browser keep Domain=d from this host", () => {
  it.each([
    ["en.wikipedia.org", "wikipedia.org", null],
    ["en.wikipedia.org", ".wikipedia.org", null],
    ["wikipedia.org", "wikipedia.org", null],
    // A host that is itself a public suffix may name itself: the cookie is host-only (RFC 6265 §5.3 step 5).
    ["github.io", "github.io", null],
    ["example.github.io", "github.io", "github.io is a public suffix"],
    ["en.wikipedia.localhost", "wikipedia.localhost", null],
    ["en.wiktionary.org", "wikipedia.org", "en.wiktionary.org is neither wikipedia.org nor under it"],
    ["en.notwikipedia.org", "wikipedia.org", "en.notwikipedia.org is neither wikipedia.org nor under it"],
    ["wiki.example.co.uk", "co.uk", "co.uk is a public suffix"],
    ["wiki.example.github.io", "github.io", "github.io is a public suffix"],
  ])("%s with Domain=%s -> %s", (host, domain, expected) => {
    expect(domainRefusal(host, domain)).toBe(expected);
  });

  it("never refuses what registrableDomain picks", () => {
    for (const host of ["en.m.wikipedia.org", "a.b.example.co.uk", "wiki.example.github.io", "x.y.example.workers.dev", "www.city.kawasaki.jp"]) {
      expect(domainRefusal(host, registrableDomain(host)!)).toBeNull();
    }
  });
});
