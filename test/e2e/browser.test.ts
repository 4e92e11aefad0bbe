import { randomFillSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page, type Response as PwResponse } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config-parse.js";
import type { CompiledConfig } from "../../src/config-compile.js";
import { enroll } from "../../src/enroll.js";
import { decodeEnrollmentHeader, encodeAllPairs, encodeEventsHeader, encodePageHeader } from "../../src/enrollment-header.js";
import { parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { mintToken, TOKEN_LENGTH, verifyToken } from "../../src/token.js";
import { SAMPLE_CONFIG_FILE } from "../../emulation/config-api.js";
import { readUniqKeys } from "../../emulation/dev-vars.js";
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
  origin: { render: number; enrollments: string | null; pairs: { experiment: string; group: string }[] | null; uniqCookieReachedOrigin: boolean };
  browser: { raw: string | null; groups: Record<string, string>; error: string | null; secureContext: boolean };
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
  function expected(cookie: string, host: string): { all: string; page: string; events: string } {
    const verified = verifyToken(cookie, ring);
    if (!verified.ok) throw new Error(`browser cookie does not verify: ${verified.reason}`);
    const e = enroll(verified.identity, host, Date.now(), config, true);
    return { all: encodeAllPairs(e), page: encodePageHeader(e), events: encodeEventsHeader(e) };
  }

  /** The browser's and the origin's views agree with each other and with the core. */
  function assertConsistent(v: Visit, host: string): void {
    expect(v.cookie, "the browser holds a WMF-Uniq cookie").toMatch(/^[A-Za-z0-9_-]{48}$/);
    const want = expected(v.cookie!, host);
    expect(v.view.browser.error).toBeNull();
    expect(v.view.browser.raw ?? "").toBe(want.all);
    expect(v.view.origin.enrollments ?? "", "origin rendered this visitor's own enrollments").toBe(want.page);
    expect(v.view.origin.uniqCookieReachedOrigin).toBe(false);
  }

  async function freshVisit(host: string): Promise<Visit & { context: BrowserContext }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const v = await visit(page, host);
    return { ...v, context };
  }

  it("mints an HttpOnly Secure WMF-Uniq cookie on the first visit, and the browser sends it back", async () => {
    const context = await browser.newContext();
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
    const context = await browser.newContext();
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
    const context = await browser.newContext();
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
      const context = await browser.newContext();
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
    const context = await browser.newContext();
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
    const context = await browser.newContext();
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

  it("answers an event without a cookie at the edge (204) and never bothers the origin", async () => {
    const context = await browser.newContext();
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
