import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decodeEnrollmentHeader } from "../../src/enrollment-header.js";
import { liveTargetedConfig } from "../fixtures/config.js";
import { BROWSER_UA } from "../helpers/browser-ua.js";
import { browserFacts, expectedFor } from "../helpers/expect-enrollment.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";
import { mintedCookie, startWorker, type Harness } from "../helpers/worker-harness.js";

/**
 * Targeting (contract §8) and bots (§9) through the built worker in workerd: the request
 * facts come from the real request (cf, headers), the decision from the core.
 */
const DE = "de.wikipedia.org";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const doc = liveTargetedConfig();

let origin: StubServer;
let configApi: StubServer;
const harnesses: Harness[] = [];

async function worker(bindings: Record<string, string> = {}): Promise<Harness> {
  const h = await startWorker({ CONFIG_URL: `${configApi.url}/config`, ORIGIN_URL: origin.url, ...bindings });
  harnesses.push(h);
  await h.poll();
  return h;
}

let h: Harness;
beforeAll(async () => {
  origin = await startStub((_req, res) => void res.end("page"));
  configApi = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(doc));
  });
  h = await worker();
});

afterAll(async () => {
  for (const x of harnesses) await x.dispose();
  await origin.close();
  await configApi.close();
});

beforeEach(() => {
  origin.requests.length = 0;
  origin.handler = (_req, res) => void res.end("page");
});

const sentPairs = (): Record<string, string> => {
  const header = origin.requests.at(-1)!.headers["x-experiment-enrollments"];
  return Object.fromEntries((decodeEnrollmentHeader(typeof header === "string" ? header : "") ?? []).map((p) => [p.experiment, p.group]));
};

async function visit(w: Harness, init: RequestInit & { cf?: Record<string, unknown> } = {}, path = "/wiki/Haus"): Promise<Response> {
  const res = await w.fetch(`https://${DE}${path}`, init);
  await res.arrayBuffer();
  return res;
}

async function returning(w: Harness, userAgent = BROWSER_UA): Promise<string> {
  const res = await visit(w, { headers: { "user-agent": userAgent } });
  const cookie = mintedCookie(res);
  if (cookie === null) throw new Error("no cookie minted");
  return cookie;
}

describe("rules on the request context, in workerd", () => {
  it("eligibility reads request.cf.country: German readers are in, others are not", async () => {
    const cookie = await returning(h);
    await visit(h, { headers: { cookie: `WMF-Uniq=${cookie}` }, cf: { country: "DE" } });
    const de = sentPairs();
    expect(de["german-readers-only"]).toMatch(/^(control|treatment)$/);
    expect(origin.requests.at(-1)!.headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, DE, Date.now(), undefined, browserFacts({ country: "DE", path: "/wiki/Haus" })).page);
    await visit(h, { headers: { cookie: `WMF-Uniq=${cookie}` }, cf: { country: "US" } });
    expect(sentPairs()["german-readers-only"]).toBeUndefined();
    await visit(h, { headers: { cookie: `WMF-Uniq=${cookie}` } });
    expect(sentPairs()["german-readers-only"]).toBeUndefined();
    await visit(h, { headers: { cookie: `WMF-Uniq=${cookie}; dewikiSession=abc` }, cf: { country: "AT" } });
    expect(sentPairs()["german-readers-only"]).toBeUndefined();
    // The session cookie still reaches the origin; only ours is removed.
    expect(origin.requests.at(-1)!.headers.cookie).toBe("dewikiSession=abc");
  });

  it("a mobile User-Agent gets the mobile allocation, the same visitor on desktop the default groups", async () => {
    const cookie = await returning(h);
    const headers = (ua: string) => ({ cookie: `WMF-Uniq=${cookie}`, "user-agent": ua });
    const mobile = await visit(h, { headers: headers(IPHONE) });
    const want = expectedFor(doc, cookie, DE, Date.now(), undefined, browserFacts({ userAgent: IPHONE, path: "/wiki/Haus" }));
    expect(origin.requests.at(-1)!.headers["x-experiment-enrollments"] ?? "").toBe(want.page);
    expect(mobile.headers.get("server-timing")).toBe(`WMF-Uniq;desc="${want.timing}"`);
    expect(want.timing).toMatch(/mobile-gets-more=(control|treatment);/);
    await visit(h, { headers: headers(BROWSER_UA) });
    const desktopWant = expectedFor(doc, cookie, DE, Date.now(), undefined, browserFacts({ path: "/wiki/Haus" }));
    expect(origin.requests.at(-1)!.headers["x-experiment-enrollments"] ?? "").toBe(desktopWant.page);
  });

  it("a mobile host is mobile whatever the User-Agent", async () => {
    const res = await h.fetch("https://de.m.wikipedia.org/wiki/Haus");
    await res.arrayBuffer();
    // de.m is not in the config: nothing enrolled, but the request was served and minted.
    expect(res.status).toBe(200);
    expect(mintedCookie(res)).not.toBeNull();
  });

  it("COUNTRY_HEADER (self-hosted) takes the country from that header, never from cf", async () => {
    const w = await worker({ COUNTRY_HEADER: "X-Trusted-Country" });
    const cookie = await returning(w);
    await visit(w, { headers: { cookie: `WMF-Uniq=${cookie}`, "x-trusted-country": "de" }, cf: { country: "US" } });
    expect(sentPairs()["german-readers-only"]).toMatch(/^(control|treatment)$/);
    await visit(w, { headers: { cookie: `WMF-Uniq=${cookie}` }, cf: { country: "DE" } });
    expect(sentPairs()["german-readers-only"]).toBeUndefined();
  });
});

describe("bots stay out (contract §9), in workerd", () => {
  it("a crawler gets no cookie, no enrollment and no Server-Timing, and is counted", async () => {
    const res = await visit(h, { headers: { "user-agent": GOOGLEBOT } });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get("server-timing")).toBeNull();
    expect(origin.requests.at(-1)!.headers["x-experiment-enrollments"]).toBeUndefined();
    const verified = await visit(h, { cf: { botManagement: { verifiedBot: true } } });
    expect(verified.headers.getSetCookie()).toEqual([]);
    const status = (await (await h.fetch(`https://${DE}/_enrollment/status`)).json()) as { counters: { bots: Record<string, number> } };
    expect(status.counters.bots).toEqual({ "verified-bot": 1, crawler: 1 });
  });

  it("bots share the un-enrolled cached copy and never get an enrolled one", async () => {
    origin.handler = (req, res) => {
      res.writeHead(200, { "cache-control": "public, max-age=300", vary: "X-Experiment-Enrollments", "content-type": "text/html" });
      res.end(`for ${req.headers["x-experiment-enrollments"] ?? "nobody"}`);
    };
    const cookie = await returning(h);
    const enrolled = await h.fetch(`https://${DE}/wiki/Cached`, { headers: { cookie: `WMF-Uniq=${cookie}` } });
    expect(await enrolled.text()).not.toBe("for nobody");
    const first = await h.fetch(`https://${DE}/wiki/Cached`, { headers: { "user-agent": GOOGLEBOT } });
    expect(await first.text()).toBe("for nobody");
    const before = origin.requests.length;
    const second = await h.fetch(`https://${DE}/wiki/Cached`, { headers: { "user-agent": "Mozilla/5.0 (compatible; bingbot/2.0)" } });
    expect(await second.text()).toBe("for nobody");
    expect(origin.requests.length).toBe(before);
  });

  it("a returning visitor is never re-checked: a verified cookie with a crawler User-Agent is enrolled", async () => {
    const cookie = await returning(h);
    const res = await visit(h, { headers: { cookie: `WMF-Uniq=${cookie}`, "user-agent": GOOGLEBOT } });
    expect(res.headers.get("server-timing")).toMatch(/^WMF-Uniq;desc="/);
  });

  it("BOT_POLICY=include treats crawlers like any visitor", async () => {
    const w = await worker({ BOT_POLICY: "include" });
    const res = await visit(w, { headers: { "user-agent": GOOGLEBOT } });
    expect(mintedCookie(res)).not.toBeNull();
  });
});
