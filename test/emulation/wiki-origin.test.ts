import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PAGE_SCRIPT, SDK_PARSER_SOURCE } from "../../emulation/page-script.js";
import { CRAWLER_UA, MOBILE_BROWSER_UA } from "../helpers/browser-ua.js";
import { EMULATION_COUNTRY_HEADER, EMULATION_SESSION_COOKIE } from "../../emulation/emulated-country.js";
import { hasUniqCookie, PAGE_CACHE_CONTROL, PAGE_VARY, startWikiOrigin, type WikiOrigin } from "../../emulation/wiki-origin.js";

const SUBJECT = "AAAAAAAAAAAAAAAAAAAAAA";

/** The embedded origin view of a rendered page. */
function originView(html: string): { render: number; enrollments: string | null; pairs: unknown; uniqCookieReachedOrigin: boolean; context: unknown; crawler: boolean } {
  const m = /window\.emulation = \{ origin: (\{.*?\}), eventsPath/.exec(html);
  if (!m) throw new Error("no origin view in page");
  return JSON.parse(m[1]!);
}

describe("emulated wiki origin", () => {
  let origin: WikiOrigin;
  beforeAll(async () => {
    origin = await startWikiOrigin({ port: 0, maxEvents: 3 });
  });
  afterAll(async () => {
    await origin.close();
  });
  beforeEach(async () => {
    await fetch(`${origin.url}/_emulation/events`, { method: "DELETE" });
  });

  it("answers pages with the cache-splitting Vary and a shared-cache lifetime", async () => {
    const r = await fetch(`${origin.url}/wiki/Main_Page`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.headers.get("vary")).toBe(PAGE_VARY);
    expect(PAGE_VARY).toBe("X-Experiment-Enrollments, Accept-Encoding");
    expect(r.headers.get("cache-control")).toBe(PAGE_CACHE_CONTROL);
    expect(r.headers.get("server-timing")).toMatch(/^origin;dur=/);
  });

  it("renders the enrollments it received, numbering each render", async () => {
    const a = await fetch(`${origin.url}/wiki/Berlin`, { headers: { "x-experiment-enrollments": "sticky-header-2026=treatment;" } });
    const b = await fetch(`${origin.url}/wiki/Berlin`);
    const va = originView(await a.text());
    const vb = originView(await b.text());
    expect(va.enrollments).toBe("sticky-header-2026=treatment;");
    expect(va.pairs).toEqual([{ experiment: "sticky-header-2026", group: "treatment" }]);
    expect(vb.enrollments).toBeNull();
    expect(vb.pairs).toEqual([]);
    expect(vb.render).toBe(va.render + 1);
    expect(Number(b.headers.get("x-origin-render"))).toBe(vb.render);
    expect(origin.renders.at(-1)).toMatchObject({ path: "/wiki/Berlin", enrollments: null });
  });

  it("shows the request context the edge computed, from the headers it passed on", async () => {
    const headers = {
      host: "127.0.0.1:1",
      "x-forwarded-host": "EN.wikipedia.localhost:8787",
      "user-agent": MOBILE_BROWSER_UA,
      "accept-language": "de-AT,de;q=0.9,en;q=0.5",
      [EMULATION_COUNTRY_HEADER]: "at",
      cookie: `${EMULATION_SESSION_COOKIE}=x; other=1`,
    };
    const html = await (await fetch(`${origin.url}/wiki/Wien`, { headers })).text();
    const want = { host: "en.wikipedia.localhost", path: "/wiki/Wien", country: "AT", platform: "mobile", language: "de", loggedIn: true };
    expect(originView(html)).toMatchObject({ context: want, crawler: false });
    expect(html).toContain(`<td id="context-platform">mobile</td>`);

    // Nothing sent: the Host header, and the core's defaults.
    const bare = originView(await (await fetch(`${origin.url}/wiki/Wien`, { headers: { "user-agent": CRAWLER_UA } })).text());
    expect(bare).toMatchObject({ context: { host: "127.0.0.1", country: "XX", platform: "desktop", language: "", loggedIn: false }, crawler: true });
  });

  it("answers ?emulation=context with this request's own context as JSON, never cached and not a render", async () => {
    const renders = origin.renders.length;
    const r = await fetch(`${origin.url}/wiki/Wien?emulation=context`, {
      headers: { [EMULATION_COUNTRY_HEADER]: "DE", "x-experiment-enrollments": "dach-welcome-banner=banner;" },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const body = (await r.json()) as { context: { country: string; path: string }; enrollments: string; pairs: unknown; crawler: boolean };
    expect(body.context).toMatchObject({ country: "DE", path: "/wiki/Wien" });
    expect(body.enrollments).toBe("dach-welcome-banner=banner;");
    expect(body.pairs).toEqual([{ experiment: "dach-welcome-banner", group: "banner" }]);
    expect(origin.renders.length).toBe(renders);
  });

  it("flags a malformed header the way MediaWiki would drop it", async () => {
    const r = await fetch(`${origin.url}/wiki/X`, { headers: { "x-experiment-enrollments": "sticky-header-2026=treatment" } });
    const html = await r.text();
    expect(originView(html).pairs).toBeNull();
    expect(html).toContain("malformed");
  });

  it("notices a WMF-Uniq cookie that leaked to the origin", async () => {
    const r = await fetch(`${origin.url}/wiki/X`, { headers: { cookie: "a=1; wmf-uniq=zzz" } });
    expect(originView(await r.text()).uniqCookieReachedOrigin).toBe(true);
    expect(hasUniqCookie("WMF-Uniq-Other=1; x=WMF-Uniq=")).toBe(false);
    expect(hasUniqCookie(null)).toBe(false);
  });

  it("escapes titles and header values into the HTML", async () => {
    const r = await fetch(`${origin.url}/wiki/%3Cscript%3Ealert(1)%3C%2Fscript%3E`, {
      headers: { "x-experiment-enrollments": "<b>=x;" },
    });
    const html = await r.text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).not.toContain("<b>=x;");
    expect(html).toContain("&#60;script&#62;");
  });

  it("redirects / to the main page and 404s unknown paths", async () => {
    const root = await fetch(`${origin.url}/`, { redirect: "manual" });
    expect(root.status).toBe(301);
    expect(root.headers.get("location")).toBe("/wiki/Main_Page");
    expect((await fetch(`${origin.url}/w/index.php`)).status).toBe(404);
  });

  it("takes events on the intake path and lists them newest first with their subject IDs", async () => {
    const header = `sticky-header-2026=control/${SUBJECT};`;
    const post = await fetch(`${origin.url}${origin.eventsPath}?hasty=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-experiment-enrollments": header },
      body: JSON.stringify({ nonce: "n1" }),
    });
    expect(post.status).toBe(202);
    await fetch(`${origin.url}${origin.eventsPath}`, { method: "POST", body: JSON.stringify({ nonce: "n2" }) });
    const list = (await (await fetch(`${origin.url}/_emulation/events.json`)).json()) as { body: string; pairs: unknown; path: string; enrollments: string | null }[];
    expect(list.map((e) => JSON.parse(e.body).nonce)).toEqual(["n2", "n1"]);
    expect(list[1]).toMatchObject({ enrollments: header, path: `${origin.eventsPath}?hasty=true` });
    expect(list[1]!.pairs).toEqual([{ experiment: "sticky-header-2026", group: "control", subject: SUBJECT }]);
    expect(list[0]!.enrollments).toBeNull();
    const page = await (await fetch(`${origin.url}/_emulation/events`)).text();
    expect(page).toContain(SUBJECT);
  });

  it("keeps only the last maxEvents events", async () => {
    for (let i = 0; i < 5; i++) await fetch(`${origin.url}${origin.eventsPath}`, { method: "POST", body: String(i) });
    expect(origin.events.map((e) => e.body)).toEqual(["2", "3", "4"]);
  });
});

interface FakeElement {
  id: string;
  textContent: string;
  className: string;
  href: string;
  children: FakeElement[];
  appendChild(child: FakeElement): void;
  addEventListener(): void;
}

describe("page script", () => {
  const parse = new Function(`${SDK_PARSER_SOURCE}; return parseWmfUniqDescription;`)() as (raw: string) => Record<string, string>;

  it("parses the Server-Timing description like the wiki's SDK", () => {
    expect(parse("")).toEqual({});
    expect(parse("a-experiment=control;b-experiment=treatment;")).toEqual({ "a-experiment": "control", "b-experiment": "treatment" });
  });

  it("rejects what the SDK rejects", () => {
    expect(() => parse("a=b")).toThrow();
    expect(() => parse("a;")).toThrow();
    expect(() => parse("a=b=c;")).toThrow();
    expect(() => parse("a=b;c")).toThrow();
  });

  it("runs on a page: reads the WMF-Uniq Server-Timing entry, compares with the origin, wires the event button", () => {
    const elements = new Map<string, FakeElement>();
    const element = (id = ""): FakeElement => ({ id, textContent: "", className: "", href: "", children: [], appendChild(c) { this.children.push(c); }, addEventListener() {} });
    const names = { countryHeader: "X-Emulation-Country", countryCookie: "emulation-country", sessionCookie: "centralauth_Session" };
    const window = { emulation: { origin: { pairs: [{ experiment: "a-experiment", group: "control" }] }, eventsPath: "/evt", names }, isSecureContext: true } as Record<string, any>;
    const context = {
      window,
      location: { port: "8787", hostname: "en.wikipedia.test", host: "en.wikipedia.test:8787" },
      performance: { getEntriesByType: () => [{ serverTiming: [{ name: "other", description: "" }, { name: "WMF-Uniq", description: "a-experiment=control;b-experiment=on;" }] }] },
      document: { getElementById: (id: string) => elements.get(id) ?? elements.set(id, element(id)).get(id)!, createElement: () => element(), querySelectorAll: () => [], cookie: "" },
    };
    runInNewContext(PAGE_SCRIPT, context);
    expect(window.emulation.browser).toEqual({
      raw: "a-experiment=control;b-experiment=on;",
      groups: { "a-experiment": "control", "b-experiment": "on" },
      error: null,
      secureContext: true,
      serverTimingNames: ["other", "WMF-Uniq"],
    });
    const rows = elements.get("browser-groups")!.children.map((tr) => tr.children.map((td) => td.textContent));
    expect(rows).toEqual([
      ["a-experiment", "control", "same group at the origin"],
      ["b-experiment", "on", "not sent to the origin (cache_split: false, or a mix-up)"],
    ]);
    expect(elements.get("other-wiki")!.href).toBe("http://de.wikipedia.test:8787/wiki/Main_Page");
    expect(typeof window.sendTestEvent).toBe("function");
  });
});
