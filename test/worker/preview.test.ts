import { randomFillSync } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeBase64url } from "../../src/base64url.js";
import { parseConfig } from "../../src/config-parse.js";
import { decide, type Decision } from "../../src/decision.js";
import { decodeEnrollmentHeader } from "../../src/enrollment-header.js";
import { DEVELOPMENT_PREVIEW_KEY, parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { mintPreviewToken, type PreviewFailure } from "../../src/preview-token.js";
import { DEFAULT_SESSION_COOKIE_PATTERN } from "../../src/request-context.js";
import { CLEAR_PREVIEW_COOKIE } from "../../src/set-cookie.js";
import { mintToken } from "../../src/token.js";
import { linkBase, linkPath, makePreviewLink } from "../../tools/preview-mint.js";
import { DEV_KEYS, liveTargetedConfig } from "../fixtures/config.js";
import { CRAWLER_UA } from "../helpers/browser-ua.js";
import { browserFacts, expectedFor } from "../helpers/expect-enrollment.js";
import { startStub, type Recorded, type StubServer } from "../helpers/stub-server.js";
import { mintedCookie, startWorker, type Harness } from "../helpers/worker-harness.js";

/**
 * Preview links (contract §10) through the built worker in workerd: links made with the
 * preview-link tool's own code, followed as a browser would (302, cookie), against a real
 * origin on 127.0.0.1 and the real Cache API. The oracle for a visitor's own groups is the
 * core without a preview; for a tester's, the core with one.
 */
const EN = "en.wikipedia.org";
const DE = "de.wikipedia.org";
const PREVIEW_KEYS = `0:${DEVELOPMENT_PREVIEW_KEY}`;
// "another-preview-key-same-tag-000": a preview key the worker does not hold, under the tag it does.
const FOREIGN_KEY = encodeBase64url(new TextEncoder().encode("another-preview-key-same-tag-000"));
const HOUR = 3_600_000;
const doc = liveTargetedConfig();
const compiled = (() => {
  const r = parseConfig(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
})();

function ring(text: string): KeyRing {
  const r = parseKeyRing(text);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
}
const PREVIEW = ring(PREVIEW_KEYS);
const UNIQ = ring(DEV_KEYS);

/** A link as `npm run preview-link` makes it (the tool's own code). */
function link(host: string, pairs: Record<string, string>, opts: { path?: string; base?: string; ttlMs?: number; nowMs?: number; keys?: KeyRing } = {}) {
  const base = linkBase(host, opts.base);
  const path = linkPath(opts.path);
  if (!base.ok || !path.ok) throw new Error("bad link in the test");
  return makePreviewLink({
    ring: opts.keys ?? PREVIEW,
    host,
    pairs: Object.entries(pairs).map(([experiment, group]) => ({ experiment, group })),
    nowMs: opts.nowMs ?? Date.now(),
    ttlMs: opts.ttlMs ?? 2 * HOUR,
    base: base.base,
    path: path.path,
  });
}

/** A returning visitor's WMF-Uniq (minted with the worker's own key ring). */
function visitor(accept: (c: string) => boolean = () => true): string {
  for (let i = 0; i < 10_000; i++) {
    const { value } = mintToken(UNIQ, Date.now(), (b) => randomFillSync(b));
    if (accept(value)) return value;
  }
  throw new Error("no such visitor");
}

/** The core's decision for a visitor holding a preview cookie: what the worker must do. */
function withPreview(cookie: string, host: string, previewCookie: string, isEvents = false): Decision {
  return decide({
    nowMs: Date.now(),
    random: () => {
      throw new Error("the oracle never mints");
    },
    keyRing: UNIQ,
    config: compiled,
    killed: false,
    host,
    isEvents,
    presented: [cookie],
    botPolicy: "exclude",
    sessionCookie: new RegExp(DEFAULT_SESSION_COOKIE_PATTERN),
    cookieDomain: () => null,
    facts: () => browserFacts(),
    preview: { keyRing: PREVIEW, cookies: [previewCookie], protocol: "https:", authority: host, pathname: "/", search: "" },
  });
}

const pairsOf = (header: string | undefined | string[]): Record<string, string> =>
  Object.fromEntries((decodeEnrollmentHeader(typeof header === "string" ? header : "") ?? []).map((p) => [p.experiment, p.group]));
const other = (group: string | undefined, a: string, b: string) => (group === a ? b : a);

let origin: StubServer;
let configApi: StubServer;
let h: Harness;
let renders = 0;
const harnesses: Harness[] = [];

// Pages vary on the enrollments and are cacheable, as the wiki's are (contract §5).
const page = (req: Recorded, res: import("node:http").ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain", vary: "X-Experiment-Enrollments, Accept-Encoding", "cache-control": "public, max-age=300" });
  res.end(`render=${++renders} enrollments=${req.headers["x-experiment-enrollments"] ?? "(none)"}`);
};

async function worker(bindings: Record<string, string | null>): Promise<Harness> {
  const w = await startWorker({ CONFIG_URL: `${configApi.url}/config`, ORIGIN_URL: origin.url, ...bindings });
  harnesses.push(w);
  await w.poll();
  return w;
}

beforeAll(async () => {
  origin = await startStub(page);
  configApi = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(doc));
  });
  h = await worker({ PREVIEW_KEYS });
});

afterAll(async () => {
  for (const w of harnesses) await w.dispose();
  await origin.close();
  await configApi.close();
});

beforeEach(() => {
  origin.requests.length = 0;
  origin.handler = page;
});

let n = 0;
const fresh = (name: string) => `/wiki/${name}_${++n}_${Date.now().toString(36)}`;
const last = () => origin.requests.at(-1)!;

async function get(w: Harness, url: string, cookie?: string, headers: Record<string, string> = {}) {
  const res = await w.fetch(url, { headers: { ...(cookie === undefined ? {} : { cookie }), ...headers } });
  return { res, body: await res.text() };
}

async function status(w: Harness): Promise<any> {
  const res = await w.fetch(`https://${EN}/_enrollment/status?format=json`);
  expect(res.status).toBe(200);
  return res.json();
}

describe("a preview link (contract §10)", () => {
  it("answers 302 to the same URL without the parameter, with the host-only WMF-Preview cookie until the token expires", async () => {
    const l = link(EN, { "fifty-fifty-test": "treatment" });
    const before = (await status(h)).counters.previews.redirects as number;
    const { res, body } = await get(h, `https://${EN}/wiki/X?b=2&wmf-preview=${l.token}&a=%20x&c`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`https://${EN}/wiki/X?b=2&a=%20x&c`);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.getSetCookie()).toEqual([`WMF-Preview=${l.token}; Path=/; HttpOnly; Secure; SameSite=Lax; Expires=${new Date(l.expiresAtMs).toUTCString()}`]);
    expect(body).toBe("");
    expect(origin.requests, "the origin never sees a link").toHaveLength(0);

    // The link exactly as the tool prints it, on the request's own scheme and port.
    const printed = await get(h, link(EN, { "fifty-fifty-test": "control" }, { path: "/wiki/Main_Page?action=view", base: "http://en.wikipedia.org:8787" }).link);
    expect(printed.res.status).toBe(302);
    expect(printed.res.headers.get("location")).toBe("http://en.wikipedia.org:8787/wiki/Main_Page?action=view");
    expect((await status(h)).counters.previews.redirects).toBe(before + 2);
  });

  it("keeps a path like //evil.example on the host", async () => {
    for (const l of [link(EN, { "fifty-fifty-test": "treatment" }, { path: "//evil.example/x?y=1" }), link(EN, { "fifty-fifty-test": "treatment" }, { path: "/\\evil.example" })]) {
      const { res } = await get(h, l.link);
      expect(res.status).toBe(302);
      const location = res.headers.get("location")!;
      expect(new URL(location).host, location).toBe(EN);
      expect(location).toMatch(/^https:\/\/en\.wikipedia\.org\/\/evil\.example/);
      expect(location).not.toContain("wmf-preview");
    }
  });

  it("followed with its cookie: the named groups are forced at the origin and in Server-Timing; WMF-Uniq and every other experiment are the visitor's own", async () => {
    const cookie = visitor();
    const own = expectedFor(doc, cookie, DE);
    const ownPairs = pairsOf(own.page);
    // Not eligible (no country) and outside the desktop ranges mostly: forcing ignores both.
    const forced = {
      "german-readers-only": "treatment",
      "mobile-gets-more": "control",
      "fifty-fifty-test": other(ownPairs["fifty-fifty-test"], "control", "treatment"),
    };
    const l = link(DE, forced);
    const follow = await get(h, l.link);
    const previewCookie = /^WMF-Preview=([^;]+);/.exec(follow.res.headers.getSetCookie()[0]!)![1]!;
    expect(previewCookie).toBe(l.token);
    expect(own.page).not.toContain("german-readers-only");

    const before = (await status(h)).counters.previews.forcedRequests as number;
    const { res } = await get(h, `https://${DE}${fresh("Forced")}`, `WMF-Uniq=${cookie}; WMF-Preview=${previewCookie}; dewikiPrefs=1`);
    expect(res.status).toBe(200);
    const want = withPreview(cookie, DE, previewCookie);
    expect(want.forced).toBe(3);
    const sent = last().headers["x-experiment-enrollments"];
    expect(sent).toBe(want.enrollments);
    const sentPairs = pairsOf(sent);
    for (const [exp, group] of Object.entries(forced)) expect(sentPairs[exp], exp).toBe(group);
    for (const [exp, group] of Object.entries(ownPairs)) if (!(exp in forced)) expect(sentPairs[exp], exp).toBe(group);
    expect(res.headers.get("server-timing")).toBe(`WMF-Uniq;desc="${want.timingPairs}"`);
    expect(want.timingPairs).toContain("german-readers-only=treatment;");
    // WMF-Uniq untouched (not re-minted), the preview cookie neither renewed nor cleared...
    expect(res.headers.getSetCookie()).toEqual([]);
    // ...and neither of ours reaches the origin; the wiki's own cookie does.
    expect(last().headers.cookie).toBe("dewikiPrefs=1");
    expect((await status(h)).counters.previews.forcedRequests).toBe(before + 1);
  });

  it("a tester without WMF-Uniq gets one minted like anyone, and is not taken for a crawler", async () => {
    const l = link(EN, { "ten-percent-sample": "treatment" });
    for (const ua of [undefined, CRAWLER_UA]) {
      const { res } = await get(h, `https://${EN}${fresh("NoUniq")}`, `WMF-Preview=${l.token}`, ua === undefined ? {} : { "user-agent": ua });
      expect(mintedCookie(res), ua ?? "browser").not.toBeNull();
      expect(pairsOf(last().headers["x-experiment-enrollments"])["ten-percent-sample"]).toBe("treatment");
      expect(res.headers.get("server-timing")).toContain("ten-percent-sample=treatment;");
      expect(last().headers.cookie).toBeUndefined();
    }
  });

  it("the event intake leaves forced experiments out, and answers 204 itself when only forced ones remain", async () => {
    const cookie = visitor();
    const forced = { "fifty-fifty-test": "treatment", "german-readers-only": "control" };
    const l = link(DE, forced);
    const res = await h.fetch(`https://${DE}/evt-103e/v2/events`, { method: "POST", body: '{"n":1}', headers: { cookie: `WMF-Uniq=${cookie}; WMF-Preview=${l.token}` } });
    expect(res.status).toBe(200);
    const own = expectedFor(doc, cookie, DE).events;
    const kept = own.split(";").filter((p) => p !== "" && !p.startsWith("fifty-fifty-test=")).map((p) => `${p};`).join("");
    expect(last().headers["x-experiment-enrollments"]).toBe(kept);
    expect(kept).toMatch(/^per-domain-test=[xy]\/[A-Za-z0-9_-]{22};/);
    expect(last().headers.cookie).toBeUndefined();

    // Every live experiment on de forced: nothing of a preview is attributed, the origin is not called.
    origin.requests.length = 0;
    const all = link(DE, { "fifty-fifty-test": "treatment", "per-domain-test": "x", "german-readers-only": "control", "mobile-gets-more": "treatment" });
    const none = await h.fetch(`https://${DE}/evt-103e/v2/events`, { method: "POST", body: "{}", headers: { cookie: `WMF-Uniq=${cookie}; WMF-Preview=${all.token}` } });
    expect(none.status).toBe(204);
    expect(origin.requests).toHaveLength(0);
  });

  describe("bad, expired, altered or foreign tokens and cookies are ignored, counted and cleared, never a 5xx", () => {
    const valid = () => link(EN, { "fifty-fifty-test": "treatment" }).token;
    const alter = (t: string) => t.slice(0, 10) + (t[10] === "A" ? "B" : "A") + t.slice(11);
    const cases: [string, () => string, PreviewFailure][] = [
      ["forged", () => "forged", "encoding"],
      ["altered", () => alter(valid()), "bad-mac"],
      ["expired", () => link(EN, { "fifty-fifty-test": "treatment" }, { nowMs: Date.now() - 3 * HOUR, ttlMs: HOUR }).token, "expired"],
      ["foreign (another key, same tag)", () => link(EN, { "fifty-fifty-test": "treatment" }, { keys: ring(`0:${FOREIGN_KEY}`) }).token, "bad-mac"],
      ["foreign (a tag not in the ring)", () => link(EN, { "fifty-fifty-test": "treatment" }, { keys: ring(`9:${FOREIGN_KEY}`) }).token, "unknown-tag"],
      ["for another host", () => link(DE, { "fifty-fifty-test": "treatment" }).token, "other-host"],
      ["claiming more than 7 days", () => mintPreviewToken(PREVIEW, EN, new Map([["fifty-fifty-test", "treatment"]]), Date.now() + 30 * 24 * HOUR), "too-long-lived"],
      ["empty", () => "", "length"],
      ["huge", () => "A".repeat(5000), "length"],
    ];

    it.each(cases)("%s, as a link: still 302 without it, the cookie cleared", async (_name, token, reason) => {
      const before = (await status(h)).counters.previews.rejected[reason] as number;
      const { res } = await get(h, `https://${EN}/wiki/Bad?wmf-preview=${token()}&keep=1`);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(`https://${EN}/wiki/Bad?keep=1`);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.getSetCookie()).toEqual([CLEAR_PREVIEW_COOKIE]);
      expect((await status(h)).counters.previews.rejected[reason]).toBe(before + 1);
    });

    it.each(cases.filter(([name]) => name !== "empty"))("%s, as a cookie: the page as the visitor's own, the cookie cleared", async (_name, token, reason) => {
      const cookie = visitor();
      const before = (await status(h)).counters.previews.rejected[reason] as number;
      const { res } = await get(h, `https://${EN}${fresh("BadCookie")}`, `WMF-Uniq=${cookie}; WMF-Preview=${token()}`);
      expect(res.status).toBe(200);
      expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, EN).page);
      expect(res.headers.get("server-timing")).toBe(`WMF-Uniq;desc="${expectedFor(doc, cookie, EN).timing}"`);
      expect(res.headers.getSetCookie()).toEqual([CLEAR_PREVIEW_COOKIE]);
      expect(last().headers.cookie).toBeUndefined();
      expect((await status(h)).counters.previews.rejected[reason]).toBe(before + 1);
    });

    it("odd spellings never make a 5xx", async () => {
      for (const [url, cookie] of [
        [`https://${EN}/wiki/X?wmf-preview=%ZZ`, undefined],
        [`https://${EN}/wiki/X?wmf-preview`, undefined],
        [`https://${EN}/wiki/X?wmf%2Dpreview=abc`, undefined],
        [`https://${EN}/wiki/X`, `WMF-Preview="${valid()}"`],
        [`https://${EN}/wiki/X`, `wmf-preview=${valid()}x`],
        [`https://${EN}/wiki/X`, "WMF-Preview=; WMF-Preview"],
      ] as const) {
        const { res } = await get(h, url, cookie);
        expect(res.status, `${url} ${cookie}`).toBeLessThan(500);
        expect(res.headers.get("location") ?? "").not.toContain("wmf-preview");
      }
    });
  });

  it("a token naming experiments not live on the host, or a group they lack, forces nothing and is not cleared", async () => {
    const cookie = visitor();
    const l = link(EN, { "not-started-yet": "treatment", "already-ended-test": "control", "german-readers-only": "treatment", "fifty-fifty-test": "no-such-group" });
    const before = (await status(h)).counters.previews;
    const { res } = await get(h, `https://${EN}${fresh("NotLive")}`, `WMF-Uniq=${cookie}; WMF-Preview=${l.token}`);
    expect(res.status).toBe(200);
    expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, EN).page);
    expect(res.headers.getSetCookie()).toEqual([]);
    const after = (await status(h)).counters.previews;
    expect(after.forcedRequests).toBe(before.forcedRequests);
    expect(after.rejected).toEqual(before.rejected);
  });

  it("a forced page is cached like any page with the same enrollments, and never served to anyone with other enrollments", async () => {
    const SPLIT = ["fifty-fifty-test", "ten-percent-sample", "shared-a-experiment", "shared-b-experiment", "per-domain-test"];
    // A visitor in every cache-split experiment on en, and a tester who is not in the same groups.
    const v = visitor((c) => Object.keys(pairsOf(expectedFor(doc, c, EN).page)).length === SPLIT.length);
    const vPage = expectedFor(doc, v, EN).page;
    const t = visitor((c) => expectedFor(doc, c, EN).page !== vPage);
    const asV = link(EN, pairsOf(vPage));
    const flipped = { ...pairsOf(vPage), "fifty-fifty-test": other(pairsOf(vPage)["fifty-fifty-test"], "control", "treatment") };
    const notV = link(EN, flipped);
    const url = `https://${EN}${fresh("Cached")}`;

    const first = await get(h, url, `WMF-Uniq=${v}`);
    expect(first.body).toBe(`render=${renders} enrollments=${vPage}`);
    // The tester forced into V's groups gets V's cached copy: same enrollments, same page.
    const tester = await get(h, url, `WMF-Uniq=${t}; WMF-Preview=${asV.token}`);
    expect(tester.body).toBe(first.body);
    expect(origin.requests).toHaveLength(1);
    expect(tester.res.headers.get("vary")).toBe("Accept-Encoding");
    // The same tester without the cookie, and forced into other groups: other renders.
    const own = await get(h, url, `WMF-Uniq=${t}`);
    expect(own.body).toBe(`render=${renders} enrollments=${expectedFor(doc, t, EN).page}`);
    const forcedOther = await get(h, url, `WMF-Uniq=${t}; WMF-Preview=${notV.token}`);
    expect(forcedOther.body).not.toBe(first.body);
    expect(forcedOther.body).toBe(`render=${renders} enrollments=${withPreview(t, EN, notV.token).enrollments}`);
    expect(origin.requests).toHaveLength(3);
    // That forced page is cached too, for whoever has its enrollments; V still gets V's.
    expect((await get(h, url, `WMF-Uniq=${v}; WMF-Preview=${notV.token}`)).body).toBe(forcedOther.body);
    expect((await get(h, url, `WMF-Uniq=${v}`)).body).toBe(first.body);
    expect(origin.requests).toHaveLength(3);
  });

  it("the kill switch wins: no group is forced and a link is not answered", async () => {
    const w = await worker({ PREVIEW_KEYS });
    const cookie = visitor();
    const l = link(EN, { "fifty-fifty-test": "treatment" });
    await (await w.kv()).put("control/v1/kill", "on");
    await new Promise((r) => setTimeout(r, 1100)); // CONFIG_REFRESH_MS is 1000 in tests
    await get(w, `https://${EN}/wiki/Warm`); // triggers the background refresh
    await get(w, `https://${EN}/wiki/Warm`);
    const killed = await get(w, `https://${EN}${fresh("Killed")}`, `WMF-Uniq=${cookie}; WMF-Preview=${l.token}`);
    expect(killed.res.status).toBe(200);
    expect(last().headers["x-experiment-enrollments"]).toBeUndefined();
    expect(killed.res.headers.get("server-timing")).toBeNull();
    expect(killed.res.headers.getSetCookie()).toEqual([]);
    expect(last().headers.cookie, "our cookies are still kept from the origin").toBeUndefined();
    const linked = await get(w, `https://${EN}/wiki/Killed?wmf-preview=${l.token}`);
    expect(linked.res.status).toBe(200);
    expect(linked.res.headers.getSetCookie()).toEqual([]);
    expect((await status(w)).counters.previews).toMatchObject({ redirects: 0, forcedRequests: 0 });

    await (await w.kv()).delete("control/v1/kill");
    await new Promise((r) => setTimeout(r, 1100));
    await get(w, `https://${EN}/wiki/Warm`);
    await get(w, `https://${EN}/wiki/Warm`);
    await get(w, `https://${EN}${fresh("Resumed")}`, `WMF-Uniq=${cookie}; WMF-Preview=${l.token}`);
    expect(pairsOf(last().headers["x-experiment-enrollments"])["fifty-fifty-test"]).toBe("treatment");
  });

  it("the status page shows the preview ring's tags and the development flag, never a key; the worker warns about the development key", async () => {
    const s = await status(h);
    expect(s.previewKeyRing).toEqual({ on: true, mintingTag: 0, tags: [0], developmentKey: true });
    expect(JSON.stringify(s)).not.toContain(DEVELOPMENT_PREVIEW_KEY);
    const logged = h.log.all().filter((e) => e.json?.["event"] === "settings.development_preview_key");
    expect(logged.length).toBeGreaterThan(0);
    expect(h.log.all().map((e) => e.text).join("\n")).not.toContain(DEVELOPMENT_PREVIEW_KEY);
    expect(h.log.unexpected(), "no error was logged").toEqual([]);
  });
});

describe("previews off", () => {
  it("without PREVIEW_KEYS the parameter and the cookie pass to the origin like any other", async () => {
    const w = await worker({});
    const cookie = visitor();
    const l = link(EN, { "fifty-fifty-test": "treatment" });
    const { res } = await get(w, `https://${EN}/wiki/Off?a=1&wmf-preview=${l.token}`, `WMF-Uniq=${cookie}; WMF-Preview=${l.token}`);
    expect(res.status).toBe(200);
    expect(last().url).toBe(`/wiki/Off?a=1&wmf-preview=${l.token}`);
    expect(last().headers.cookie).toBe(`WMF-Preview=${l.token}`);
    expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, EN).page);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect((await status(w)).previewKeyRing).toEqual({ on: false, error: null });
    expect(w.log.all().filter((e) => e.text.includes("preview"))).toEqual([]);
  });

  it("PREVIEW_KEYS unset the way workerd serve leaves it (null, self-hosted) is off too, not a failure", async () => {
    // Before: null.trim() threw in the settings, and every request failed over to the bare proxy.
    const w = await worker({ PREVIEW_KEYS: null });
    const cookie = visitor();
    const { res } = await get(w, `https://${EN}/wiki/Null?wmf-preview=x`, `WMF-Uniq=${cookie}`);
    expect(res.status).toBe(200);
    expect(last().url).toBe("/wiki/Null?wmf-preview=x");
    expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, EN).page);
    expect((await status(w)).previewKeyRing).toEqual({ on: false, error: null });
    expect(w.log.unexpected()).toEqual([]);
  });

  it("PREVIEW_KEYS sharing a key with UNIQ_KEYS turns previews off, with a logged error", async () => {
    const w = await worker({ PREVIEW_KEYS: DEV_KEYS });
    const cookie = visitor();
    const sameKey = link(EN, { "fifty-fifty-test": "treatment" }, { keys: UNIQ });
    const { res } = await get(w, `https://${EN}/wiki/Shared?wmf-preview=${sameKey.token}`, `WMF-Uniq=${cookie}; WMF-Preview=${sameKey.token}`);
    expect(res.status).toBe(200);
    expect(last().url).toBe(`/wiki/Shared?wmf-preview=${sameKey.token}`);
    expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, EN).page);
    const s = await status(w);
    expect(s.previewKeyRing).toEqual({ on: false, error: "PREVIEW_KEYS: shares a key with UNIQ_KEYS; preview keys must be their own" });
    const errors = await w.log.take("settings.preview_keys_unusable");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.json).toMatchObject({ level: "error", event: "settings.preview_keys_unusable", effect: "preview links are off" });
    expect(w.log.unexpected()).toEqual([]);
    expect(w.log.all().map((e) => e.text).join("\n")).not.toContain(DEV_KEYS.split(":")[1]!);
  });
});
