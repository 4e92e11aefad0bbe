import { describe, expect, it } from "vitest";
import { PREVIEW_NAME, scanCookieHeader } from "../../src/cookie-header.js";

describe("scanCookieHeader", () => {
  it("finds the cookie in any casing and strips it, keeping the rest in order", () => {
    expect(scanCookieHeader("a=1; WMF-Uniq=abc; b=2")).toEqual({ values: ["abc"], rest: "a=1; b=2" });
    expect(scanCookieHeader("wmf-uniq=abc")).toEqual({ values: ["abc"], rest: null });
    expect(scanCookieHeader("WMF-UNIQ=x;wMf-UnIq=y")).toEqual({ values: ["x", "y"], rest: null });
  });

  it("cuts only our pairs: the other cookies keep their exact bytes and separators", () => {
    expect(scanCookieHeader("a=1;b=2; WMF-Uniq=x;c=\"q r\"")).toEqual({ values: ["x"], rest: 'a=1;b=2;c="q r"' });
    expect(scanCookieHeader("WMF-Uniq = x ; a=1")).toEqual({ values: ["x"], rest: "a=1" });
  });

  it("keeps other cookies byte for byte when there is nothing to strip", () => {
    const header = "session=a%20b; theme=\"dark\"";
    expect(scanCookieHeader(header)).toEqual({ values: [], rest: header });
  });

  it("takes values raw: quotes and padding are not repaired", () => {
    expect(scanCookieHeader('WMF-Uniq="abc"').values).toEqual(['"abc"']);
    expect(scanCookieHeader("WMF-Uniq=abc==").values).toEqual(["abc=="]);
    expect(scanCookieHeader("WMF-Uniq=").values).toEqual([""]);
  });

  it("does not match look-alike names", () => {
    const header = "WMF-Uniq2=a; xWMF-Uniq=b; WMF_Uniq=c; uniq=d";
    expect(scanCookieHeader(header)).toEqual({ values: [], rest: header });
  });

  it("handles empty headers, stray separators and valueless pairs", () => {
    expect(scanCookieHeader(null)).toEqual({ values: [], rest: null });
    expect(scanCookieHeader("")).toEqual({ values: [], rest: null });
    expect(scanCookieHeader(";; WMF-Uniq=v ;; flag ;")).toEqual({ values: ["v"], rest: "flag" });
  });

  it("nothing but separators left: the header is dropped", () => {
    expect(scanCookieHeader("WMF-Uniq=abc; ")).toEqual({ values: ["abc"], rest: null });
    expect(scanCookieHeader(" ;WMF-Uniq=abc;;")).toEqual({ values: ["abc"], rest: null });
  });

  it.each([["\t"], ["\n"], ["\r"], [" "], [";"]])("trims %j left at either end of what remains", (sep) => {
    expect(scanCookieHeader(`WMF-Uniq=x;${sep}a=1`)).toEqual({ values: ["x"], rest: "a=1" });
    expect(scanCookieHeader(`a=1${sep};WMF-Uniq=x`)).toEqual({ values: ["x"], rest: "a=1" });
  });

  it("a pair may start after spaces or tabs, at the very start too", () => {
    expect(scanCookieHeader(" WMF-Uniq=x")).toEqual({ values: ["x"], rest: null });
    expect(scanCookieHeader("\tWMF-Uniq=x")).toEqual({ values: ["x"], rest: null });
    expect(scanCookieHeader("a=1;\tWMF-Uniq=x")).toEqual({ values: ["x"], rest: "a=1" });
    expect(scanCookieHeader("WMF-Uniq\t=x")).toEqual({ values: ["x"], rest: null });
  });

  it("our name only inside a value: the header as it came, separators and all", () => {
    // Nothing was cut, so nothing is trimmed either.
    expect(scanCookieHeader(" a=wmf-uniq=1; ")).toEqual({ values: [], rest: " a=wmf-uniq=1; " });
  });

  it("reads WMF-Preview with its own name pattern, leaving WMF-Uniq in the rest", () => {
    expect(scanCookieHeader("a=1; WMF-Preview =t; WMF-Uniq=u;WMF-Preview=v", PREVIEW_NAME)).toEqual({ values: ["t", "v"], rest: "a=1; WMF-Uniq=u" });
    expect(scanCookieHeader("wmf-preview\t=t", PREVIEW_NAME)).toEqual({ values: ["t"], rest: null });
    expect(scanCookieHeader("WMF-Previewx=t; xWMF-Preview=u", PREVIEW_NAME)).toEqual({ values: [], rest: "WMF-Previewx=t; xWMF-Preview=u" });
  });

  it("scales to hundreds of cookies and keeps every other one", () => {
    const others = Array.from({ length: 400 }, (_, i) => `c${i}=${"v".repeat(30)}`);
    const header = [...others.slice(0, 200), "WMF-Uniq=tok", ...others.slice(200)].join("; ");
    expect(header.length).toBeGreaterThan(14_000);
    const scan = scanCookieHeader(header);
    expect(scan.values).toEqual(["tok"]);
    expect(scan.rest).toBe(others.join("; "));
  });
});
