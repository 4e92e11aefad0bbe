import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_CONFIG_FILE } from "../../emulation/config-api.js";
import { REPO_ROOT } from "../../emulation/edge-worker.js";
import { startEmulation, type Emulation } from "../../emulation/emulation.js";
import { buildBucketMap } from "../../tools/bucket-map.js";
import { renderBucketMapHtml } from "../../tools/bucket-map-html.js";
import { bufferIo, EXIT_OK } from "../../tools/cli-io.js";
import { main as configCheck } from "../../tools/config-check.js";
import { sampleConfig } from "../fixtures/config.js";
import { rulesConfig } from "../fixtures/rules-config.js";
import { AT, AT_MS } from "../tools/cli-test-kit.js";

/**
 * The views for people, in headless Chromium: the bucket map from `config:check --html`
 * (and its diff), the emulation's map of the config the worker holds, and the status page.
 * Each must load without a console error or any request beyond itself, and draw what the
 * config says: checked on the drawn elements (data attributes, boxes), not on pixels. A
 * screenshot of each view is written to test-artifacts/views/ (git-ignored) for people.
 */

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ARTIFACTS = join(REPO_ROOT, "test-artifacts", "views");
const EN = "en.wikipedia.localhost";

const haveChromium = existsSync(CHROMIUM);
const mustRun = Boolean(process.env["CI"]);
const skipReason = `skipped: ${CHROMIUM} is not installed (apt-get install -y chromium) and CI is not set`;
if (!haveChromium && !mustRun) console.warn(`[e2e] views test ${skipReason}`);
const suite = haveChromium || mustRun ? describe : describe.skip;

suite(haveChromium || mustRun ? "views in a browser" : `views in a browser (${skipReason})`, { timeout: 45_000 }, () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "ee-views-"));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A page that records console errors, page errors and every request it makes. */
  async function open(): Promise<{ page: Page; errors: string[]; requests: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("request", (r) => requests.push(r.url()));
    return { page, errors, requests, close: () => context.close() };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** The drawn group segments of one band: [group, first, last]. */
  async function segments(page: Page, scope: string): Promise<[string | null, number, number][]> {
    return page.locator(`${scope} .seg`).evaluateAll((els) =>
      els.map((el) => [el.getAttribute("data-group"), Number(el.getAttribute("data-first")), Number(el.getAttribute("data-last"))] as [string | null, number, number]),
    );
  }

  describe("config:check --html", () => {
    it("draws every live and scheduled experiment per host, aligned on one axis, self-contained", async () => {
      const config = join(dir, "config.json");
      const out = join(dir, "map.html");
      // The sample config and a one-bucket group.
      const oneBucket = { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z", domains: { "en.wikipedia.org": { groups: { only: [0, 0] } } } };
      writeFileSync(config, JSON.stringify({ ...sampleConfig(), "one-bucket-test": oneBucket }));
      expect(await configCheck([config, "--at", AT, "--html", out], bufferIo())).toBe(EXIT_OK);
      const { page, errors, requests, close } = await open();
      try {
        await page.goto(pathToFileURL(out).href);
        expect(await page.locator("section.host h2").allTextContents()).toEqual([expect.stringMatching(/^en\.wikipedia\.org/), expect.stringMatching(/^de\.wikipedia\.org/)]);
        const ten = '[data-host="en.wikipedia.org"] [data-experiment="ten-percent-sample"] .band.default';
        expect(await segments(page, ten)).toEqual([
          ["control", 0, 4999],
          ["treatment", 5000, 9999],
          [null, 10000, 99999],
        ]);
        // Drawn to scale: the unenrolled 90% is nine times the two 5% groups together.
        const boxes = await Promise.all([0, 1, 2].map((i) => page.locator(`${ten} .seg`).nth(i).boundingBox()));
        expect(boxes.every((b) => b !== null && b.height > 0)).toBe(true);
        expect(boxes[2]!.width / (boxes[0]!.width + boxes[1]!.width)).toBeCloseTo(9, 0);
        // Experiments sharing a selector are framed together, their tracks exactly aligned.
        const frame = page.locator('.shared-buckets[data-bucket-space="shared-selector-1"]');
        expect(await frame.locator("article.exp").evaluateAll((els) => els.map((e) => e.getAttribute("data-experiment")))).toEqual(["shared-a-experiment", "shared-b-experiment"]);
        const tracks = await Promise.all(["shared-a-experiment", "shared-b-experiment", "fifty-fifty-test"].map((n) => page.locator(`[data-host="en.wikipedia.org"] [data-experiment="${n}"] .track`).first().boundingBox()));
        expect(new Set(tracks.map((t) => `${t!.x},${t!.width}`)).size).toBe(1);
        // A one-bucket group is still drawn, on top of the unenrolled space around it.
        const only = page.locator('[data-experiment="one-bucket-test"] .seg[data-group="only"]');
        await only.scrollIntoViewIfNeeded(); // below the fold: elementFromPoint sees the viewport only
        const box = (await only.boundingBox())!;
        expect(box.width).toBeGreaterThanOrEqual(2);
        expect(await page.evaluate<string | null>(`document.elementFromPoint(${box.x + box.width / 2}, ${box.y + box.height / 2})?.getAttribute("data-group") ?? null`)).toBe("only");
        await expect.poll(() => page.locator('[data-host="de.wikipedia.org"] [data-experiment="per-domain-test"] .badge.unique').isVisible()).toBe(true);
        expect(await page.locator('[data-experiment="not-started-yet"]').first().getAttribute("data-status")).toBe("not-yet");
        await shot(page, "config-check-map");
        expect(errors).toEqual([]);
        expect(requests).toEqual([pathToFileURL(out).href]);
      } finally {
        await close();
      }
    });

    it("--against: the diff page flags the ramp that reshuffles in red", async () => {
      const before = sampleConfig() as Record<string, { domains: Record<string, { groups: Record<string, number[]> }> }>;
      const after = structuredClone(before);
      after["ten-percent-sample"]!.domains["en.wikipedia.org"]!.groups = { control: [0, 9999], treatment: [10000, 19999] };
      after["fifty-fifty-test"]!.domains["de.wikipedia.org"]!.groups = { control: [0, 24999], treatment: [50000, 74999] };
      writeFileSync(join(dir, "old.json"), JSON.stringify(before));
      writeFileSync(join(dir, "new.json"), JSON.stringify(after));
      const out = join(dir, "diff.html");
      expect(await configCheck([join(dir, "new.json"), "--at", AT, "--against", join(dir, "old.json"), "--html", out], bufferIo())).toBe(EXIT_OK);
      const { page, errors, requests, close } = await open();
      try {
        await page.goto(pathToFileURL(out).href);
        const ten = page.locator('[data-host="en.wikipedia.org"] article[data-experiment="ten-percent-sample"]');
        expect(await ten.getAttribute("class")).toContain("reshuffling");
        const red = ten.locator('.chg[data-change="reshuffled"]');
        expect(await red.count()).toBe(1);
        expect(await red.getAttribute("data-before")).toBe("treatment");
        expect(await red.getAttribute("data-after")).toBe("control");
        expect((await red.boundingBox())!.width).toBeGreaterThan(0);
        expect(await ten.locator('[data-group-change="widened"]').getAttribute("data-group")).toBe("control");
        expect(await ten.locator('[data-group-change="moved"]').getAttribute("data-group")).toBe("treatment");
        // A narrowed group drops visitors: flagged too.
        expect(await page.locator('[data-host="de.wikipedia.org"] [data-experiment="fifty-fifty-test"] .chg[data-change="dropped"]').count()).toBeGreaterThan(0);
        expect(await page.locator('[data-experiment="shared-a-experiment"]').getAttribute("data-change")).toBe("unchanged");
        await shot(page, "config-check-diff");
        expect(errors).toEqual([]);
        expect(requests).toHaveLength(1);
      } finally {
        await close();
      }
    });

    it("draws each §8 allocation as its own band under the default one, labelled with its rule", async () => {
      const out = join(dir, "rules.html");
      writeFileSync(out, renderBucketMapHtml(buildBucketMap(rulesConfig(), AT_MS), { source: "rules fixture (contract §8)" }));
      const { page, errors, close } = await open();
      try {
        await page.goto(pathToFileURL(out).href);
        const exp = page.locator('[data-experiment="mobile-first-layout"]');
        expect(await exp.locator(".band").evaluateAll((els) => els.map((e) => e.getAttribute("data-rule")))).toEqual(["", 'platform == "mobile"', 'language == "en"']);
        expect(await exp.locator(".band.allocation .band-label").first().textContent()).toContain('if platform == "mobile"');
        expect(await exp.locator(".badge.rule").first().textContent()).toContain("eligible if country in launch_countries && !loggedIn");
        expect(await segments(page, '[data-experiment="mobile-first-layout"] .band.allocation[data-rule="language == \\"en\\""]')).toEqual([
          ["treatment", 0, 999],
          [null, 1000, 99999],
        ]);
        expect(await page.locator('[data-experiment="zero-group-test"] .exp-warnings li').textContent()).toContain('group "0"');
        await shot(page, "bucket-map-rules");
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });
  });

  describe("the emulation", () => {
    let emulation: Emulation;
    let configFile: string;

    beforeAll(async () => {
      configFile = join(dir, "emulation-config.json");
      copyFileSync(SAMPLE_CONFIG_FILE, configFile);
      emulation = await startEmulation({
        ports: { worker: 0, configApi: 0, origin: 0, control: 0 },
        configFile,
        pollIntervalMs: 0,
        log: (line) => {
          if (/"level":"error"/.test(line)) console.log(line);
        },
      });
    });

    afterAll(async () => {
      await emulation?.close();
    });

    it("the wiki page links to the map of the config the worker holds", async () => {
      const { page, errors, requests, close } = await open();
      try {
        await page.goto(emulation.pageUrl(EN));
        await page.click("#map-link");
        await page.waitForURL(`${emulation.controlUrl}/_emulation/map`);
        expect(await page.locator("h1").textContent()).toBe("Bucket map of the config the worker holds");
        expect(await segments(page, `[data-host="${EN}"] [data-experiment="sticky-header-2026"] .band.default`)).toEqual([
          ["control", 0, 49999],
          ["treatment", 50000, 99999],
        ]);
        expect(await segments(page, `[data-host="${EN}"] [data-experiment="font-size-per-wiki"] .band.default`)).toEqual([
          ["small", 0, 24999],
          ["large", 25000, 49999],
          [null, 50000, 99999],
        ]);
        const frame = page.locator(`[data-host="${EN}"] .shared-buckets[data-bucket-space="reading-lists-2026"] article.exp`);
        expect(await frame.evaluateAll((els) => els.map((e) => e.getAttribute("data-experiment")))).toEqual(["reading-list-banner", "reading-list-menu"]);
        expect(await page.locator("#pending-link").count()).toBe(0);
        await shot(page, "emulation-map");
        expect(errors).toEqual([]);
        // Only the wiki page and the map: the map loads nothing.
        expect(requests.filter((u) => u.startsWith(emulation.controlUrl))).toEqual([`${emulation.controlUrl}/_emulation/map`]);
      } finally {
        await close();
      }
    });

    it("an edited config file shows as pending, with what the next poll would change", async () => {
      const doc = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, { domains: Record<string, { groups: Record<string, number[]> }> }>;
      doc["search-suggest-sample"]!.domains[EN]!.groups = { control: [0, 9999], treatment: [10000, 19999] };
      writeFileSync(configFile, JSON.stringify(doc, null, 2));
      const { page, errors, close } = await open();
      try {
        await page.goto(`${emulation.controlUrl}/_emulation/map`);
        await page.click("#pending-link");
        expect(await page.locator("h1").textContent()).toBe("What the next poll would change");
        const exp = page.locator(`[data-host="${EN}"] article[data-experiment="search-suggest-sample"]`);
        expect(await exp.getAttribute("data-reshuffled")).toBe("5000");
        expect(await exp.locator('.chg[data-change="reshuffled"]').count()).toBe(1);
        await shot(page, "emulation-map-pending");
        expect(errors).toEqual([]);
      } finally {
        await close();
        copyFileSync(SAMPLE_CONFIG_FILE, configFile);
      }
    });

    it("the status page is a page in a browser and the same data as the JSON", async () => {
      const { page, errors, close } = await open();
      try {
        await page.goto(emulation.pageUrl(EN));
        // The same route from the wiki page's script (same origin, asking for JSON; the status page's CSP forbids fetches).
        const json = (await page.evaluate(() => fetch("/_enrollment/status", { headers: { accept: "application/json" } }).then((r) => r.json()))) as {
          config: { version: string; liveExperiments: Record<string, string[]> };
          keyRing: { tags: number[]; mintingTag: number };
          enrollment: { active: boolean };
        };
        const [response] = await Promise.all([page.waitForResponse((r) => r.url().includes("/_enrollment/status")), page.click("#status-link")]);
        expect(response.headers()["content-type"]).toMatch(/^text\/html/);
        expect(await page.locator("#config-version").getAttribute("title")).toBe(json.config.version);
        expect(await page.locator("#enrollment").getAttribute("data-active")).toBe(String(json.enrollment.active));
        expect(await page.locator("#key-tags").textContent()).toBe(json.keyRing.tags.join(", "));
        expect(await page.locator("#minting-tag").textContent()).toBe(String(json.keyRing.mintingTag));
        expect(await page.locator(`#live tr[data-host="${EN}"] .exp-name`).allTextContents()).toEqual(json.config.liveExperiments[EN]);
        expect(await page.locator("#poll").getAttribute("data-outcome")).toBe("updated");
        await shot(page, "status-page");
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });
  });
});
