import { randomFillSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page, type Response as PwResponse } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config-parse.js";
import type { CompiledConfig } from "../../src/config-compile.js";
import { decodeEnrollmentHeader } from "../../src/enrollment-header.js";
import { parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { mintToken, TOKEN_LENGTH, verifyToken } from "../../src/token.js";
import type { RequestContext, RequestFacts } from "../../src/request-context.js";
import { BROWSER_UA, MOBILE_BROWSER_UA } from "../helpers/browser-ua.js";
import { browserFacts, expectedHeaders } from "../helpers/expect-enrollment.js";
import { SAMPLE_CONFIG_FILE } from "../../emulation/config-api.js";
import { readUniqKeys } from "../../emulation/dev-vars.js";
import { EMULATION_COUNTRY_HEADER, EMULATION_SESSION_COOKIE } from "../../emulation/emulated-country.js";
import { REPO_ROOT } from "../../emulation/edge-worker.js";
import { startEmulation, type Emulation } from "../../emulation/emulation.js";

/**
 * The whole system through a real browser: headless Chromium (Debian's package, driven by
 * playwright-core) against `startEmulation()` on free ports. What the browser sees is
 * checked against the origin's view and against the core's own answer for the cookie the
 * browser holds, so a wrong group, a cache mix-up or a lost cookie all fail here.
 */

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const EN = "en.wikipedia.localhost";
const DE = "de.wikipedia.localhost";
const FRESH_VISITORS = 20;

const haveChromium = existsSync(CHROMIUM);
const mustRun = Boolean(process.env["CI"]);
const skipReason = `skipped: ${CHROMIUM} is not installed (apt-get install -y chromium) and CI is not set`;
if (!haveChromium && !mustRun) console.warn(`[e2e] browser test ${skipReason}`);
const suite = haveChromium || mustRun ? describe : describe.skip;

/** What the emulated page exposes as `window.emulation`. */
interface PageView {
  origin: {
    render: number;
    enrollments: string | null;
    pairs: { experiment: string; group: string }[] | null;
    uniqCookieReachedOrigin: boolean;
    previewCookieReachedOrigin: boolean;
    context: RequestContext;
    crawler: boolean;
  };
  browser: { raw: string | null; groups: Record<string, string>; error: string | null; secureContext: boolean };
}

/** The page script's answer when it asked the edge again as a visitor from a chosen country. */
interface AsCountry {
  country: string;
  raw: string | null;
  groups: Record<string, string>;
  error: string | null;
  context: RequestContext;
  enrollments: string | null;
}

interface Visit {
  response: PwResponse;
  view: PageView;
  setCookies: string[];
  cookie: string | undefined;
}

// Generous per-test limit: the fresh-visitor tests drive ~20 browser contexts on 2 cores.
suite(haveChromium || mustRun ? "browser end-to-end through the emulation" : `browser end-to-end (${skipReason})`, { timeout: 45_000 }, () => {
  let emulation: Emulation;
  let browser: Browser;
  let ring: KeyRing;
  let config: CompiledConfig;

  beforeAll(async () => {
    const keys = parseKeyRing(readUniqKeys(REPO_ROOT).value);
    if (!keys.ok) throw new Error(keys.error);
    ring = keys.ring;
    const parsed = parseConfigText(readFileSync(SAMPLE_CONFIG_FILE, "utf8"));
    if (!parsed.ok) throw new Error("sample config does not parse");
    config = parsed.config;
    emulation = await startEmulation({
      ports: { worker: 0, configApi: 0, origin: 0, control: 0 },
      pollIntervalMs: 0,
      log: (line) => {
        if (/"level":"error"/.test(line) || /scheduled handler|\[emulation\].*(failed|rejected)/.test(line)) console.log(line);
      },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await emulation?.close();
  });

  /** Navigates and returns what the page and the browser saw. */
  async function visit(page: Page, host: string, path = "/wiki/Main_Page", reload = false): Promise<Visit> {
    const response = reload ? await page.reload() : await page.goto(emulation.pageUrl(host, path));
    if (!response) throw new Error("no response");
    expect(response.status()).toBe(200);
    const view = (await page.evaluate("window.emulation")) as PageView;
    const setCookies = (await response.headersArray()).filter((h) => h.name.toLowerCase() === "set-cookie").map((h) => h.value);
    const cookies = await page.context().cookies(emulation.pageUrl(host, "/"));
    return { response, view, setCookies, cookie: cookies.find((c) => c.name === "WMF-Uniq")?.value };
  }

  /** The core's answer for a cookie: the pairs the browser and the origin must see. */
  function expected(cookie: string, host: string, facts: RequestFacts = browserFacts()): { all: string; page: string; events: string } {
    const verified = verifyToken(cookie, ring);
    if (!verified.ok) throw new Error(`browser cookie does not verify: ${verified.reason}`);
    const e = expectedHeaders(config, ring, cookie, host, Date.now(), facts);
    return { all: e.timing, page: e.page, events: e.events };
  }

  /** The browser's and the origin's views agree with each other and with the core. */
  function assertConsistent(v: Visit, host: string, facts: RequestFacts = browserFacts()): void {
    expect(v.cookie, "the browser holds a WMF-Uniq cookie").toMatch(/^[A-Za-z0-9_-]{48}$/);
    const want = expected(v.cookie!, host, facts);
    expect(v.view.browser.error).toBeNull();
    expect(v.view.browser.raw ?? "").toBe(want.all);
    expect(v.view.origin.enrollments ?? "", "origin rendered this visitor's own enrollments").toBe(want.page);
    expect(v.view.origin.uniqCookieReachedOrigin).toBe(false);
  }

  async function freshVisit(host: string): Promise<Visit & { context: BrowserContext }> {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    const page = await context.newPage();
    const v = await visit(page, host);
    return { ...v, context };
  }

  it("mints an HttpOnly Secure WMF-Uniq cookie on the first visit, and the browser sends it back", async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    try {
      const page = await context.newPage();
      const first = await visit(page, EN);
      expect(first.setCookies).toHaveLength(1);
      expect(first.setCookies[0]).toMatch(/^WMF-Uniq=[A-Za-z0-9_-]{48}; .*HttpOnly; Secure; SameSite=None; Expires=/);
      const stored = (await context.cookies()).filter((c) => c.name === "WMF-Uniq");
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ httpOnly: true, secure: true, sameSite: "None", path: "/" });
      expect(stored[0]!.value).toHaveLength(TOKEN_LENGTH);
      expect(stored[0]!.domain).toBe(emulation.cookieDomain === "" ? EN : `.${emulation.cookieDomain}`);
      expect(first.setCookies[0]).toContain(stored[0]!.value);
      // HttpOnly: invisible to page scripts.
      expect(await page.evaluate<string>("document.cookie")).not.toContain("WMF-Uniq");
      expect(first.view.browser.secureContext).toBe(true);

      // Sent back: a reload is not re-minted and keeps the same value.
      const again = await visit(page, EN, "/wiki/Main_Page", true);
      expect(again.setCookies).toEqual([]);
      expect(again.cookie).toBe(first.cookie);
    } finally {
      await context.close();
    }
  });

  it("shows the groups from Server-Timing, matching the origin's X-Experiment-Enrollments for cache-split experiments", async () => {
    const v = await freshVisit(EN);
    try {
      assertConsistent(v, EN);
      // The edge-only Vary token never reaches the browser.
      expect(v.response.headers()["vary"]).toBe("Accept-Encoding");
      // What the page displays is what the SDK-style parser found.
      const page = v.context.pages()[0]!;
      expect(await page.textContent("#browser-raw")).toBe(JSON.stringify(v.view.browser.raw));
      expect(await page.locator("#browser-groups tr").count()).toBe(Object.keys(v.view.browser.groups).length);
      expect(await page.locator("#browser-groups .bad").count(), "no row flagged as a mismatch").toBe(0);
      const groups = v.view.browser.groups;
      // The sample's 50/50 and cache_split:false experiments enrol everyone on en.
      expect(groups["sticky-header-2026"]).toMatch(/^(control|treatment)$/);
      expect(groups["client-only-tooltip"]).toMatch(/^(control|treatment)$/);
      // cache_split false: the browser sees it, the origin never does.
      expect(v.view.origin.enrollments ?? "").not.toContain("client-only-tooltip");
      // Shared selector: one bucket, so the paired groups always go together.
      expect(groups["reading-list-banner"] === "control").toBe(groups["reading-list-menu"] === "control");
      // Every cache-split pair the browser sees is exactly what the origin rendered.
      const originPairs = Object.fromEntries((v.view.origin.pairs ?? []).map((p) => [p.experiment, p.group]));
      for (const [exp, group] of Object.entries(originPairs)) expect(groups[exp]).toBe(group);
    } finally {
      await v.context.close();
    }
  });

  it("keeps the groups on reload", async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    try {
      const page = await context.newPage();
      const first = await visit(page, EN);
      for (let i = 0; i < 2; i++) {
        const again = await visit(page, EN, "/wiki/Main_Page", true);
        expect(again.view.browser.raw).toBe(first.view.browser.raw);
        expect(again.view.origin.enrollments).toBe(first.view.origin.enrollments);
        expect(again.cookie).toBe(first.cookie);
      }
      const other = await visit(page, EN, "/wiki/Berlin");
      expect(other.view.browser.raw).toBe(first.view.browser.raw);
    } finally {
      await context.close();
    }
  });

  it("mints a new cookie after cookies are cleared; fresh visitors land in both groups of the 50/50", async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    try {
      const page = await context.newPage();
      const first = await visit(page, EN);
      await context.clearCookies();
      const second = await visit(page, EN);
      expect(second.setCookies).toHaveLength(1);
      expect(second.cookie).toMatch(/^[A-Za-z0-9_-]{48}$/);
      expect(second.cookie).not.toBe(first.cookie);
      assertConsistent(second, EN);
    } finally {
      await context.close();
    }

    const seen = new Set<string>();
    for (let i = 0; i < FRESH_VISITORS; i += 5) {
      const batch = await Promise.all(Array.from({ length: 5 }, () => freshVisit(EN)));
      for (const v of batch) {
        assertConsistent(v, EN);
        seen.add(v.view.browser.groups["sticky-header-2026"] ?? "(none)");
        await v.context.close();
      }
    }
    expect([...seen].sort()).toEqual(["control", "treatment"]);
  });

  it("never serves one visitor's cached page to a visitor with other enrollments", async () => {
    // Visitors with known cookies (minted here with the development key) take turns on one
    // fresh URL: no enrollment (the shared copy), one set of enrollments, another set.
    const path = `/wiki/Cache_Test_${Date.now().toString(36)}`;
    const byHeader = new Map<string, string[]>();
    const enough = () => (byHeader.get("")?.length ?? 0) >= 3 && [...byHeader].filter(([h, c]) => h !== "" && c.length >= 2).length >= 2;
    for (let i = 0; i < 1000 && !enough(); i++) {
      const { value } = mintToken(ring, Date.now(), (b) => randomFillSync(b));
      const header = expected(value, DE).page;
      byHeader.set(header, [...(byHeader.get(header) ?? []), value]);
    }
    expect(enough()).toBe(true);
    const none = byHeader.get("")!;
    const [h1, h2] = [...byHeader].filter(([h, c]) => h !== "" && c.length >= 2).map(([, c]) => c);
    const order = [none[0]!, h1![0]!, none[1]!, h2![0]!, h1![1]!, none[2]!, h2![1]!];

    const renders = new Map<string, number[]>();
    for (const cookie of order) {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      try {
        // (The `url:` form silently drops a Secure cookie for an http URL; `domain` + `path` works.)
        await context.addCookies([{ name: "WMF-Uniq", value: cookie, domain: DE, path: "/", httpOnly: true, secure: true, sameSite: "None" }]);
        const v = await visit(await context.newPage(), DE, path);
        expect(v.setCookies, "a valid cookie is not re-minted").toEqual([]);
        expect(v.cookie).toBe(cookie);
        assertConsistent(v, DE);
        const header = v.view.origin.enrollments ?? "";
        renders.set(header, [...(renders.get(header) ?? []), v.view.origin.render]);
      } finally {
        await context.close();
      }
    }
    expect(renders.size).toBe(3);
    // Each origin render was seen only by visitors with the same enrollments...
    const owner = new Map<number, string>();
    for (const [header, list] of renders) {
      for (const r of list) {
        expect(owner.get(r) ?? header, `render #${r} served across enrollments`).toBe(header);
        owner.set(r, header);
      }
    }
    // ...and the cache was used: later visitors with the same enrollments got the cached copy.
    for (const [header, list] of renders) {
      expect(new Set(list).size, `visitors with ${JSON.stringify(header)} share a cached copy`).toBeLessThan(list.length);
    }
  });

  it("uses one cookie across the wikis: unique_domain experiments assign per host, others do not", async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    try {
      const page = await context.newPage();
      const en = await visit(page, EN);
      const de = await visit(page, DE);
      if (emulation.cookieDomain === "") {
        expect(de.setCookies, "host-only cookies: de mints its own").toHaveLength(1);
        return;
      }
      expect(de.setCookies, "the en cookie is sent to de").toEqual([]);
      expect(de.cookie).toBe(en.cookie);
      assertConsistent(de, DE);
      // A visitor enrolled in the unique_domain experiment on both wikis (minted here).
      let cookie = "";
      for (let i = 0; i < 1000 && cookie === ""; i++) {
        const { value } = mintToken(ring, Date.now(), (b) => randomFillSync(b));
        if ([EN, DE].every((h) => expected(value, h).events.includes("font-size-per-wiki="))) cookie = value;
      }
      expect(cookie).not.toBe("");
      await context.clearCookies();
      await context.addCookies([
        { name: "WMF-Uniq", value: cookie, domain: `.${emulation.cookieDomain}`, path: "/", httpOnly: true, secure: true, sameSite: "None" },
      ]);
      const subjects: Record<string, string | undefined>[] = [];
      for (const host of [EN, DE]) {
        const v = await visit(page, host);
        expect(v.setCookies).toEqual([]);
        const nonce = `xhost-${host}-${Date.now().toString(36)}`;
        expect(await page.evaluate<number>(`window.sendTestEvent(${JSON.stringify(nonce)})`)).toBe(202);
        const event = emulation.origin.events.find((e) => e.body.includes(nonce));
        expect(event?.enrollments).toBe(expected(cookie, host).events);
        subjects.push(Object.fromEntries((event?.pairs ?? []).map((p) => [p.experiment, p.subject])));
      }
      const [onEn, onDe] = subjects as [Record<string, string | undefined>, Record<string, string | undefined>];
      // Same selector, no unique_domain: the same subject ID on both wikis.
      expect(onEn["client-only-tooltip"]).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(onDe["client-only-tooltip"]).toBe(onEn["client-only-tooltip"]);
      // unique_domain: the host is an input, so the subject IDs differ.
      expect(onEn["font-size-per-wiki"]).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(onDe["font-size-per-wiki"]).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(onDe["font-size-per-wiki"]).not.toBe(onEn["font-size-per-wiki"]);
    } finally {
      await context.close();
    }
  });

  it("delivers an event from the page to the origin with subject IDs, without the cookie", async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    try {
      const page = await context.newPage();
      const v = await visit(page, EN);
      const want = expected(v.cookie!, EN);
      const nonce = `e2e-${Date.now().toString(36)}`;
      const status = await page.evaluate<number>(`window.sendTestEvent(${JSON.stringify(nonce)})`);
      expect(status).toBe(202);
      const reached = emulation.origin.events.filter((e) => e.body.includes(nonce));
      expect(reached, "the event reached the origin, once").toHaveLength(1);
      const event = reached[0];
      expect(event!.uniqCookieReachedOrigin).toBe(false);
      expect(event!.enrollments).toBe(want.events);
      const pairs = decodeEnrollmentHeader(event!.enrollments ?? "");
      expect(pairs).not.toBeNull();
      expect(pairs!.map((p) => `${p.experiment}=${p.group};`).join("")).toBe(v.view.browser.raw);
      for (const p of pairs!) expect(p.subject).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const subjectOf = (exp: string) => pairs!.find((p) => p.experiment === exp)?.subject;
      expect(subjectOf("reading-list-banner")).toBe(subjectOf("reading-list-menu"));
      expect(subjectOf("sticky-header-2026")).not.toBe(subjectOf("client-only-tooltip"));

      // The button does the same and says what happened.
      await page.click("#send-event");
      await expect.poll(() => page.textContent("#event-result")).toMatch(/^202 from the origin/);
    } finally {
      await context.close();
    }
  });

  describe("the worker's own cookie Domain under multi-label public suffixes", () => {
    // No COOKIE_DOMAIN: the worker takes the registrable domain from the Public Suffix List.
    // A two-label ICANN suffix and a private one (a Domain of `github.io` would be refused).
    const SITES = [
      { host: "en.example.co.uk", sibling: "de.example.co.uk", domain: "example.co.uk" },
      { host: "en.example.github.io", sibling: "de.example.github.io", domain: "example.github.io" },
    ];
    const names = SITES.flatMap((s) => [s.host, s.sibling]);
    let own: Emulation;
    let named: Browser;

    beforeAll(async () => {
      own = await startEmulation({
        ports: { worker: 0, configApi: 0, origin: 0, control: 0 },
        pollIntervalMs: 0,
        cookieDomain: "",
        log: (line) => {
          if (/"level":"error"/.test(line)) console.log(line);
        },
      });
      const origins = names.map((n) => `http://${n}:${own.worker.port}`);
      named = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          ...FLAGS,
          // These names resolve to 127.0.0.1 inside the browser, without DNS.
          `--host-resolver-rules=${names.map((n) => `MAP ${n} 127.0.0.1`).join(", ")}`,
          // Chromium keeps a Secure cookie sent over plain http only from a secure context:
          // *.localhost is one, these names are not (it drops the cookie). Production is
          // HTTPS; this flag makes the test origins secure contexts as HTTPS would, and
          // leaves the Domain checks (the point here) as they are.
          `--unsafely-treat-insecure-origin-as-secure=${origins.join(",")}`,
        ],
      });
    });

    afterAll(async () => {
      await named?.close();
      await own?.close();
    });

    it.each(SITES)("$host: the browser keeps Domain=$domain and sends the cookie back, to $sibling too", async ({ host, sibling, domain }) => {
      const context = await named.newContext({ userAgent: BROWSER_UA });
      try {
        const page = await context.newPage();
        const go = async (h: string) => {
          const response = await page.goto(own.pageUrl(h));
          expect(response?.status()).toBe(200);
          const setCookies = (await response!.headersArray()).filter((x) => x.name.toLowerCase() === "set-cookie").map((x) => x.value);
          const stored = (await context.cookies()).filter((c) => c.name === "WMF-Uniq");
          return { setCookies, stored };
        };
        const first = await go(host);
        expect(first.setCookies).toHaveLength(1);
        expect(((await page.evaluate("window.emulation")) as PageView).browser.secureContext).toBe(true);
        // Kept: the browser stored it, for the whole registrable domain.
        expect(first.stored, `the browser kept ${first.setCookies[0]}`).toHaveLength(1);
        expect(first.stored[0]).toMatchObject({ domain: `.${domain}`, httpOnly: true, secure: true, sameSite: "None" });
        const value = first.stored[0]!.value;
        expect(first.setCookies[0]).toContain(`WMF-Uniq=${value}; Domain=${domain}; `);

        // Sent back: neither a reload nor another host of the same site is re-minted.
        for (const h of [host, sibling]) {
          const again = await go(h);
          expect(again.setCookies, `${h} got the cookie back`).toEqual([]);
          expect(again.stored.map((c) => c.value)).toEqual([value]);
        }
      } finally {
        await context.close();
      }
    });
  });

  /** A fresh path, so the origin renders for this request (a cached copy keeps its renderer's context). */
  const freshPath = (name: string) => `/wiki/${name}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;

  it("runs with a mobile User-Agent and gets the mobile allocation, as the core does", async () => {
    const mobile = browserFacts({ userAgent: MOBILE_BROWSER_UA });
    const context = await browser.newContext({ userAgent: MOBILE_BROWSER_UA });
    try {
      const page = await context.newPage();
      const first = await visit(page, EN, freshPath("Mobile"));
      expect(first.setCookies).toHaveLength(1);
      expect(first.view.origin.context).toMatchObject({ platform: "mobile", host: EN, country: "XX" });
      expect(await page.textContent("#context-platform")).toBe("mobile");
      assertConsistent(first, EN, mobile);

      // A visitor whose bucket is inside the mobile ranges and outside the desktop ones.
      let cookie = "";
      for (let i = 0; i < 1000 && cookie === ""; i++) {
        const { value } = mintToken(ring, Date.now(), (b) => randomFillSync(b));
        if (expected(value, EN, mobile).all.includes("mobile-toc-2026=") && !expected(value, EN).all.includes("mobile-toc-2026=")) cookie = value;
      }
      expect(cookie).not.toBe("");
      await context.clearCookies();
      await context.addCookies([{ name: "WMF-Uniq", value: cookie, domain: EN, path: "/", httpOnly: true, secure: true, sameSite: "None" }]);
      const v = await visit(page, EN, freshPath("Mobile"));
      expect(v.setCookies).toEqual([]);
      assertConsistent(v, EN, mobile);
      expect(v.view.browser.groups["mobile-toc-2026"]).toMatch(/^(control|treatment)$/);
      expect(v.view.origin.enrollments).toContain(`mobile-toc-2026=${v.view.browser.groups["mobile-toc-2026"]};`);
    } finally {
      await context.close();
    }
  });

  it("treats headless Chromium's own User-Agent as a bot: no cookie, no enrollment", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      expect(await page.evaluate<string>("navigator.userAgent")).toContain("HeadlessChrome");
      const v = await visit(page, EN, freshPath("Headless"));
      expect(v.setCookies).toEqual([]);
      expect(v.cookie).toBeUndefined();
      expect(v.view.browser.raw).toBeNull();
      expect(v.view.origin.enrollments).toBeNull();
      expect(v.view.origin.crawler).toBe(true);
      expect(await page.textContent("#context-crawler")).toMatch(/^a crawler/);
    } finally {
      await context.close();
    }
  });

  it("sees the rule-gated experiment when the request carries the emulated country", async () => {
    const de = browserFacts({ country: "DE" });
    const context = await browser.newContext({ userAgent: BROWSER_UA, extraHTTPHeaders: { [EMULATION_COUNTRY_HEADER]: "DE" } });
    try {
      const v = await visit(await context.newPage(), EN, freshPath("Country"));
      expect(v.view.origin.context).toMatchObject({ country: "DE", platform: "desktop", loggedIn: false });
      assertConsistent(v, EN, de);
      // On en the rule-gated experiment is 50/50: every eligible visitor is in it.
      expect(v.view.browser.groups["dach-welcome-banner"]).toMatch(/^(control|banner)$/);
      expect(v.view.origin.enrollments).toContain("dach-welcome-banner=");
    } finally {
      await context.close();
    }
  });

  it("lets a person choose a country on the page: the script asks the edge again with the header", async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    try {
      const page = await context.newPage();
      const v = await visit(page, EN, freshPath("Choose"));
      expect(v.view.browser.groups["dach-welcome-banner"], "the navigation itself has no country").toBeUndefined();
      expect(await page.evaluate("window.emulation.asked")).toBeNull();

      await page.click(`button[data-country="AT"]`);
      const at = (await page.evaluate("window.emulation.asked")) as AsCountry;
      expect(at.error).toBeNull();
      expect(at.context).toMatchObject({ country: "AT", loggedIn: false });
      expect(at.raw).toBe(expected(v.cookie!, EN, browserFacts({ country: "AT" })).all);
      expect(at.groups["dach-welcome-banner"]).toMatch(/^(control|banner)$/);
      expect(at.enrollments).toContain("dach-welcome-banner=");
      expect(await page.textContent("#as-country")).toContain("with X-Emulation-Country: AT");

      // The choice is a cookie, so it holds on the next page, and on the other wiki.
      await visit(page, DE);
      expect(((await page.evaluate("window.emulation.asked")) as AsCountry).context.country).toBe("AT");
      await visit(page, EN);
      // "Pretend to be logged in" sets a session cookie: `!loggedIn` fails, so not eligible.
      await page.click("#toggle-login");
      const asLoggedIn = (await page.evaluate("window.emulation.asked")) as AsCountry;
      expect(asLoggedIn.context).toMatchObject({ country: "AT", loggedIn: true });
      expect(asLoggedIn.groups["dach-welcome-banner"]).toBeUndefined();
      expect(asLoggedIn.raw).toBe(expected(v.cookie!, EN, browserFacts({ country: "AT", cookieHeader: `${EMULATION_SESSION_COOKIE}=emulated` })).all);
      // The navigation carries the session cookie too.
      expect((await visit(page, EN, freshPath("LoggedIn"))).view.origin.context.loggedIn).toBe(true);

      await page.click(`button[data-country=""]`);
      await page.click("#toggle-login");
      expect(await page.evaluate("window.emulation.asked")).toBeNull();
      const names = (await context.cookies()).map((c) => c.name);
      expect(names).not.toContain("emulation-country");
      expect(names).not.toContain(EMULATION_SESSION_COOKIE);
    } finally {
      await context.close();
    }
  });

  it("follows a preview link made by the preview-link tool's code: the forced groups in the page and at the origin, an event without them", async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    try {
      const page = await context.newPage();
      // The visitor's own groups first, so the forced ones can be told from them.
      const own = await visit(page, EN, freshPath("Own"));
      const ownGroups = own.view.browser.groups;
      const forced: Record<string, string> = {
        "sticky-header-2026": ownGroups["sticky-header-2026"] === "control" ? "treatment" : "control",
        // A 10 % sample, and a rule-gated experiment this visitor (no country) is not eligible for.
        "search-suggest-sample": "treatment",
        "dach-welcome-banner": "banner",
      };
      const path = freshPath("Preview");
      const l = emulation.previewLink(EN, Object.entries(forced).map(([experiment, group]) => ({ experiment, group })), { path: `${path}?x=1` });

      const response = await page.goto(l.link);
      expect(response?.status()).toBe(200);
      // The browser followed the 302 to the same URL without the parameter.
      expect(page.url()).toBe(emulation.pageUrl(EN, `${path}?x=1`));
      const hop = response!.request().redirectedFrom();
      expect(hop?.url()).toBe(l.link);
      const redirect = await hop!.response();
      expect(redirect!.status()).toBe(302);
      expect((await redirect!.allHeaders())["cache-control"]).toBe("no-store");
      // The host-only, HttpOnly preview cookie; the visitor's WMF-Uniq as it was.
      const cookies = await context.cookies();
      const preview = cookies.find((c) => c.name === "WMF-Preview");
      expect(preview).toMatchObject({ value: l.token, domain: EN, path: "/", httpOnly: true, secure: true, sameSite: "Lax" });
      expect(Math.abs(preview!.expires - l.expiresAtMs / 1000)).toBeLessThanOrEqual(1);
      expect(cookies.find((c) => c.name === "WMF-Uniq")?.value).toBe(own.cookie);
      expect(await page.evaluate<string>("document.cookie")).not.toContain("WMF-Preview");

      // The page: Server-Timing as the page script shows it, and the origin's header.
      const view = (await page.evaluate("window.emulation")) as PageView;
      expect(view.browser.error).toBeNull();
      for (const [exp, group] of Object.entries(forced)) {
        expect(view.browser.groups[exp], `${exp} in Server-Timing`).toBe(group);
        expect(view.origin.enrollments, `${exp} at the origin`).toContain(`${exp}=${group};`);
      }
      for (const [exp, group] of Object.entries(ownGroups)) if (!(exp in forced)) expect(view.browser.groups[exp], exp).toBe(group);
      expect(await page.textContent("#browser-raw")).toContain(`sticky-header-2026=${forced["sticky-header-2026"]};`);
      expect(await page.locator("#browser-groups .bad").count(), "the page finds Server-Timing and the origin in agreement").toBe(0);
      expect(view.origin.uniqCookieReachedOrigin).toBe(false);
      expect(view.origin.previewCookieReachedOrigin).toBe(false);
      expect(await page.textContent("#origin-preview-cookie")).toBe("no");

      // An event from the previewed page reaches the origin without the forced experiments.
      const nonce = `preview-${Date.now().toString(36)}`;
      expect(await page.evaluate<number>(`window.sendTestEvent(${JSON.stringify(nonce)})`)).toBe(202);
      const event = emulation.origin.events.find((e) => e.body.includes(nonce));
      expect(event, "the event reached the origin").toBeDefined();
      const kept = expected(own.cookie!, EN).events.split(";").filter((p) => p !== "" && !Object.keys(forced).some((exp) => p.startsWith(`${exp}=`)));
      expect(event!.enrollments).toBe(kept.map((p) => `${p};`).join(""));
      for (const exp of Object.keys(forced)) expect(event!.enrollments ?? "").not.toContain(exp);
      expect(event!.previewCookieReachedOrigin).toBe(false);

      // The cookie keeps the preview on the next page.
      const next = await visit(page, EN, freshPath("Next"));
      expect(next.view.browser.groups["sticky-header-2026"]).toBe(forced["sticky-header-2026"]);
    } finally {
      await context.close();
    }
  });

  it("answers an event without a cookie at the edge (204) and never bothers the origin", async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    try {
      const page = await context.newPage();
      await visit(page, EN);
      await context.clearCookies();
      const before = emulation.origin.events.length;
      const status = await page.evaluate<number>(`window.sendTestEvent("no-cookie")`);
      expect(status).toBe(204);
      expect(emulation.origin.events.length).toBe(before);
    } finally {
      await context.close();
    }
  });
});
