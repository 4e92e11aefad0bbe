import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveConfig } from "../fixtures/config.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";
import { startWorker, type Harness } from "../helpers/worker-harness.js";

/** `/_enrollment/status` in workerd: a page for browsers, the same JSON as before for everyone else. */

const CHROMIUM_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
const URL = "https://en.wikipedia.org/_enrollment/status";

describe("status route content negotiation", () => {
  let configApi: StubServer;
  let origin: StubServer;
  let h: Harness;
  const doc = liveConfig();

  beforeAll(async () => {
    origin = await startStub((_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("ok"));
    configApi = await startStub((_req, res) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc)));
    h = await startWorker({ CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: origin.url });
    await h.poll();
  });

  afterAll(async () => {
    await h?.dispose();
    await configApi?.close();
    await origin?.close();
  });

  it("answers JSON without an Accept header, for */* and for application/json", async () => {
    for (const accept of [undefined, "*/*", "application/json", "application/json, text/html"]) {
      const res = await h.fetch(URL, accept === undefined ? {} : { headers: { accept } });
      expect(res.headers.get("content-type"), String(accept)).toMatch(/^application\/json/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = (await res.json()) as { config: { version: string; liveExperiments: Record<string, string[]> } };
      expect(body.config.version).toMatch(/^[0-9a-f]{64}$/);
      // Live experiments per host, config order: the worker's own view of "live now".
      expect(body.config.liveExperiments["en.wikipedia.org"]).toContain("fifty-fifty-test");
      expect(body.config.liveExperiments["en.wikipedia.org"]).not.toContain("not-started-yet");
      expect(body.config.liveExperiments["en.wikipedia.org"]).not.toContain("already-ended-test");
    }
  });

  it("answers a page to a browser, with the same data, a strict CSP and Vary: Accept", async () => {
    const json = (await (await h.fetch(URL)).json()) as { config: { version: string }; keyRing: { tags: number[] } };
    const res = await h.fetch(URL, { headers: { accept: CHROMIUM_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html; charset=utf-8/i);
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    expect(res.headers.get("vary")).toBe("Accept");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const page = await res.text();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain(`title="${json.config.version}">${json.config.version.slice(0, 12)}</code>`);
    expect(page).toContain(`<span id="key-tags">${json.keyRing.tags.join(", ")}</span>`);
    expect(page).toContain('<tr data-host="en.wikipedia.org">');
    expect(page).not.toContain("<script");
  });

  it("?format= overrides the Accept header", async () => {
    const asJson = await h.fetch(`${URL}?format=json`, { headers: { accept: CHROMIUM_ACCEPT } });
    expect(asJson.headers.get("content-type")).toMatch(/^application\/json/);
    await asJson.body?.cancel();
    const asHtml = await h.fetch(`${URL}?format=html`);
    expect(asHtml.headers.get("content-type")).toMatch(/^text\/html/);
    await asHtml.body?.cancel();
  });
});
