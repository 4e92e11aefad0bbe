import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config-parse.js";
import { CONFIG_PATH, matchesEtag, startConfigApi, type ConfigApi } from "../../emulation/config-api.js";

const DOC_A = `{"_comment": "a"}\n`;
const DOC_B = `{"_comment": "b"}\n`;

describe("emulated config API", () => {
  let dir: string;
  let file: string;
  let api: ConfigApi;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "config-api-"));
    file = join(dir, "config.json");
    writeFileSync(file, DOC_A);
    api = await startConfigApi({ port: 0, file, slowMs: 50 });
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    api.setMode("ok");
    writeFileSync(file, DOC_A);
  });

  it("serves the file as JSON with an ETag", async () => {
    const r = await fetch(api.configUrl);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(r.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await r.text()).toBe(DOC_A);
    expect(api.configUrl).toBe(api.url + CONFIG_PATH);
  });

  it("answers 304 to a matching If-None-Match and 200 otherwise", async () => {
    const etag = (await fetch(api.configUrl)).headers.get("etag")!;
    const same = await fetch(api.configUrl, { headers: { "if-none-match": etag } });
    expect(same.status).toBe(304);
    expect(same.headers.get("etag")).toBe(etag);
    expect(await same.text()).toBe("");
    const listed = await fetch(api.configUrl, { headers: { "if-none-match": `"other", W/${etag}` } });
    expect(listed.status).toBe(304);
    const other = await fetch(api.configUrl, { headers: { "if-none-match": `"other"` } });
    expect(other.status).toBe(200);
  });

  it("re-reads the file on every request, so edits show at the next poll", async () => {
    const first = await fetch(api.configUrl);
    const etagA = first.headers.get("etag")!;
    writeFileSync(file, DOC_B);
    const second = await fetch(api.configUrl, { headers: { "if-none-match": etagA } });
    expect(second.status).toBe(200);
    expect(await second.text()).toBe(DOC_B);
    expect(second.headers.get("etag")).not.toBe(etagA);
  });

  it("answers HEAD like GET without a body", async () => {
    const r = await fetch(api.configUrl, { method: "HEAD" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-length")).toBe(String(Buffer.byteLength(DOC_A)));
  });

  it("rejects other formats and authorities", async () => {
    expect((await fetch(`${api.url}/api/v1/experiments?format=json`)).status).toBe(400);
    expect((await fetch(`${api.url}/api/v1/experiments?format=config&authority=mediawiki`)).status).toBe(400);
  });

  it("switches modes through POST /_emulation/mode and refuses unknown ones", async () => {
    const bad = await fetch(`${api.url}/_emulation/mode?mode=teapot`, { method: "POST" });
    expect(bad.status).toBe(400);
    const ok = await fetch(`${api.url}/_emulation/mode?mode=error500`, { method: "POST" });
    expect(await ok.json()).toEqual({ mode: "error500" });
    expect(api.mode()).toBe("error500");
    expect((await fetch(api.configUrl)).status).toBe(500);
  });

  it("misbehaves as documented in each mode", async () => {
    writeFileSync(file, `{"_comment": "a longer document so that half of it is clearly not JSON"}`);

    api.setMode("invalid-json");
    const cut = await fetch(api.configUrl);
    expect(cut.status).toBe(200);
    expect(cut.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const cutText = await cut.text();
    expect(() => JSON.parse(cutText)).toThrow();

    api.setMode("wrong-type");
    const etag = (await fetch(api.configUrl)).headers.get("etag")!;
    const html = await fetch(api.configUrl, { headers: { "if-none-match": etag } });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(JSON.parse(await html.text())).toHaveProperty("_comment");

    api.setMode("invalid-config");
    const invalid = await fetch(api.configUrl);
    expect(invalid.status).toBe(200);
    const parsed = parseConfigText(await invalid.text());
    expect(parsed.ok).toBe(false);

    api.setMode("slow");
    const slow = await fetch(api.configUrl);
    expect(slow.status).toBe(200);
    expect(JSON.parse(await slow.text())).toHaveProperty("_comment");
  });

  it("counts requests and conditional hits", async () => {
    const before = { ...api.stats };
    const etag = (await fetch(api.configUrl)).headers.get("etag")!;
    await fetch(api.configUrl, { headers: { "if-none-match": etag } });
    expect(api.stats.requests).toBe(before.requests + 2);
    expect(api.stats.notModified).toBe(before.notModified + 1);
    expect(api.stats.lastIfNoneMatch).toBe(etag);
  });
});

describe("matchesEtag", () => {
  it("follows If-None-Match weak comparison", () => {
    expect(matchesEtag(null, `"a"`)).toBe(false);
    expect(matchesEtag("*", `"a"`)).toBe(true);
    expect(matchesEtag(`W/"a"`, `"a"`)).toBe(true);
    expect(matchesEtag(`"b" , "a"`, `"a"`)).toBe(true);
    expect(matchesEtag(`"ab"`, `"a"`)).toBe(false);
  });
});
