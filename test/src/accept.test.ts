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

  it("takes the first of equally specific ranges, and */* when nothing closer matches", () => {
    expect(prefersHtml("text/html;q=0.9, text/html;q=0.1, application/json;q=0.5")).toBe(true);
    expect(prefersHtml("*/*;q=0.5, application/json;q=0.1")).toBe(true);
    expect(prefersHtml("*/*, application/json;q=0.5")).toBe(true);
  });

  it("reads a weight only as RFC 9110 writes it, and ignores any other q", () => {
    // Valid: 0 or 1 with up to three decimals, Q in either case, space around the parameter.
    expect(prefersHtml("text/html;q=0.125, application/json;q=0.124")).toBe(true);
    expect(prefersHtml("text/html;q=0.124, application/json;q=0.125")).toBe(false);
    expect(prefersHtml("text/html;Q=0.1, application/json;q=0.5")).toBe(false);
    expect(prefersHtml("text/html ; q=0.1 , application/json;q=0.5")).toBe(false);
    expect(prefersHtml("text/html;q=0., application/json;q=0.5")).toBe(false);
    expect(prefersHtml("text/html;q=1.000, application/json;q=0.999")).toBe(true);
    // Above 1 is at most 1: a tie, and ties go to JSON.
    expect(prefersHtml("text/html;q=1.5, application/json")).toBe(false);
    // Not a weight: text/html keeps q=1 and beats JSON at 0.5.
    for (const bad of ["xq=0.1", "q=0.1x", "q=0.1234", "q=-1", "q=2", "q", "q=", "q= 0.1", "q=.5"]) {
      expect(prefersHtml(`text/html;${bad}, application/json;q=0.5`), bad).toBe(true);
    }
    // Other parameters are not weights.
    expect(prefersHtml("text/html;level=0.1, application/json;q=0.5")).toBe(true);
  });
});
