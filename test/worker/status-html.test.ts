import { describe, expect, it } from "vitest";
import { duration, renderStatusHtml } from "../../worker/status-html.js";

/** The status page renderer is pure: the JSON body in, a page out (the route is tested in status-page.test.ts). */

const NOW = Date.parse("2025-06-15T12:00:00Z");
const EVIL = `"><script>alert(1)</script>`;

function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    worker: { version: "0.1.0", tokenVersion: 1, subjectAlgorithm: 1, maxLiveExperiments: 128 },
    enrollment: { active: true, killSwitch: { var: false, kv: false } },
    config: {
      version: "4c6cf47bb024cb20d338fb8303e11ddb2def3a185f026c58255cb39df64a36f1",
      acceptedAt: "2025-06-15T11:00:00.000Z",
      ageSeconds: 3600,
      loadedInIsolateAt: "2025-06-15T11:59:30.000Z",
      experiments: 3,
      hosts: 2,
      lastLoadError: null,
      liveExperiments: { "en.wikipedia.org": ["fifty-fifty-test", "ten-percent-sample"], "de.wikipedia.org": [] },
    },
    poll: {
      v: 1,
      outcome: "unchanged",
      reason: null,
      httpStatus: 200,
      durationMs: 85,
      at: "2025-06-15T11:59:00.000Z",
      version: "4c6c",
      lastSuccessAt: "2025-06-15T11:59:00.000Z",
      consecutiveFailures: 0,
      etag: null,
    },
    keyRing: { ok: true, mintingTag: 1, tags: [1, 0], developmentKey: false },
    settings: { configUrl: "custom", origin: "request URL", eventsPath: "/evt-103e/v2/events", cookieDomain: "(registrable domain of the host)", configRefreshMs: 5000, errors: [] },
    counters: { requests: 12, enrolledRequests: 10, minted: { absent: 3, "bad-mac": 1 }, cache: { hit: 4, miss: 2 } },
    ...overrides,
  };
}

describe("renderStatusHtml", () => {
  it("answers the first questions at the top: enrollment, config version and age, last poll, key tags", () => {
    const page = renderStatusHtml(body(), "en.wikipedia.org", NOW);
    expect(page).toMatch(/<section class="card good" id="enrollment" data-active="true">[\s\S]*<p class="big">active<\/p>/);
    expect(page).toContain('<code id="config-version" title="4c6cf47bb024cb20d338fb8303e11ddb2def3a185f026c58255cb39df64a36f1">4c6cf47bb024</code>');
    expect(page).toContain('<dd id="config-age">1 h 0 min</dd>');
    expect(page).toMatch(/id="poll" data-outcome="unchanged">[\s\S]*HTTP 200/);
    expect(page).toContain("(1 min 0 s ago)");
    expect(page).toContain('<span id="minting-tag">1</span>');
    expect(page).toContain('<span id="key-tags">1, 0</span>');
    expect(page).not.toContain("development key is in use");
  });

  it("lists the live experiments per host, and the counters", () => {
    const page = renderStatusHtml(body(), "en.wikipedia.org", NOW);
    expect(page).toMatch(/<tr data-host="en.wikipedia.org"><td><code>en.wikipedia.org<\/code><\/td><td class="num">2<\/td><td><span class="exp-name">fifty-fifty-test<\/span>, <span class="exp-name">ten-percent-sample<\/span><\/td><\/tr>/);
    expect(page).toMatch(/<tr data-host="de.wikipedia.org">.*<td class="num">0<\/td><td><span class="muted">none<\/span>/);
    expect(page).toContain('<td class="num" data-counter="requests">12</td>');
    expect(page).toContain('data-counter="minted.bad-mac"><span class="num">1</span>');
  });

  it("shows what is wrong in red: inactive enrollment, a failed poll with its problems, no key ring", () => {
    const page = renderStatusHtml(
      body({
        enrollment: { active: false, killSwitch: { var: false, kv: true } },
        poll: { outcome: "rejected", reason: "config failed validation (1 problem)", httpStatus: 200, at: "2025-06-15T11:59:00.000Z", consecutiveFailures: 4, lastSuccessAt: null, issues: ['$["x"].start: is required'] },
        keyRing: { ok: false, error: "UNIQ_KEYS: missing" },
      }),
      "en.wikipedia.org",
      NOW,
    );
    expect(page).toMatch(/class="card bad" id="enrollment" data-active="false">[\s\S]*kill switch on \(KV control\/v1\/kill\); no usable key ring: requests pass through/);
    expect(page).toMatch(/class="card bad" id="poll" data-outcome="rejected">/);
    expect(page).toContain('<dd class="bad-text">4</dd>');
    expect(page).toContain("<li><code>$[&quot;x&quot;].start: is required</code></li>");
    expect(page).toContain('<dt>last success</dt><dd>never</dd>');
    expect(page).toMatch(/class="card bad" id="key-ring">[\s\S]*UNIQ_KEYS: missing/);
  });

  it("says whether preview links are on, with their key tags only (contract §10)", () => {
    const on = renderStatusHtml(body({ previewKeyRing: { on: true, mintingTag: 2, tags: [2, 0], developmentKey: true } }), "h", NOW);
    expect(on).toMatch(/<section class="card warn" id="preview-keys" data-on="true">[\s\S]*<span id="preview-key-tags">2, 0<\/span> \(new links: tag <span id="preview-minting-tag">2<\/span>\)/);
    expect(on).toContain("development preview key is in use");
    const unset = renderStatusHtml(body({ previewKeyRing: { on: false, error: null } }), "h", NOW);
    expect(unset).toMatch(/<section class="card" id="preview-keys" data-on="false"><h2>Preview links<\/h2><p class="big">off<\/p><p class="muted">PREVIEW_KEYS is not set/);
    const refused = renderStatusHtml(body({ previewKeyRing: { on: false, error: "PREVIEW_KEYS: shares a key with UNIQ_KEYS; preview keys must be their own" } }), "h", NOW);
    expect(refused).toMatch(/<section class="card bad" id="preview-keys" data-on="false">[\s\S]*<p class="bad-text">PREVIEW_KEYS: shares a key with UNIQ_KEYS/);
    expect(renderStatusHtml(body(), "h", NOW)).not.toContain('id="preview-keys"');
  });

  it("says so when there is no config and no poll yet", () => {
    const page = renderStatusHtml(body({ config: { version: null, acceptedAt: null, ageSeconds: null, experiments: 0, hosts: 0, lastLoadError: null, liveExperiments: {} }, poll: null }), "h", NOW);
    expect(page).toContain("none loaded");
    expect(page).toContain("No host has a live experiment.");
    expect(page).toMatch(/id="poll"><h2>Last poll<\/h2><p class="big">none recorded/);
  });

  it("shows every field, including ones it has no card for", () => {
    const page = renderStatusHtml(body({ cookieDomains: { "en.wikipedia.org": "wikipedia.org" } }), "h", NOW);
    expect(page).toMatch(/<summary>Every field, as in the JSON<\/summary>[\s\S]*<th>cookieDomains<\/th><td><table class="kv"><tr><th>en.wikipedia.org<\/th><td>wikipedia.org<\/td>/);
  });

  it("escapes every value", () => {
    const page = renderStatusHtml(
      body({
        config: { version: EVIL, lastLoadError: EVIL, liveExperiments: { [EVIL]: [EVIL] } },
        poll: { outcome: EVIL, reason: EVIL, issues: [EVIL], at: EVIL },
        settings: { errors: [EVIL], [EVIL]: EVIL },
      }),
      EVIL,
      NOW,
    );
    expect(page).not.toContain("<script");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("formats durations for people", () => {
    expect([0, 42_000, 75_000, 3_600_000, 49 * 3_600_000].map(duration)).toEqual(["0 s", "42 s", "1 min 15 s", "1 h 0 min", "2 d 1 h"]);
  });
});
