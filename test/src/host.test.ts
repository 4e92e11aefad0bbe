import { describe, expect, it } from "vitest";
import { normaliseHost, registrableDomain } from "../../src/host.js";

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

describe("registrableDomain", () => {
  it.each([
    ["en.wikipedia.org", "wikipedia.org"],
    ["en.m.wikipedia.org", "wikipedia.org"],
    ["wikipedia.org", "wikipedia.org"],
    ["EN.WIKIPEDIA.ORG.", "wikipedia.org"],
    ["www.example.co.uk", "example.co.uk"],
    ["co.uk", null],
    ["localhost", null],
    ["en.wikipedia.localhost", null],
    ["127.0.0.1", null],
    ["127.0.0.1:8080", null],
    ["[::1]", null],
    ["[::ffff:192.0.2.1]", null],
    ["", null],
    ["intranet", null],
    ["example.co.uk", "example.co.uk"],
    ["10.example.org", "example.org"],
    ["host.example.42", "example.42"],
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
