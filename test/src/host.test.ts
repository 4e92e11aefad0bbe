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
    ["[::1]", null],
  ])("%s -> %s", (host, expected) => {
    expect(registrableDomain(host)).toBe(expected);
  });
});
