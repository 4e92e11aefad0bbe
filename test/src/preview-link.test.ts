import { describe, expect, it } from "vitest";
import { previewParam, previewRedirect } from "../../src/preview-link.js";

describe("the ?wmf-preview= parameter (contract §10)", () => {
  it("finds the first value, decoded", () => {
    expect(previewParam("?wmf-preview=abc")).toBe("abc");
    expect(previewParam("?a=1&wmf-preview=abc&wmf-preview=def")).toBe("abc");
    expect(previewParam("?wmf-preview")).toBe("");
    expect(previewParam("?wmf-preview=a%2Db")).toBe("a-b");
    expect(previewParam("?x=wmf-preview")).toBeNull();
    expect(previewParam("?wmf-previews=1")).toBeNull();
    expect(previewParam("")).toBeNull();
  });

  it("reads a query with or without its ?, and decodes as a form does", () => {
    expect(previewParam("wmf-preview=abc")).toBe("abc");
    expect(previewParam("?wmf-preview=a+b")).toBe("a b");
    // Not percent-decodable: the value as written, which then fails as a token.
    expect(previewParam("?wmf-preview=%zz")).toBe("%zz");
  });

  it("redirects to the same URL without it: own scheme and host, other parameters in order and as written", () => {
    expect(previewRedirect("https:", "en.wikipedia.org", "/wiki/X", "?wmf-preview=t")).toBe("https://en.wikipedia.org/wiki/X");
    expect(previewRedirect("https:", "en.wikipedia.org", "/wiki/X", "?b=2&wmf-preview=t&a=%20x&wmf-preview=u&c")).toBe("https://en.wikipedia.org/wiki/X?b=2&a=%20x&c");
    expect(previewRedirect("http:", "en.wikipedia.localhost:8787", "/", "?wmf-preview=t")).toBe("http://en.wikipedia.localhost:8787/");
    // Empty parameters go; no query at all stays none.
    expect(previewRedirect("https:", "h", "/", "?a=1&&wmf-preview=t&b=2&")).toBe("https://h/?a=1&b=2");
    expect(previewRedirect("https:", "h", "/", "")).toBe("https://h/");
  });

  it("counts the name only as written, so whether a query is a link never depends on the rest of it", () => {
    // Before: a percent-encoded name was a link only when `wmf-preview` also appeared elsewhere.
    expect(previewParam("?wmf%2Dpreview=abc")).toBeNull();
    expect(previewParam("?q=wmf-preview&wmf%2Dpreview=abc")).toBeNull();
    expect(previewParam("?q=wmf-preview")).toBeNull();
    expect(previewParam("?q=wmf-preview&wmf-preview=abc")).toBe("abc");
    expect(previewRedirect("https:", "h", "/", "?wmf%2Dpreview=a&wmf-preview=b&q=wmf-preview")).toBe("https://h/?wmf%2Dpreview=a&q=wmf-preview");
  });

  it("a path like //evil.example stays a path on this host", () => {
    const to = previewRedirect("https:", "en.wikipedia.org", "//evil.example/x", "?wmf-preview=t");
    expect(to).toBe("https://en.wikipedia.org//evil.example/x");
    expect(new URL(to).host).toBe("en.wikipedia.org");
    expect(new URL(previewRedirect("https:", "en.wikipedia.org", "/\\evil.example", "?wmf-preview=t")).host).toBe("en.wikipedia.org");
  });
});
