import { spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseKeyRing } from "../../src/keyring.js";
import type { RequestContext } from "../../src/request-context.js";
import { mintToken } from "../../src/token.js";
import { SAMPLE_CONFIG_FILE } from "../../emulation/config-api.js";
import { readPreviewKeys, readUniqKeys } from "../../emulation/dev-vars.js";
import { EMULATION_COUNTRY_HEADER, EMULATION_SESSION_COOKIE } from "../../emulation/emulated-country.js";
import { REPO_ROOT } from "../../emulation/edge-worker.js";
import { bannerPreviewPairs, commonParentDomain, startEmulation, type Emulation } from "../../emulation/emulation.js";
import { BROWSER_UA, CRAWLER_UA, MOBILE_BROWSER_UA } from "../helpers/browser-ua.js";
import { browserFacts, expectedFor } from "../helpers/expect-enrollment.js";

/**
 * The whole emulation with the built worker (dist/worker.js), without a browser: requests
 * carry the wiki host in the Host header, as a browser resolving *.localhost would.
 */

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request to 127.0.0.1:port with `host` in the Host header. */
function send(port: number, host: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: init.method ?? "GET", headers: { host: `${host}:${port}`, ...init.headers } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

interface OriginView {
  render: number;
  enrollments: string | null;
  previewCookieReachedOrigin: boolean;
  context: RequestContext;
  crawler: boolean;
}

function originView(html: string): OriginView {
  const m = /window\.emulation = \{ origin: (\{.*?\}), eventsPath/.exec(html);
  if (!m) throw new Error(`not an emulated wiki page: ${html.slice(0, 200)}`);
  return JSON.parse(m[1]!) as OriginView;
}

/** The pairs of the WMF-Uniq Server-Timing entry ("" when there is none). */
function timingPairs(r: Reply): string {
  return /WMF-Uniq;desc="([^"]*)"/.exec(String(r.headers["server-timing"] ?? ""))?.[1] ?? "";
}

const KEYS = readUniqKeys(REPO_ROOT).value;

const EN = "en.wikipedia.localhost";

describe("emulation with the built worker", () => {
  let dir: string;
  let configFile: string;
  let emu: Emulation;
  let cookie: string;

  const status = async () => JSON.parse((await send(emu.port, EN, "/_enrollment/status")).body) as {
    config: { version: string | null; experiments: number };
    poll: { outcome: string; reason: string | null; httpStatus: number | null; consecutiveFailures: number } | null;
    settings: { configUrl: string; origin: string; cookieDomain: string };
  };
  const controlPoll = async () => {
    const r = await fetch(`${emu.controlUrl}/_emulation/poll`, { method: "POST" });
    expect(r.status).toBe(200);
    return (await r.json()) as { poll: { outcome: string }; workerStatus: Awaited<ReturnType<typeof status>> };
  };
  const setMode = async (mode: string) => {
    const r = await fetch(`${emu.controlUrl}/_emulation/mode?mode=${mode}`, { method: "POST" });
    expect(r.status).toBe(200);
  };
  const page = async (path = "/wiki/Main_Page") => send(emu.port, EN, path, { headers: { cookie } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "emulation-"));
    configFile = join(dir, "config.json");
    copyFileSync(SAMPLE_CONFIG_FILE, configFile);
    emu = await startEmulation({
      ports: { worker: 0, configApi: 0, origin: 0, control: 0 },
      configFile,
      pollIntervalMs: 0,
      configRefreshMs: 1000,
      slowMs: 3000,
      vars: { CONFIG_POLL_TIMEOUT_MS: "300" },
    });
    const first = await send(emu.port, EN, "/wiki/Main_Page");
    const set = first.headers["set-cookie"];
    expect(Array.isArray(set) && set.length === 1).toBe(true);
    cookie = (set as string[])[0]!.split(";")[0]!;
  });
  afterAll(async () => {
    await emu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("polls the config at start-up and serves enrolled pages through the worker", async () => {
    expect(emu.lastPoll()?.outcome).toBe("updated");
    const s = await status();
    expect(s.config.experiments).toBe(8);
    // The public status page names no addresses, only whether they are set.
    expect(s.settings.configUrl).toBe("custom");
    expect(s.settings.origin).toBe("ORIGIN_URL");
    expect(s.settings.cookieDomain).toBe("wikipedia.localhost");

    const r = await page();
    expect(r.status).toBe(200);
    expect(r.headers["set-cookie"]).toBeUndefined();
    expect(r.headers["vary"]).toBe("Accept-Encoding");
    expect(String(r.headers["server-timing"])).toMatch(/WMF-Uniq;desc="sticky-header-2026=(control|treatment);/);
    expect(originView(r.body).enrollments).toMatch(/^sticky-header-2026=(control|treatment);/);
  });

  it("gives a crawler no cookie and no enrollment, and a browser both", async () => {
    const bot = await send(emu.port, EN, "/wiki/Crawled", { headers: { "user-agent": CRAWLER_UA } });
    expect(bot.status).toBe(200);
    expect(bot.headers["set-cookie"]).toBeUndefined();
    expect(String(bot.headers["server-timing"])).not.toContain("WMF-Uniq");
    expect(originView(bot.body)).toMatchObject({ enrollments: null, crawler: true });

    const visitor = await send(emu.port, EN, "/wiki/Crawled", { headers: { "user-agent": BROWSER_UA } });
    expect(visitor.headers["set-cookie"]).toEqual([expect.stringMatching(/^WMF-Uniq=[A-Za-z0-9_-]{48}; /)]);
    expect(timingPairs(visitor)).toMatch(/^sticky-header-2026=(control|treatment);/);
    expect(originView(visitor.body)).toMatchObject({ enrollments: expect.stringMatching(/^sticky-header-2026=/), crawler: false });
  });

  it("takes the country from X-Emulation-Country and gates the rule-gated experiment as the core does", async () => {
    const doc = JSON.parse(readFileSync(configFile, "utf8")) as unknown;
    const value = cookie.slice("WMF-Uniq=".length);
    const cases: [country: string | null, loggedIn: boolean, eligible: boolean][] = [
      ["DE", false, true],
      ["at", false, true],
      ["US", false, false],
      ["DE", true, false],
      [null, false, false],
    ];
    for (const [country, loggedIn, eligible] of cases) {
      const session = loggedIn ? `${EMULATION_SESSION_COOKIE}=x` : null;
      const headers: Record<string, string> = { cookie: session === null ? cookie : `${cookie}; ${session}`, "user-agent": BROWSER_UA };
      if (country !== null) headers[EMULATION_COUNTRY_HEADER] = country;
      const r = await send(emu.port, EN, "/wiki/Main_Page?emulation=context", { headers });
      const label = `${country} loggedIn=${loggedIn}`;
      expect(r.headers["cache-control"], label).toBe("no-store");
      const body = JSON.parse(r.body) as { context: RequestContext; enrollments: string | null };
      expect(body.context, label).toMatchObject({ country: country?.toUpperCase() ?? "XX", loggedIn, platform: "desktop" });
      const want = expectedFor(doc, value, EN, Date.now(), KEYS, browserFacts({ country, cookieHeader: session, acceptLanguage: null }));
      expect(timingPairs(r), label).toBe(want.timing);
      expect(body.enrollments ?? "", label).toBe(want.page);
      // On en the rule-gated experiment is 50/50: every eligible visitor is in it.
      expect(timingPairs(r).includes("dach-welcome-banner="), label).toBe(eligible);
    }
  });

  it("uses the mobile allocation for a mobile User-Agent", async () => {
    const doc = JSON.parse(readFileSync(configFile, "utf8")) as unknown;
    const keys = parseKeyRing(KEYS);
    if (!keys.ok) throw new Error(keys.error);
    const facts = { desktop: browserFacts({ acceptLanguage: null }), mobile: browserFacts({ userAgent: MOBILE_BROWSER_UA, acceptLanguage: null }) };
    // A visitor whose bucket is inside the mobile ranges and outside the desktop ones.
    let value = "";
    for (let i = 0; i < 1000 && value === ""; i++) {
      const minted = mintToken(keys.ring, Date.now(), (b) => randomFillSync(b)).value;
      const mobile = expectedFor(doc, minted, EN, Date.now(), KEYS, facts.mobile);
      const desktop = expectedFor(doc, minted, EN, Date.now(), KEYS, facts.desktop);
      if (mobile.timing.includes("mobile-toc-2026=") && !desktop.timing.includes("mobile-toc-2026=")) value = minted;
    }
    expect(value).not.toBe("");
    for (const [platform, ua] of [["mobile", MOBILE_BROWSER_UA], ["desktop", BROWSER_UA]] as const) {
      const r = await send(emu.port, EN, "/wiki/Main_Page?emulation=context", { headers: { cookie: `WMF-Uniq=${value}`, "user-agent": ua } });
      expect((JSON.parse(r.body) as { context: RequestContext }).context.platform).toBe(platform);
      expect(timingPairs(r), platform).toBe(expectedFor(doc, value, EN, Date.now(), KEYS, facts[platform]).timing);
      expect(timingPairs(r).includes("mobile-toc-2026="), platform).toBe(platform === "mobile");
    }
  });

  it("polls on demand through the control server, revalidating with the ETag", async () => {
    const before = emu.configApi.stats.notModified;
    const r = await controlPoll();
    // One outcome: the poll's own, the same as the status page's.
    expect(r.poll.outcome).toBe("not-modified");
    expect(r.poll).not.toHaveProperty("status");
    expect(r.workerStatus.poll?.outcome).toBe("not-modified");
    expect(emu.configApi.stats.notModified).toBe(before + 1);
  });

  it("keeps the last good config while the config API misbehaves, and recovers", async () => {
    const good = (await status()).config.version;
    const enrolledBefore = originView((await page()).body).enrollments;
    const expectations: [string, string, RegExp][] = [
      ["error500", "rejected", /HTTP 500/],
      ["invalid-json", "rejected", /validation|JSON/i],
      ["wrong-type", "rejected", /^Content-Type "text\/html; charset=utf-8", expected application\/json$/],
      ["invalid-config", "rejected", /validation/],
      ["slow", "failed", /timeout/],
    ];
    for (const [mode, outcome, reason] of expectations) {
      await setMode(mode);
      const reply = await controlPoll();
      expect(reply.poll.outcome, mode).toBe(outcome);
      const s = reply.workerStatus;
      expect(s.poll?.outcome, mode).toBe(outcome);
      expect(s.poll?.reason ?? "", mode).toMatch(reason);
      expect(s.config.version, mode).toBe(good);
      expect(originView((await page(`/wiki/Mode_${mode}`)).body).enrollments, mode).toBe(enrolledBefore);
    }
    expect((await status()).poll?.consecutiveFailures).toBe(expectations.length);
    await setMode("ok");
    const recovered = (await controlPoll()).workerStatus;
    expect(["unchanged", "not-modified"]).toContain(recovered.poll?.outcome);
    expect(recovered.poll?.consecutiveFailures).toBe(0);
  });

  it("picks up an edit of the config file at the next poll", async () => {
    const doc = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    delete doc["sticky-header-2026"];
    writeFileSync(configFile, JSON.stringify(doc, null, 2));
    const s = (await controlPoll()).workerStatus;
    expect(s.poll?.outcome).toBe("updated");
    // Isolates re-check KV every CONFIG_REFRESH_MS (1 s here).
    await expect
      .poll(async () => String((await page(`/wiki/Edited_${Date.now()}`)).headers["server-timing"]), { timeout: 5000, interval: 250 })
      .not.toContain("sticky-header-2026");
    expect((await status()).config.experiments).toBe(7);
  });

  it("serves the bucket map of the config the worker holds, linked from the wiki pages", async () => {
    const wiki = await page();
    expect(wiki.body).toContain(`<a href="${emu.controlUrl}/_emulation/map" id="map-link">`);
    const r = await fetch(`${emu.controlUrl}/_emulation/map`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    const map = await r.text();
    expect(map).toContain(`version ${(await status()).config.version!.slice(0, 12)}`);
    expect(map).toContain('data-kind="group" data-group="control" data-first="0" data-last="49999"');
  });

  it("forwards events with subject IDs and answers 204 without a cookie", async () => {
    const withCookie = await send(emu.port, EN, emu.origin.eventsPath, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ nonce: "integration" }),
    });
    expect(withCookie.status).toBe(202);
    const event = emu.origin.events.at(-1)!;
    expect(event.body).toContain("integration");
    expect(event.pairs?.length).toBeGreaterThan(0);
    for (const p of event.pairs ?? []) expect(p.subject).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(event.uniqCookieReachedOrigin).toBe(false);

    const count = emu.origin.events.length;
    const without = await send(emu.port, EN, emu.origin.eventsPath, { method: "POST", body: "{}" });
    expect(without.status).toBe(204);
    expect(emu.origin.events.length).toBe(count);
  });
});

describe("preview links in the emulation (contract §10)", () => {
  let emu: Emulation;
  beforeAll(async () => {
    emu = await startEmulation({ ports: { worker: 0, configApi: 0, origin: 0, control: 0 }, pollIntervalMs: 0 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("makes links with the preview-link tool's code under .dev.vars(.example)'s PREVIEW_KEYS, and the worker honours them", async () => {
    expect(emu.previewKeysSource).toBe(readPreviewKeys(REPO_ROOT).source);
    const pairs = bannerPreviewPairs(SAMPLE_CONFIG_FILE, EN);
    expect(pairs).toEqual([
      { experiment: "sticky-header-2026", group: "treatment" },
      { experiment: "search-suggest-sample", group: "treatment" },
    ]);
    const l = emu.previewLink(EN, pairs);
    expect(l.link).toBe(`http://${EN}:${emu.port}/wiki/Main_Page?wmf-preview=${l.token}`);
    expect(l.developmentKey).toBe(true);

    const minted = await send(emu.port, EN, "/wiki/Main_Page", { headers: { "user-agent": BROWSER_UA } });
    const uniq = (minted.headers["set-cookie"] as string[])[0]!.split(";")[0]!;
    const followed = await send(emu.port, EN, `/wiki/Main_Page?wmf-preview=${l.token}`, { headers: { cookie: uniq, "user-agent": BROWSER_UA } });
    expect(followed.status).toBe(302);
    expect(followed.headers["location"]).toBe(`http://${EN}:${emu.port}/wiki/Main_Page`);
    expect(followed.headers["set-cookie"]).toEqual([expect.stringMatching(/^WMF-Preview=[A-Za-z0-9_-]+; Path=\/; HttpOnly; Secure; SameSite=Lax; Expires=/)]);
    const preview = (followed.headers["set-cookie"] as string[])[0]!.split(";")[0]!;

    const r = await send(emu.port, EN, "/wiki/Previewed", { headers: { cookie: `${uniq}; ${preview}`, "user-agent": BROWSER_UA } });
    expect(timingPairs(r)).toMatch(/^sticky-header-2026=treatment;search-suggest-sample=treatment;/);
    expect(originView(r.body)).toMatchObject({ enrollments: expect.stringMatching(/^sticky-header-2026=treatment;search-suggest-sample=treatment;/), previewCookieReachedOrigin: false });

    const ev = await send(emu.port, EN, emu.origin.eventsPath, { method: "POST", body: '{"nonce":"preview"}', headers: { cookie: `${uniq}; ${preview}`, "user-agent": BROWSER_UA } });
    expect(ev.status).toBe(202);
    const event = emu.origin.events.at(-1)!;
    expect(event.enrollments).not.toContain("sticky-header-2026");
    expect(event.enrollments).not.toContain("search-suggest-sample");
    expect(event.pairs?.length).toBeGreaterThan(0);
    expect(event.previewCookieReachedOrigin).toBe(false);

    expect(() => emu.previewLink(EN, [{ experiment: "sticky-header-2026", group: "nope" }])).toThrow(/no group "nope"/);
    expect(() => emu.previewLink(EN, pairs, { ttl: "8d" })).toThrow(/at most 7d/);
  });

  it("npm start prints a working preview link in its banner", { timeout: 90_000 }, async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "emulation/main.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, EMULATION_WORKER_PORT: "0", EMULATION_CONFIG_PORT: "0", EMULATION_ORIGIN_PORT: "0", EMULATION_CONTROL_PORT: "0", EMULATION_MEMORY_KV: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const banner = /Preview link \(PREVIEW_KEYS from [^)]*DEVELOPMENT preview key[^)]*\):\n  http:\/\/en\.wikipedia\.localhost:(\d+)(\/wiki\/Main_Page\?wmf-preview=[A-Za-z0-9_-]+)\n  forces (\S+), (\S+) until /;
      await expect.poll(() => banner.test(out), { timeout: 60_000, interval: 250 }).toBe(true);
      const [, port, path, first, second] = banner.exec(out)!;
      const followed = await send(Number(port), EN, path!, { headers: { "user-agent": BROWSER_UA } });
      expect(followed.status).toBe(302);
      const preview = (followed.headers["set-cookie"] as string[]).find((c) => c.startsWith("WMF-Preview="))!.split(";")[0]!;
      const r = await send(Number(port), EN, "/wiki/Main_Page", { headers: { cookie: preview, "user-agent": BROWSER_UA } });
      expect(timingPairs(r)).toContain(`${first};`);
      expect(timingPairs(r)).toContain(`${second!.replace(/;$/, "")};`);
      expect(out).toContain("make another: npm run preview-link -- --host en.wikipedia.localhost --pair EXPERIMENT=GROUP");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
});

describe("emulation lifecycle", () => {
  it("close() stops every server", async () => {
    const emu = await startEmulation({ ports: { worker: 0, configApi: 0, origin: 0, control: 0 }, pollIntervalMs: 0 });
    const urls = [emu.workerUrl, emu.configApi.url, emu.origin.url, emu.controlUrl];
    for (const url of urls) expect((await fetch(url + "/", { redirect: "manual" })).status).toBeGreaterThan(0);
    await emu.close();
    for (const url of urls) await expect(fetch(url + "/"), url).rejects.toThrow();
  });

  it("derives one cookie domain for all wiki hosts, or none", () => {
    expect(commonParentDomain(["en.wikipedia.localhost", "de.wikipedia.localhost"])).toBe("wikipedia.localhost");
    expect(commonParentDomain(["en.wikipedia.localhost"])).toBe("wikipedia.localhost");
    expect(commonParentDomain(["en.wikipedia.localhost", "en.wikibooks.localhost"])).toBeNull();
    expect(commonParentDomain(["a.localhost"])).toBeNull();
    expect(commonParentDomain([])).toBeNull();
  });
});
