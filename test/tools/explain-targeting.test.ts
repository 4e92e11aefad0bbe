import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config-parse.js";
import { decide } from "../../src/decision.js";
import { DEVELOPMENT_KEY, parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { buildContext, DEFAULT_SESSION_COOKIE_PATTERN, type RequestFacts } from "../../src/request-context.js";
import { serverTimingEntry } from "../../src/server-timing.js";
import { mintToken } from "../../src/token.js";
import { bufferIo, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from "../../tools/cli-io.js";
import { main } from "../../tools/explain.js";
import { explainRequest, formatExplanation, type Explanation, type LiveExperimentReport } from "../../tools/explanation.js";
import { describeRequest, EXAMPLE_MOBILE_UA, parseContextFlag, type RequestFlags } from "../../tools/request-flags.js";
import { AT, AT_MS, runTool, seededFill, serve, targetingConfig, tempFiles } from "./cli-test-kit.js";

const DEV_KEYS = `0:${DEVELOPMENT_KEY}`;
const ring = parseKeyRing(DEV_KEYS);
if (!ring.ok) throw new Error(ring.error);
const DEV: KeyRing = ring.ring;
const CONFIG_TEXT = JSON.stringify(targetingConfig());
const parsed = parseConfigText(CONFIG_TEXT);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const CONFIG = parsed.config;
const SESSION = new RegExp(DEFAULT_SESSION_COOKIE_PATTERN);
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
const EVENTS = "/evt-103e/v2/events";

function mint(seed: number): string {
  return mintToken(DEV, Date.parse("2025-06-10T08:00:00Z"), seededFill(seed)).value;
}

function explain(cookie: string | undefined, request: RequestFlags, host = "de.wikipedia.org", extra: Partial<Parameters<typeof explainRequest>[0]> = {}): Explanation {
  return explainRequest({ ring: DEV, config: CONFIG, host, cookie, nowMs: AT_MS, request, random: seededFill(99), ...extra });
}

function exp(x: Explanation, name: string): LiveExperimentReport {
  const found = x.live.find((e) => e.name === name);
  if (!found) throw new Error(`${name} not live`);
  return found;
}

/** The worker's decision for the same request, straight from the core. */
function oracle(cookie: string, facts: RequestFacts, host: string, isEvents: boolean) {
  return decide({
    nowMs: AT_MS,
    random: seededFill(99),
    keyRing: DEV,
    config: CONFIG,
    killed: false,
    host,
    isEvents,
    presented: [cookie],
    botPolicy: "exclude",
    sessionCookie: SESSION,
    cookieDomain: () => null,
    preview: null,
    facts: () => (isEvents ? { ...facts, path: EVENTS } : facts),
  });
}

const GERMAN_MOBILE = parseContextFlag("country=DE,platform=mobile,language=de,loggedIn=false");

describe("parseContextFlag", () => {
  it("accepts any subset of the §8 variables, typed and normalised", () => {
    expect(GERMAN_MOBILE).toEqual({ country: "DE", platform: "mobile", language: "de", loggedIn: false });
    expect(parseContextFlag("loggedIn=true,country=at,host=DE.Wikipedia.org.,path=/wiki/X")).toEqual({ loggedIn: true, country: "AT", host: "de.wikipedia.org", path: "/wiki/X" });
    expect(parseContextFlag("language=")).toEqual({ language: "" });
  });

  it("rejects unknown names, bad values and repeats, naming the variable", () => {
    expect(() => parseContextFlag("loggedin=true")).toThrow(/unknown variable "loggedin" \(did you mean loggedIn\?\)/);
    expect(() => parseContextFlag("country")).toThrow(/expected NAME=VALUE/);
    expect(() => parseContextFlag("country=DEU")).toThrow(/country=DEU: two letters/);
    expect(() => parseContextFlag("platform=tablet")).toThrow(/mobile or desktop/);
    expect(() => parseContextFlag("loggedIn=yes")).toThrow(/true or false/);
    expect(() => parseContextFlag("language=de-AT")).toThrow(/primary language subtag/);
    expect(() => parseContextFlag("path=wiki")).toThrow(/starts with "\/"/);
    expect(() => parseContextFlag("country=DE,country=AT")).toThrow(/given twice/);
  });
});

describe("describeRequest: --context becomes request facts, never a context of its own", () => {
  it("fills the facts the shorthand names, and the context derived from them is the one asked for", () => {
    const r = describeRequest("de.wikipedia.org", undefined, { context: GERMAN_MOBILE }, SESSION);
    expect(r.facts).toEqual({ path: "/", userAgent: EXAMPLE_MOBILE_UA, acceptLanguage: "de", country: "DE", cookieHeader: null, verifiedBot: false });
    expect(buildContext("de.wikipedia.org", r.facts, SESSION)).toEqual({ host: "de.wikipedia.org", path: "/", country: "DE", platform: "mobile", language: "de", loggedIn: false });
    const loggedIn = describeRequest("de.wikipedia.org", undefined, { context: { loggedIn: true } }, SESSION);
    expect(buildContext("de.wikipedia.org", loggedIn.facts, SESSION).loggedIn).toBe(true);
    expect(loggedIn.notes.join()).toContain("session cookie");
    // A mobile host is mobile already: no User-Agent is invented.
    expect(describeRequest("de.m.wikipedia.org", undefined, { context: { platform: "mobile" } }, SESSION).facts.userAgent).toBeNull();
  });

  it("raw flags win; a shorthand that contradicts them or the host is an error saying why", () => {
    expect(() => describeRequest("de.m.wikipedia.org", undefined, { context: { platform: "desktop" } }, SESSION)).toThrow(/de\.m\.wikipedia\.org is a mobile host/);
    expect(() => describeRequest("de.wikipedia.org", undefined, { userAgent: DESKTOP_UA, context: { platform: "mobile" } }, SESSION)).toThrow(/not a mobile one/);
    expect(() => describeRequest("de.wikipedia.org", undefined, { cookieHeader: "dewikiSession=1", context: { loggedIn: false } }, SESSION)).toThrow(/session cookie/);
    expect(() => describeRequest("de.wikipedia.org", undefined, { country: "FR", context: { country: "DE" } }, SESSION)).toThrow(/--country gives FR/);
    expect(() => describeRequest("de.wikipedia.org", undefined, { acceptLanguage: "fr-CH", context: { language: "de" } }, SESSION)).toThrow(/"fr"/);
    expect(() => describeRequest("de.wikipedia.org", undefined, { context: { host: "en.wikipedia.org" } }, SESSION)).toThrow(/--host de\.wikipedia\.org/);
    expect(() => describeRequest("de.wikipedia.org", undefined, { context: { loggedIn: true } }, /^never$/)).toThrow(/SESSION_COOKIE_PATTERN/);
  });

  it("the WMF-Uniq values of --cookie and --cookie-header are presented in order; the other cookies are facts", () => {
    const a = mint(1), b = mint(2);
    const r = describeRequest("de.wikipedia.org", `x=1; WMF-Uniq=${a}`, { cookieHeader: `WMF-Uniq=${b}; dewikiSession=s` }, SESSION);
    expect(r.presented).toEqual([a, b]);
    expect(r.facts.cookieHeader).toBe("x=1; dewikiSession=s");
  });
});

describe("explainRequest shows the worker's decision under targeting rules", () => {
  it("headers and groups are decide's, for many visitors and contexts", () => {
    const contexts: RequestFlags[] = [
      { context: GERMAN_MOBILE },
      { context: parseContextFlag("country=AT,language=de") },
      { context: parseContextFlag("country=FR,platform=mobile") },
      { context: parseContextFlag("country=DE,language=de,loggedIn=true") },
      { path: "/wiki/Spezial:Suche", userAgent: DESKTOP_UA },
    ];
    for (const request of contexts) {
      for (const host of ["de.wikipedia.org", "de.m.wikipedia.org"]) {
        for (let seed = 1; seed <= 40; seed++) {
          const cookie = mint(seed);
          const x = explain(cookie, request, host);
          const page = oracle(cookie, x.facts, host, false);
          const events = oracle(cookie, x.facts, host, true);
          expect(x.outcome).toEqual({ page: page.outcome, events: events.outcome });
          expect(x.page.value).toBe(page.enrollments || null);
          expect(x.serverTiming.value).toBe(page.timingPairs ? serverTimingEntry(page.timingPairs) : null);
          expect(x.events.value).toBe(events.answer204 ? null : events.enrollments);
          expect(x.events.edge204).toBe(events.answer204);
          const shown = x.live.filter((e) => e.group).map((e) => `${e.name}=${e.group};`).join("");
          expect(shown).toBe(page.timingPairs);
        }
      }
    }
  });

  it("German-speaking mobile reader in DE: eligible, the mobile allocation's groups and ranges", () => {
    const x = explain(mint(3), { context: GERMAN_MOBILE });
    expect(x.context).toEqual({ host: "de.wikipedia.org", path: "/", country: "DE", platform: "mobile", language: "de", loggedIn: false });
    expect(x.contextRead).toBe(true);
    const german = exp(x, "german-readers-test");
    expect(german.eligibility).toEqual({ source: '${country in launch_countries && language == "de" && !loggedIn}', result: true });
    expect(german.allocations).toEqual([{ source: 'platform == "mobile"', result: true }]);
    expect(german.allocation).toBe(0);
    // The allocation's 50/50 ranges, not the domain's 5 % ones.
    expect(german.range).toEqual(german.bucket! < 50_000 ? [0, 49999] : [50000, 99999]);
    const ramp = exp(x, "mobile-ramp-test");
    expect(ramp.eligibility).toBeNull();
    expect(ramp.allocations.map((a) => a.result)).toEqual([false, true]);
    expect(ramp.allocation).toBe(1);
    const text = formatExplanation(x);
    expect(text).toContain("context: host de.wikipedia.org  path /  country DE  platform mobile  language \"de\"  loggedIn false");
    expect(text).toMatch(/eligibility {5}true {3}\$\{country in launch_countries/);
    expect(text).toMatch(/allocations\[1\] {2}true {3}platform == "mobile"/);
    expect(text).toContain("from allocations[0]");
  });

  it("not eligible: as if not live, in no header; later allocations are not evaluated", () => {
    const x = explain(mint(4), { context: parseContextFlag("country=FR,platform=mobile,language=de") });
    const german = exp(x, "german-readers-test");
    expect(german).toMatchObject({ evaluated: true, eligibility: { result: false }, allocations: [{ result: null }] });
    expect(german.bucket).toBeUndefined();
    expect(german.allocation).toBeUndefined();
    for (const h of [x.page.value, x.events.value, x.serverTiming.value]) expect(h ?? "").not.toContain("german-readers-test");
    expect(formatExplanation(x)).toContain("german-readers-test  not eligible: as if not live for this request");

    // On desktop the ramp takes the domain's groups (no allocation rule is true).
    const desktop = explain(mint(4), { userAgent: DESKTOP_UA });
    const ramp = exp(desktop, "mobile-ramp-test");
    expect(ramp.allocation).toBe(-1);
    expect(ramp.allocations.map((a) => a.result)).toEqual([false, false]);
    expect(formatExplanation(desktop)).toContain("(no allocation rule is true: the domain's groups)");
  });

  it("a rule on path: the event intake has its own path, and the difference is shown", () => {
    const x = explain(mint(5), { path: "/wiki/Spezial:Suche" });
    const ramp = exp(x, "mobile-ramp-test");
    expect(ramp.allocations.map((a) => a.result)).toEqual([true, null]);
    expect(ramp.group).toBe("on"); // allocations[0] gives everyone "on"
    const events = oracle(mint(5), x.facts, "de.wikipedia.org", true);
    const thereGroup = events.enrollments.includes("mobile-ramp-test=on/") ? "group on" : events.enrollments.includes("mobile-ramp-test=off/") ? "group off" : "not enrolled";
    expect(x.eventsDiffer).toEqual([`mobile-ramp-test: at ${EVENTS} the domain's groups, ${thereGroup} (a rule reads path)`]);
    expect(formatExplanation(x)).toContain(`note: mobile-ramp-test: at ${EVENTS} the domain's groups`);
  });

  it("no rule on the host: the worker does not compute the context", () => {
    const x = explainRequest({ ring: DEV, config: CONFIG, host: "de.wikipedia.org", cookie: mint(6), nowMs: Date.parse("2025-07-02T00:00:00Z") });
    expect(x.contextRead).toBe(false);
    expect(formatExplanation(x)).toContain("request facts: not read by the worker here");
    expect(formatExplanation(x)).not.toContain("context: host");
  });

  it("a cookie that does not verify: rule results are shown (they do not depend on the ID), groups are not", () => {
    const cookie = mint(7);
    const bad = cookie.slice(0, 40) + (cookie[40] === "A" ? "B" : "A") + cookie.slice(41);
    const x = explain(bad, { context: GERMAN_MOBILE });
    expect(x.verified).toBe(false);
    const german = exp(x, "german-readers-test");
    expect(german).toMatchObject({ eligibility: { result: true }, allocation: 0 });
    expect(german.bucket).toBeUndefined();
    expect(x.page.value).toBeNull();
    expect(x.page.note).toContain("new random ID");
    expect(x.setCookie.value).toMatch(/^WMF-Uniq=<a new random token>; Domain=wikipedia\.org; Path=\/; HttpOnly; Secure; SameSite=None; Expires=/);
    expect(x.setCookie.value).not.toMatch(/WMF-Uniq=[A-Za-z0-9_-]{48}/);
  });
});

describe("explainRequest: bots (contract §9)", () => {
  it("a crawler without a cookie: no cookie, no enrollment, no Server-Timing entry", () => {
    const x = explain(undefined, { userAgent: GOOGLEBOT, context: { country: "DE" } });
    expect(x.bot).toMatchObject({ checked: true, reason: "crawler" });
    expect(x.outcome.page).toBe("bot:crawler");
    expect(x.live.every((e) => !e.evaluated && e.eligibility?.result !== true)).toBe(true);
    expect([x.page.value, x.serverTiming.value, x.setCookie.value]).toEqual([null, null, null]);
    const text = formatExplanation(x);
    expect(text).toContain("bot: crawler (the User-Agent is on the crawler list), no cookie, no enrollment");
    expect(text).toContain("origin, page request (bot:crawler):\n  (a bot: no enrollment, no header)");
    expect(text).toContain("browser:\n  (a bot: no WMF-Uniq entry)\n  (a bot: no Set-Cookie)");
    expect(text).not.toContain("the worker would mint");
  });

  it("cf.botManagement.verifiedBot counts first; a browser is checked and minted", () => {
    expect(explain(undefined, { userAgent: DESKTOP_UA, verifiedBot: true }).bot).toMatchObject({ reason: "verified-bot" });
    const browser = explain(undefined, { userAgent: DESKTOP_UA });
    expect(browser.bot).toMatchObject({ checked: true, reason: null });
    expect(browser.outcome.page).not.toMatch(/^bot:/);
    expect(browser.setCookie.value).toContain("WMF-Uniq=<a new random token>");
  });

  it("a verified cookie is never re-checked, and BOT_POLICY=include lets a crawler in", () => {
    const kept = explain(mint(8), { userAgent: GOOGLEBOT });
    expect(kept.bot.checked).toBe(false);
    expect(kept.bot.note).toContain("would count as crawler without it");
    expect(kept.outcome.page).toBe("enrolled");
    const included = explain(undefined, { userAgent: GOOGLEBOT }, "de.wikipedia.org", { botPolicy: "include" });
    expect(included.bot).toMatchObject({ checked: false, reason: null });
    expect(included.setCookie.value).not.toBeNull();
  });
});

describe("explain main with request flags", () => {
  let files: ReturnType<typeof tempFiles>;
  beforeAll(() => {
    files = tempFiles({ "config.json": CONFIG_TEXT });
  });
  afterAll(() => files.remove());
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const io = bufferIo({ UNIQ_KEYS: DEV_KEYS, ...env }, AT_MS);
    const code = await main(["--host", "de.wikipedia.org", "--config", files.path("config.json"), "--at", AT, ...argv], io);
    return { code, out: io.stdout(), err: io.stderr() };
  };

  it("--context and the raw flags reach the decision", async () => {
    const r = await run(["--cookie", mint(9), "--context", "country=DE,platform=mobile,language=de,loggedIn=false", "--json"]);
    expect(r.code).toBe(EXIT_OK);
    const body = JSON.parse(r.out);
    expect(body.context).toMatchObject({ country: "DE", platform: "mobile", language: "de", loggedIn: false });
    expect(body.live[0]).toMatchObject({ name: "german-readers-test", eligibility: { result: true }, allocation: 0 });
    const raw = await run(["--cookie", mint(9), "--country", "at", "--accept-language", "de-AT,de;q=0.8", "--cookie-header", "dewikiSession=x", "--user-agent", DESKTOP_UA]);
    expect(raw.out).toContain("context: host de.wikipedia.org  path /  country AT  platform desktop  language \"de\"  loggedIn true");
    expect(raw.out).toContain("german-readers-test  not eligible");
  });

  it("no cookie and a crawler User-Agent: exit 1, the bot verdict", async () => {
    const r = await run(["--user-agent", GOOGLEBOT]);
    expect(r.code).toBe(EXIT_INVALID);
    expect(r.out).toContain("cookie: does not verify: absent");
    expect(r.out).toContain("bot: crawler");
    const verified = await run(["--user-agent", DESKTOP_UA, "--verified-bot"]);
    expect(verified.out).toContain("bot: verified-bot (cf.botManagement.verifiedBot)");
  });

  it("environment settings as the worker reads them; bad ones and contradictions exit 2", async () => {
    const included = await run(["--user-agent", GOOGLEBOT], { BOT_POLICY: "include" });
    expect(included.out).toContain("bot: not checked (BOT_POLICY=include");
    const pattern = await run(["--cookie", mint(9), "--cookie-header", "sid=1", "--context", "loggedIn=true"], { SESSION_COOKIE_PATTERN: "^sid$" });
    expect(pattern.out).toContain("loggedIn true");
    for (const [argv, env, message] of [
      [["--user-agent", GOOGLEBOT], { BOT_POLICY: "maybe" }, /BOT_POLICY "maybe"/],
      [[], { SESSION_COOKIE_PATTERN: "(" }, /SESSION_COOKIE_PATTERN: must be a valid/],
      [["--context", "platform=mobile", "--user-agent", DESKTOP_UA], {}, /--context platform=mobile, but --user-agent is not a mobile one/],
    ] as const) {
      const r = await run([...argv], { ...env });
      expect(r.code).toBe(EXIT_USAGE);
      expect(r.err).toMatch(message);
    }
  });

  it("the real command: a crawler gets no cookie; --context over HTTP gives the mobile allocation", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(CONFIG_TEXT);
    });
    try {
      const bot = await runTool("tools/explain.ts", ["--host", "de.wikipedia.org", "--config", server.url("/c"), "--at", AT, "--user-agent", GOOGLEBOT], { UNIQ_KEYS: DEV_KEYS });
      expect(bot.code).toBe(1);
      expect(bot.stdout).toContain("bot: crawler (the User-Agent is on the crawler list), no cookie, no enrollment");
      expect(bot.stdout).toContain("origin, page request (bot:crawler):");
      const cookie = mint(10);
      const ctx = await runTool(
        "tools/explain.ts",
        ["--host", "de.wikipedia.org", "--cookie", cookie, "--config", server.url("/c"), "--at", AT, "--context", "country=DE,platform=mobile,language=de,loggedIn=false", "--json"],
        { UNIQ_KEYS: DEV_KEYS },
      );
      expect(ctx.code).toBe(0);
      const body = JSON.parse(ctx.stdout);
      const page = oracle(cookie, body.facts, "de.wikipedia.org", false);
      expect(body.page.value).toBe(page.enrollments);
      expect(body.live.map((e: LiveExperimentReport) => e.allocation)).toEqual([0, 1, -1]);
    } finally {
      await server.close();
    }
  });
});
