import { describe, expect, it } from "vitest";
import { escapeHtml, groupDigits, html, SafeHtml, trustedHtml } from "../../src/html.js";

describe("html", () => {
  it("escapes the five characters that can end text or a quoted attribute", () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
    expect(escapeHtml("plain text, 50%")).toBe("plain text, 50%");
  });

  it("escapes every interpolated value, in text and in attributes", () => {
    const evil = `"><script>alert(1)</script>`;
    const out = html`<p title="${evil}">${evil}</p>`.markup;
    expect(out).toBe(`<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>`);
    expect(out).not.toContain("<script");
  });

  it("keeps nested html as markup, escapes strings in arrays, renders nothing for null, undefined and false", () => {
    const items = ["<b>", "ok"];
    const out = html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>${null}${undefined}${false}${0}${["<i>"]}`.markup;
    expect(out).toBe("<ul><li>&lt;b&gt;</li><li>ok</li></ul>0&lt;i&gt;");
  });

  it("marks only this module's results as safe", () => {
    expect(html`<b>${trustedHtml("<i>x</i>")}</b>`.markup).toBe("<b><i>x</i></b>");
    expect(html`${new SafeHtml("<hr>")}`.toString()).toBe("<hr>");
    // A look-alike object is just text.
    expect(html`${{ markup: "<hr>" } as unknown as string}`.markup).toBe("[object Object]");
  });

  it("groups digits", () => {
    expect(groupDigits(0)).toBe("0");
    expect(groupDigits(999)).toBe("999");
    expect(groupDigits(99999)).toBe("99,999");
    expect(groupDigits(100000)).toBe("100,000");
    // Several separators: every group of three from the right, none at the front.
    expect(groupDigits(1234567)).toBe("1,234,567");
    expect(groupDigits(123456789)).toBe("123,456,789");
  });
});
