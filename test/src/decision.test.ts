import { describe, expect, it } from "vitest";
import type { CompiledConfig } from "../../src/config-compile.js";
import { parseConfig } from "../../src/config-parse.js";
import { decide, type DecisionInput } from "../../src/decision.js";
import type { EnrollmentStep } from "../../src/enroll.js";
import { parseKeyRing } from "../../src/keyring.js";
import { DEFAULT_SESSION_COOKIE_PATTERN, type RequestFacts } from "../../src/request-context.js";
import { mintPreviewToken } from "../../src/preview-token.js";
import { mintToken } from "../../src/token.js";
import { DEV_KEYS, NOW, sampleConfig, targetedExperiments } from "../fixtures/config.js";
import { BROWSER_UA } from "../helpers/browser-ua.js";
import { seededRandom } from "../helpers/random.js";
import { lazy } from "../helpers/lazy.js";

const ring = lazy(() => {
  const r = parseKeyRing(DEV_KEYS);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
});

function compile(doc: unknown): CompiledConfig {
  const r = parseConfig(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

const EN = "en.wikipedia.org";
const DE = "de.wikipedia.org";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/** The sample config plus the targeted experiments on de (country gate, mobile allocation). */
function targetedDoc(): Record<string, unknown> {
  return { ...sampleConfig(), ...targetedExperiments("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z") };
}

const plain = lazy(() => compile(sampleConfig()));
const targeted = lazy(() => compile(targetedDoc()));
const cookie = lazy(() => mintToken(ring(), NOW, (b) => seededRandom(7).fill(b)).value);

const pairsOf = (d: { timingPairs: string }): Record<string, string> => Object.fromEntries(d.timingPairs.split(";").filter(Boolean).map((p) => p.split("=")));

/** A counted facts thunk: how often the decision read the request. */
function factsOf(over: Partial<RequestFacts> = {}) {
  const calls = { n: 0 };
  const facts = (): RequestFacts => {
    calls.n++;
    return { path: "/wiki/X", userAgent: BROWSER_UA, acceptLanguage: "de-DE", country: "DE", cookieHeader: null, verifiedBot: false, ...over };
  };
  return { facts, calls };
}

function input(over: Partial<DecisionInput> = {}): DecisionInput {
  return {
    nowMs: NOW,
    random: (b) => seededRandom(99).fill(b),
    keyRing: ring(),
    config: plain(),
    killed: false,
    host: EN,
    isEvents: false,
    presented: [cookie()],
    botPolicy: "exclude",
    sessionCookie: new RegExp(DEFAULT_SESSION_COOKIE_PATTERN),
    cookieDomain: (host) => (host === EN ? "wikipedia.org" : null),
    facts: factsOf().facts,
    preview: null,
    ...over,
  };
}

describe("decide: whether anything is enrolled at all", () => {
  it("the kill switch wins: pages pass through, the event intake answers 204, nothing minted", () => {
    expect(decide(input({ killed: true, presented: [] }))).toMatchObject({ outcome: "pass-through:kill-switch", setCookie: null, enrollments: "", timingPairs: "", split: false, answer204: false });
    expect(decide(input({ killed: true, isEvents: true }))).toMatchObject({ outcome: "events-204:kill-switch", answer204: true, enrollments: "" });
  });

  it("no key ring: nothing minted or enrolled", () => {
    expect(decide(input({ keyRing: null, presented: [] }))).toMatchObject({ outcome: "pass-through:no-key-ring", setCookie: null, minted: null });
    expect(decide(input({ keyRing: null, isEvents: true }))).toMatchObject({ outcome: "events-204:no-key-ring", answer204: true });
  });

  it("no config: a first visit still gets its cookie, nothing is enrolled", () => {
    const d = decide(input({ config: null, presented: [] }));
    expect(d.outcome).toBe("pass-through:no-config");
    expect(d.minted).toBe("absent");
    expect(d.setCookie).toMatch(/^WMF-Uniq=[A-Za-z0-9_-]{48}; Domain=wikipedia\.org; Path=\/; HttpOnly; Secure; SameSite=None; Expires=/);
    expect(d.enrollments).toBe("");
  });
});

describe("decide: identity", () => {
  it("a returning visitor is enrolled without a cookie and without reading the request", () => {
    const { facts, calls } = factsOf({ userAgent: GOOGLEBOT });
    const d = decide(input({ facts }));
    expect(d.outcome).toBe("enrolled");
    expect(d.setCookie).toBeNull();
    expect(d.minted).toBeNull();
    expect(calls.n).toBe(0);
    expect(d.enrollments).toMatch(/^fifty-fifty-test=(control|treatment);/);
    expect(d.split).toBe(true);
  });

  it("the first presented value that verifies wins; none verifies: mint, the first failure named", () => {
    expect(decide(input({ presented: ["garbage", cookie()] })).setCookie).toBeNull();
    const d = decide(input({ presented: ["!".repeat(48), "short"] }));
    expect(d.minted).toBe("encoding");
    expect(d.setCookie).not.toBeNull();
    expect(decide(input({ presented: [] })).minted).toBe("absent");
    expect(decide(input({ presented: ["short"] })).minted).toBe("length");
  });

  it("a first visit mints through the random source it is given, host-only where the domain says so", () => {
    const a = decide(input({ presented: [], random: (b) => seededRandom(1).fill(b) }));
    const b = decide(input({ presented: [], random: (b) => seededRandom(1).fill(b) }));
    expect(a.setCookie).toBe(b.setCookie);
    expect(decide(input({ presented: [], host: DE })).setCookie).not.toMatch(/Domain=/);
  });
});

describe("decide: bots (contract §9)", () => {
  it("a crawler without a cookie gets no cookie, no enrollment, and the un-enrolled cached copy", () => {
    const { facts, calls } = factsOf({ userAgent: GOOGLEBOT });
    const d = decide(input({ presented: [], facts, random: () => { throw new Error("a bot must not mint"); } }));
    expect(d).toMatchObject({ outcome: "bot:crawler", setCookie: null, minted: null, enrollments: "", timingPairs: "", split: true, enrolled: 0 });
    expect(calls.n).toBe(1);
  });

  it("the platform's verified-bot flag counts before the User-Agent; a bad cookie is no way round it", () => {
    expect(decide(input({ presented: ["forged"], facts: factsOf({ verifiedBot: true }).facts })).outcome).toBe("bot:verified-bot");
  });

  it("a bot on a host without live experiments is not sent to the split cache", () => {
    expect(decide(input({ presented: [], host: "fr.wikipedia.org", facts: factsOf({ userAgent: GOOGLEBOT }).facts }))).toMatchObject({ outcome: "bot:crawler", split: false });
  });

  it("a bot takes the split cache from an experiment's first millisecond to the one before its end", () => {
    const start = Date.parse("2025-06-01T00:00:00Z"), end = Date.parse("2025-07-01T00:00:00Z");
    const one = compile({ "only-experiment": { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", domains: { [EN]: { groups: { all: [0, 99999] } } } } });
    const split = (nowMs: number) => decide(input({ config: one, nowMs, presented: [], facts: factsOf({ userAgent: GOOGLEBOT }).facts })).split;
    expect([split(start - 1), split(start), split(end - 1), split(end)]).toEqual([false, true, true, false]);
  });

  it("BOT_POLICY=include treats a crawler like any visitor", () => {
    const d = decide(input({ presented: [], botPolicy: "include", facts: factsOf({ userAgent: GOOGLEBOT }).facts }));
    expect(d.outcome).toBe("enrolled");
    expect(d.setCookie).not.toBeNull();
  });

  it("a visitor with a browser User-Agent is minted after one look at the request", () => {
    const { facts, calls } = factsOf();
    expect(decide(input({ presented: [], facts })).minted).toBe("absent");
    expect(calls.n).toBe(1);
  });
});

describe("decide: pages", () => {
  it("a host with nothing live: no header, no split cache, no 204", () => {
    expect(decide(input({ host: "fr.wikipedia.org" }))).toMatchObject({ outcome: "no-live-experiments", enrollments: "", timingPairs: "", split: false, answer204: false, enrolled: 0 });
  });

  it("an enrolled page is answered by the origin, never with a 204", () => {
    expect(decide(input())).toMatchObject({ outcome: "enrolled", split: true, answer204: false });
  });
});

describe("decide: rules (contract §8)", () => {
  it("eligibility false: the experiment is as if not live, on pages and at the event intake", () => {
    const inDE = decide(input({ config: targeted(), host: DE, facts: factsOf({ country: "DE" }).facts }));
    const inUS = decide(input({ config: targeted(), host: DE, facts: factsOf({ country: "US" }).facts }));
    const loggedIn = decide(input({ config: targeted(), host: DE, facts: factsOf({ country: "AT", cookieHeader: "dewikiSession=1" }).facts }));
    expect(pairsOf(inDE)["german-readers-only"]).toMatch(/^(control|treatment)$/);
    expect(pairsOf(inUS)["german-readers-only"]).toBeUndefined();
    expect(pairsOf(loggedIn)["german-readers-only"]).toBeUndefined();
    expect(inUS.enrollments).not.toContain("german-readers-only");
    const events = decide(input({ config: targeted(), host: DE, isEvents: true, facts: factsOf({ country: "US" }).facts }));
    expect(events.enrollments).not.toContain("german-readers-only");
    expect(decide(input({ config: targeted(), host: DE, isEvents: true, facts: factsOf({ country: "DE" }).facts })).enrollments).toMatch(/german-readers-only=(control|treatment)\/[A-Za-z0-9_-]{22};/);
  });

  it("allocations: the first matching rule supplies the groups; the bucket never depends on the context", () => {
    const trace = (userAgent: string) => {
      const steps: EnrollmentStep[] = [];
      decide(input({ config: targeted(), host: DE, facts: factsOf({ userAgent }).facts, trace: steps }));
      return steps.find((s) => s.experiment.name === "mobile-gets-more")!;
    };
    const mobile = trace(IPHONE);
    const desktop = trace(BROWSER_UA);
    expect(mobile.allocation).toBe(0);
    expect(desktop.allocation).toBe(-1);
    expect(mobile.bucket).toBe(desktop.bucket);
    expect(mobile.eligible && desktop.eligible).toBe(true);
    expect(mobile.group).toBe(mobile.bucket < 50000 ? "control" : "treatment");
    expect(desktop.group).toBe(desktop.bucket < 5000 ? "control" : desktop.bucket < 10000 ? "treatment" : null);
  });

  it("reads the request at most once, and not at all when no live experiment has a rule", () => {
    const ruled = factsOf();
    decide(input({ config: targeted(), host: DE, facts: ruled.facts }));
    expect(ruled.calls.n).toBe(1);
    const unruled = factsOf();
    decide(input({ config: targeted(), host: EN, facts: unruled.facts }));
    expect(unruled.calls.n).toBe(0);
    const firstVisit = factsOf();
    decide(input({ config: targeted(), host: DE, presented: [], facts: firstVisit.facts }));
    expect(firstVisit.calls.n).toBe(1);
  });
});

describe("decide: the event intake (contract §4)", () => {
  it("needs a verified cookie and a live enrollment; never mints", () => {
    expect(decide(input({ isEvents: true, presented: [] }))).toMatchObject({ outcome: "events-204:no-cookie", answer204: true, setCookie: null });
    expect(decide(input({ isEvents: true, host: "fr.wikipedia.org" }))).toMatchObject({ outcome: "events-204:no-experiments", answer204: true });
    expect(decide(input({ isEvents: true, nowMs: Date.parse("2030-01-01T00:00:00Z") }))).toMatchObject({ outcome: "events-204:no-experiments", answer204: true });
    const d = decide(input({ isEvents: true }));
    expect(d.outcome).toBe("events-forwarded");
    expect(d.enrollments).toMatch(/^([A-Za-z0-9][-_.A-Za-z0-9]*=[A-Za-z0-9][-_.A-Za-z0-9]*\/[A-Za-z0-9_-]{22};)+$/);
    expect(d.timingPairs).toBe("");
  });

  it("no config, or none for the host: 204 without enrolling", () => {
    // The intake stops before enrollment, so there is no (empty) enrollment to report.
    expect(decide(input({ isEvents: true, config: null }))).toMatchObject({ outcome: "events-204:no-experiments", answer204: true, enrollment: null });
    expect(decide(input({ isEvents: true, host: "fr.wikipedia.org" }))).toMatchObject({ outcome: "events-204:no-experiments", answer204: true, enrollment: null });
  });

  it("not enrolled in any live experiment: 204", () => {
    const narrow = compile({
      "narrow-experiment": {
        start: "2025-06-01T00:00:00Z",
        end: "2025-07-01T00:00:00Z",
        domains: { [EN]: { groups: { only: [0, 0] } } },
      },
    });
    // This visitor's bucket is not 0 (the trace says which it is).
    const steps: EnrollmentStep[] = [];
    expect(decide(input({ isEvents: true, config: narrow, trace: steps }))).toMatchObject({ outcome: "events-204:not-enrolled", answer204: true });
    expect(steps[0]!.bucket).toBeGreaterThan(0);
    expect(decide(input({ config: narrow }))).toMatchObject({ outcome: "not-enrolled", split: true, enrollments: "" });
  });
});

describe("decide: statistics within allocations (contract §8)", () => {
  // 20,000 first visits, half on mobile: each allocation splits its own visitors as its ranges say.
  it("passes the SRM test within each allocation", () => {
    const rnd = seededRandom(20261201);
    const counts = { mobile: { control: 0, treatment: 0, none: 0 }, desktop: { control: 0, treatment: 0, none: 0 } };
    for (let i = 0; i < 20_000; i++) {
      const platform = i % 2 === 0 ? "mobile" : "desktop";
      const d = decide(input({ config: targeted(), host: DE, presented: [], random: (b) => rnd.fill(b), facts: factsOf({ userAgent: platform === "mobile" ? IPHONE : BROWSER_UA }).facts }));
      const group = (pairsOf(d)["mobile-gets-more"] ?? "none") as "control" | "treatment" | "none";
      counts[platform][group]++;
    }
    const chi2 = (o: number[], e: number[]) => o.reduce((s, x, i) => s + (x - e[i]!) ** 2 / e[i]!, 0);
    const n = 10_000;
    // mobile: 50/50 of everyone; desktop: 5 % / 5 % / 90 % unenrolled. p = 0.001 critical values.
    expect(counts.mobile.none).toBe(0);
    expect(chi2([counts.mobile.control, counts.mobile.treatment], [n / 2, n / 2])).toBeLessThan(10.83);
    expect(chi2([counts.desktop.control, counts.desktop.treatment, counts.desktop.none], [n * 0.05, n * 0.05, n * 0.9])).toBeLessThan(13.82);
  });
});

describe("decide: previews (contract §10)", () => {
  const previewRing = (() => {
    const r = parseKeyRing("3:ZGV2ZWxvcG1lbnQtcHJldmlldy1rZXktbm8tcHJvZCE");
    if (!r.ok) throw new Error(r.error);
    return r.ring;
  })();
  const token = (pairs: [string, string][], host = DE, expires = NOW + 3_600_000) => mintPreviewToken(previewRing, host, new Map(pairs), expires);
  const withPreview = (cookies: string[], search = "", over: Partial<DecisionInput> = {}) =>
    input({ config: targeted(), host: DE, preview: { keyRing: previewRing, cookies, protocol: "https:", authority: DE, pathname: "/wiki/Haus", search }, ...over });

  it("a link answers 302 to the URL without it and sets the host-only cookie until the token expires", () => {
    const t = token([["german-readers-only", "treatment"]]);
    const d = decide(withPreview([], `?a=1&wmf-preview=${t}&b=2`));
    expect(d.outcome).toBe("preview-redirect");
    expect(d.redirect).toBe("https://de.wikipedia.org/wiki/Haus?a=1&b=2");
    expect(d.previewCookie).toBe(`WMF-Preview=${t}; Path=/; HttpOnly; Secure; SameSite=Lax; Expires=${new Date(NOW + 3_600_000).toUTCString()}`);
    expect(d.setCookie).toBeNull();
    expect(d.previewRejected).toBeNull();
  });

  it("a bad, expired or other-host link still redirects, clears the cookie and says why", () => {
    for (const [t, reason] of [
      ["forged", "encoding"],
      [token([["german-readers-only", "treatment"]], DE, NOW - 1000), "expired"],
      [token([["fifty-fifty-test", "treatment"]], EN), "other-host"],
    ] as const) {
      const d = decide(withPreview([], `?wmf-preview=${t}`));
      expect(d).toMatchObject({ outcome: "preview-redirect", redirect: "https://de.wikipedia.org/wiki/Haus", previewRejected: reason });
      expect(d.previewCookie).toMatch(/^WMF-Preview=; .*Max-Age=0$/);
    }
  });

  it("a verified cookie forces the named groups, ignoring eligibility and ranges; everything else is the visitor's own", () => {
    const own = decide(input({ config: targeted(), host: DE, facts: factsOf({ country: "US" }).facts }));
    const d = decide(withPreview([token([["german-readers-only", "treatment"], ["mobile-gets-more", "control"]])], "", { facts: factsOf({ country: "US" }).facts }));
    expect(pairsOf(d)["german-readers-only"]).toBe("treatment");
    expect(pairsOf(d)["mobile-gets-more"]).toBe("control");
    expect(d.enrollments).toContain("german-readers-only=treatment;");
    expect(d.forced).toBe(2);
    for (const [exp, group] of Object.entries(pairsOf(own))) if (exp !== "mobile-gets-more") expect(pairsOf(d)[exp]).toBe(group);
    expect(d.setCookie).toBeNull();
    expect(d.previewCookie).toBeNull();
  });

  it("the event intake leaves forced experiments out", () => {
    const cookies = [token([["german-readers-only", "treatment"]])];
    const d = decide(withPreview(cookies, "", { isEvents: true }));
    expect(d.enrollments).not.toContain("german-readers-only");
    expect(d.enrollments).toMatch(/^fifty-fifty-test=(control|treatment)\//);
  });

  it("an experiment not live on the host, or a group it lacks, is not forced", () => {
    const d = decide(withPreview([token([["ten-percent-sample", "treatment"], ["fifty-fifty-test", "no-such-group"]])]));
    expect(pairsOf(d)["ten-percent-sample"]).toBeUndefined();
    expect(d.forced).toBe(0);
    expect(pairsOf(d)["fifty-fifty-test"]).toBe(pairsOf(decide(input({ config: targeted(), host: DE })))["fifty-fifty-test"]);
  });

  it("no preview cookie: nothing to clear, nothing refused", () => {
    expect(decide(withPreview([]))).toMatchObject({ outcome: "enrolled", previewCookie: null, previewRejected: null, forced: 0 });
  });

  it("a bad cookie is ignored, counted and cleared; the first that verifies wins", () => {
    const good = token([["german-readers-only", "control"]]);
    const bad = decide(withPreview(["forged", token([["x-experiment-z", "a"]], EN)]));
    expect(bad).toMatchObject({ previewRejected: "encoding", forced: 0 });
    expect(bad.previewCookie).toMatch(/Max-Age=0$/);
    const mixed = decide(withPreview(["forged", good]));
    expect(mixed).toMatchObject({ previewRejected: null, previewCookie: null, forced: 1 });
  });

  it("the kill switch wins over a preview; a preview holder is not taken for a bot", () => {
    const t = token([["german-readers-only", "treatment"]]);
    expect(decide(withPreview([t], `?wmf-preview=${t}`, { killed: true }))).toMatchObject({ outcome: "pass-through:kill-switch", redirect: null, previewCookie: null });
    const bot = decide(withPreview([t], "", { presented: [], facts: factsOf({ userAgent: GOOGLEBOT }).facts }));
    expect(bot.outcome).toBe("enrolled");
    expect(pairsOf(bot)["german-readers-only"]).toBe("treatment");
  });
});
