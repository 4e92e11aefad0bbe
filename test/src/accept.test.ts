import { describe, expect, it } from "vitest";
import { prefersHtml } from "../../src/accept.js";

describe("prefersHtml", () => {
  it("is true for what browsers send on a navigation", () => {
    // Chromium; Firefox and Safari.
    expect(prefersHtml("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")).toBe(true);
    expect(prefersHtml("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")).toBe(true);
    expect(prefersHtml("text/html")).toBe(true);
    expect(prefersHtml("TEXT/HTML")).toBe(true);
    expect(prefersHtml("text/*")).toBe(true);
    expect(prefersHtml("text/html, application/json;q=0.9")).toBe(true);
  });

  it("is false for scripts, curl, no header and ties", () => {
    expect(prefersHtml(null)).toBe(false);
    expect(prefersHtml("")).toBe(false);
    expect(prefersHtml("*/*")).toBe(false);
    expect(prefersHtml("application/json")).toBe(false);
    expect(prefersHtml("application/json, text/html")).toBe(false);
    expect(prefersHtml("text/html;q=0.5, application/json")).toBe(false);
    expect(prefersHtml("text/html;q=0")).toBe(false);
    expect(prefersHtml("text/plain")).toBe(false);
  });

  it("uses the most specific range that matches", () => {
    expect(prefersHtml("text/html;q=0.1, text/*;q=1, application/json;q=0.5")).toBe(false);
    expect(prefersHtml("*/*;q=0.1, text/html;q=0.2")).toBe(true);
    expect(prefersHtml("text/html;q=bogus, application/json;q=0.9")).toBe(true);
  });
});
