import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBase64url } from "../../src/base64url.js";
import { parseConfigText } from "../../src/config-parse.js";
import { enroll } from "../../src/enroll.js";
import { encodeAllPairs, encodeEventsHeader, encodePageHeader } from "../../src/enrollment-header.js";
import { DEVELOPMENT_KEY, parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { serverTimingEntry } from "../../src/server-timing.js";
import { mintToken, verifyToken } from "../../src/token.js";
import { bufferIo, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from "../../tools/cli-io.js";
import { main } from "../../tools/explain.js";
import { cookieValues, explainRequest, formatExplanation } from "../../tools/explanation.js";
import { keyRingTextFromFile } from "../../tools/key-ring-source.js";
import { seededRandom } from "../helpers/random.js";
import { sampleConfig } from "../fixtures/config.js";
import { AT, AT_MS, runTool, seededFill, serve, tempFiles } from "./cli-test-kit.js";

const DEV_KEYS = `0:${DEVELOPMENT_KEY}`;
// "another-ring-key-for-cli-tests!!": a second key, to show key tags and wrong keys.
const OTHER_KEY = encodeBase64url(new TextEncoder().encode("another-ring-key-for-cli-tests!!"));

function ring(text: string): KeyRing {
  const r = parseKeyRing(text);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
}

const DEV = ring(DEV_KEYS);
const CONFIG_TEXT = JSON.stringify(sampleConfig());
const parsed = parseConfigText(CONFIG_TEXT);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const CONFIG = parsed.config;
const MINT_MS = Date.parse("2025-06-10T08:00:00Z");

function mint(seed: number, keys: KeyRing = DEV): string {
  const rnd = seededRandom(seed);
  return mintToken(keys, MINT_MS, (b) => rnd.fill(b)).value;
}

/** Changes one character of the MAC part to another base64url character. */
function tamper(token: string, at = 40): string {
  const c = token[at] === "A" ? "B" : "A";
  return token.slice(0, at) + c + token.slice(at + 1);
}

describe("explainRequest agrees with the worker's core", () => {
  it("prints, per live experiment, the group enroll gives (over many visitors)", () => {
    let notEnrolled = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const token = mint(seed);
      const x = explainRequest({ ring: DEV, config: CONFIG, host: "en.wikipedia.org", cookie: token, nowMs: AT_MS });
      const verified = verifyToken(token, DEV);
      if (!verified.ok) throw new Error("minted token does not verify");
      const e = enroll(verified.identity, "en.wikipedia.org", AT_MS, CONFIG, true);

      expect(x.verified).toBe(true);
      expect(x.live.map((l) => l.name)).toEqual([
        "fifty-fifty-test",
        "ten-percent-sample",
        "shared-a-experiment",
        "shared-b-experiment",
        "per-domain-test",
        "client-side-only",
      ]);
      const enrolled = x.live.filter((l) => l.group !== null).map((l) => `${l.name}=${l.group}`);
      expect(enrolled).toEqual(e.experiments.map((exp, i) => `${exp.name}=${exp.groups[e.groups[i]!]}`));
      notEnrolled += x.live.filter((l) => l.group === null).length;

      // Shared selector: same subject and bucket.
      const [, , sharedA, sharedB] = x.live;
      expect(sharedA!.subjectId).toBe(sharedB!.subjectId);
      expect(sharedA!.bucket).toBe(sharedB!.bucket);
      expect(sharedA!.subjectId).toMatch(/^[A-Za-z0-9_-]{22}$/);

      expect(x.page.value).toBe(encodePageHeader(e) || null);
      expect(x.events.value).toBe(encodeEventsHeader(e) || null);
      expect(x.serverTiming.value).toBe(encodeAllPairs(e) ? serverTimingEntry(encodeAllPairs(e)) : null);
      expect(x.page.value).not.toContain("client-side-only"); // not cache-split
      // The event intake is answered at the edge exactly when there is nothing to attach.
      expect(x.events.edge204).toBe(e.experiments.length === 0);
    }
    // ten-percent-sample leaves nine visitors in ten out.
    expect(notEnrolled).toBeGreaterThan(150);
  });

  it("lists experiments that are not live, and a host with nothing live", () => {
    const x = explainRequest({ ring: DEV, config: CONFIG, host: "en.wikipedia.org", cookie: mint(1), nowMs: AT_MS });
    expect(x.notLive).toEqual([
      { name: "not-started-yet", status: "not-yet", start: "2025-07-01T00:00:00Z", end: "2025-08-01T00:00:00Z" },
      { name: "already-ended-test", status: "ended", start: "2025-05-01T00:00:00Z", end: "2025-06-01T00:00:00Z" },
    ]);
    const later = explainRequest({ ring: DEV, config: CONFIG, host: "de.wikipedia.org", cookie: mint(1), nowMs: Date.parse("2025-07-02T00:00:00Z") });
    expect(later.live).toEqual([]);
    expect(later.events).toMatchObject({ edge204: true, value: null });
    // With only ten-percent-sample live, a visitor outside its 10 % is in nothing: the event
    // intake gets a 204.
    const sampleOnly = parseConfigText(JSON.stringify({ "ten-percent-sample": sampleConfig()["ten-percent-sample"] }));
    if (!sampleOnly.ok) throw new Error(JSON.stringify(sampleOnly.issues));
    const outside = Array.from({ length: 50 }, (_, i) => mint(100 + i))
      .map((cookie) => explainRequest({ ring: DEV, config: sampleOnly.config, host: "en.wikipedia.org", cookie, nowMs: AT_MS }))
      .find((r) => r.live[0]!.group === null)!;
    expect(outside.live[0]!.bucket).toBeGreaterThanOrEqual(10_000);
    expect(outside.events).toMatchObject({ edge204: true, value: null });
    expect(outside.serverTiming.value).toBeNull();
    expect(formatExplanation(outside)).toContain("not enrolled: bucket outside every range");
    const unknown = explainRequest({ ring: DEV, config: CONFIG, host: "fr.wikipedia.org", cookie: mint(1), nowMs: AT_MS });
    expect(unknown.hostInConfig).toBe(false);
    expect(formatExplanation(unknown)).toContain("fr.wikipedia.org is not in the config");
  });

  it("reports the key tag and mint date of a valid cookie", () => {
    const x = explainRequest({ ring: DEV, config: CONFIG, host: "en.wikipedia.org", cookie: mint(3), nowMs: AT_MS });
    expect(x.tokens).toEqual([{ ok: true, keyTag: 0, mintDate: "2025-06-10", ageDays: 5 }]);
  });
});

describe("explainRequest: the cookie Domain the worker would set", () => {
  const explainHost = (host: string, cookieDomain?: string | null) =>
    explainRequest({ ring: DEV, config: CONFIG, host, cookie: mint(1), nowMs: AT_MS, ...(cookieDomain === undefined ? {} : { cookieDomain }) });

  it("is the host's registrable domain from the Public Suffix List, or host-only", () => {
    expect(explainHost("en.m.wikipedia.org").cookieDomain).toEqual({ domain: "wikipedia.org", source: "public-suffix-list", refused: null });
    expect(formatExplanation(explainHost("en.m.wikipedia.org"))).toContain("\ncookie Domain: wikipedia.org (the host's registrable domain, Public Suffix List)\n");
    expect(explainHost("wiki.example.github.io").cookieDomain.domain).toBe("example.github.io");
    expect(explainHost("github.io").cookieDomain).toEqual({ domain: null, source: "public-suffix-list", refused: null });
    expect(formatExplanation(explainHost("github.io"))).toContain("cookie Domain: none, host-only");
  });

  it("is COOKIE_DOMAIN when set, flagged when browsers would refuse it", () => {
    expect(explainHost("en.wikipedia.org", "wikipedia.org").cookieDomain).toEqual({ domain: "wikipedia.org", source: "COOKIE_DOMAIN", refused: null });
    const wrong = explainHost("en.wiktionary.org", "wikipedia.org");
    expect(wrong.cookieDomain.refused).toBe("en.wiktionary.org is neither wikipedia.org nor under it");
    expect(formatExplanation(wrong)).toContain(
      "cookie Domain: wikipedia.org (COOKIE_DOMAIN)\n  browsers refuse this cookie: en.wiktionary.org is neither wikipedia.org nor under it\n",
    );
  });
});

describe("explainRequest: cookies that do not verify", () => {
  const explainCookie = (cookie: string, keys: KeyRing = DEV) =>
    explainRequest({ ring: keys, config: CONFIG, host: "en.wikipedia.org", cookie, nowMs: AT_MS });

  it("names the precise reason", () => {
    const token = mint(5);
    expect(explainCookie(tamper(token)).tokens[0]).toMatchObject({ ok: false, reason: "bad-mac" });
    expect(explainCookie(token.slice(1)).tokens[0]).toMatchObject({ ok: false, reason: "length", detail: "value is 47 characters; a token is exactly 48" });
    expect(explainCookie(`"${token.slice(2)}"`).tokens[0]).toMatchObject({ ok: false, reason: "encoding" });
    expect(explainCookie("B" + token.slice(1)).tokens[0]).toMatchObject({ ok: false, reason: "version" });
    const tagged = mint(5, ring(`7:${OTHER_KEY}`));
    expect(explainCookie(tagged).tokens[0]).toMatchObject({ ok: false, reason: "unknown-tag", detail: "key tag 7 is not in the key ring (ring tags: 0)" });
    expect(explainCookie("other=1").tokens[0]).toMatchObject({ ok: false, reason: "absent" });
  });

  it("shows no groups and says the worker would mint; the event intake answers 204", () => {
    const x = explainCookie(tamper(mint(5)));
    expect(x.verified).toBe(false);
    expect(x.live.every((l) => l.bucket === undefined && l.group === undefined)).toBe(true);
    expect(x.page.value).toBeNull();
    expect(x.events).toMatchObject({ edge204: true, value: null });
    expect(formatExplanation(x)).toContain("does not verify: bad-mac");
  });

  it("takes a whole Cookie header: the first value that verifies wins", () => {
    const good = mint(6);
    expect(cookieValues(`a=1; WMF-Uniq=${tamper(good)}; wmf-uniq=${good}`)).toEqual([tamper(good), good]);
    const x = explainCookie(`a=1; WMF-Uniq=${tamper(good)}; wmf-uniq=${good}; WMF-Uniq=${mint(7)}`);
    expect(x.tokens.map((t) => (t.ok ? "ok" : t.reason))).toEqual(["bad-mac", "ok"]);
    expect(x.verified).toBe(true);
    expect(x.live[0]!.subjectId).toBe(explainCookie(good).live[0]!.subjectId);
  });

  it("a ring rotated to a new minting key still verifies old cookies", () => {
    const rotated = ring(`1:${OTHER_KEY},${DEV_KEYS}`);
    const x = explainCookie(mint(8), rotated);
    expect(x.tokens[0]).toMatchObject({ ok: true, keyTag: 0 });
  });
});

describe("explain main", () => {
  let files: ReturnType<typeof tempFiles>;
  beforeAll(() => {
    files = tempFiles({
      "config.json": CONFIG_TEXT,
      "bad.json": '{"x": 1}',
      "dev.vars": `# local\nORIGIN_URL=""\nUNIQ_KEYS="${DEV_KEYS}"\n`,
      "ring.txt": `${DEV_KEYS}\n`,
    });
  });
  afterAll(() => files.remove());

  it("reads the ring from UNIQ_KEYS or --keys-file and never prints it", async () => {
    expect(keyRingTextFromFile(`A=1\nUNIQ_KEYS='${DEV_KEYS}'\n`)).toBe(DEV_KEYS);
    expect(keyRingTextFromFile(` ${DEV_KEYS}\n`)).toBe(DEV_KEYS);
    const token = mint(9);
    for (const [env, extra] of [
      [{ UNIQ_KEYS: DEV_KEYS }, []],
      [{}, ["--keys-file", files.path("dev.vars")]],
      [{ UNIQ_KEYS: `9:${OTHER_KEY}` }, ["--keys-file", files.path("ring.txt")]],
    ] as const) {
      for (const json of [[], ["--json"]]) {
        const io = bufferIo({ ...env }, AT_MS);
        const code = await main(["--host", "en.wikipedia.org", "--cookie", token, "--config", files.path("config.json"), ...extra, ...json], io);
        expect(code).toBe(EXIT_OK);
        expect(io.stdout()).toContain("fifty-fifty-test");
        expect(io.stdout() + io.stderr()).not.toContain(DEVELOPMENT_KEY);
        expect(io.stdout() + io.stderr()).not.toContain(OTHER_KEY);
      }
    }
  });

  it("key ring errors exit 2 without key material", async () => {
    const badKey = "0:" + OTHER_KEY.slice(0, 40);
    for (const env of [{}, { UNIQ_KEYS: badKey }]) {
      const io = bufferIo(env, AT_MS);
      expect(await main(["--host", "en.wikipedia.org", "--cookie", mint(1), "--config", files.path("config.json")], io)).toBe(EXIT_USAGE);
      expect(io.stderr()).toMatch(/^explain: (no key ring|UNIQ_KEYS: key ring entry 1)/);
      expect(io.stderr()).not.toContain(OTHER_KEY.slice(0, 40));
    }
  });

  it("prints the cookie Domain, from COOKIE_DOMAIN when the environment has it", async () => {
    for (const [env, line] of [
      [{}, "cookie Domain: wikipedia.org (the host's registrable domain, Public Suffix List)"],
      [{ COOKIE_DOMAIN: "en.wikipedia.org" }, "cookie Domain: en.wikipedia.org (COOKIE_DOMAIN)"],
    ] as const) {
      const io = bufferIo({ UNIQ_KEYS: DEV_KEYS, ...env }, AT_MS);
      expect(await main(["--host", "en.wikipedia.org", "--cookie", mint(11), "--config", files.path("config.json")], io)).toBe(EXIT_OK);
      expect(io.stdout()).toContain(`\n${line}\n`);
    }
  });

  it("a tampered cookie exits 1 and reports bad-mac", async () => {
    const io = bufferIo({ UNIQ_KEYS: DEV_KEYS }, AT_MS);
    const code = await main(["--host", "en.wikipedia.org", "--cookie", tamper(mint(10)), "--config", files.path("config.json")], io);
    expect(code).toBe(EXIT_INVALID);
    expect(io.stdout()).toContain("cookie: does not verify: bad-mac");
    expect(io.stdout()).toContain("204 at the edge");
  });

  it("an invalid config exits 1 with its problems; usage errors exit 2", async () => {
    const bad = bufferIo({ UNIQ_KEYS: DEV_KEYS }, AT_MS);
    expect(await main(["--host", "en.wikipedia.org", "--cookie", mint(1), "--config", files.path("bad.json")], bad)).toBe(EXIT_INVALID);
    expect(bad.stderr()).toContain("$.x: experiment name must match");
    for (const argv of [
      ["--cookie", "x"],
      ["--host", "h", "--context", "colour=red"],
      ["--host", "h", "--cookie", "x", "--at", "noon"],
      ["--host", "h", "--path", "wiki"],
      ["stray"],
    ]) {
      const io = bufferIo({ UNIQ_KEYS: DEV_KEYS }, AT_MS);
      expect(await main(argv, io)).toBe(EXIT_USAGE);
      expect(io.stderr()).toMatch(/^explain: .+\nRun with --help for usage\.\n$/);
    }
    const help = bufferIo();
    expect(await main(["-h"], help)).toBe(EXIT_OK);
    expect(help.stdout()).toContain("Usage: npm run explain");
  });

  it("the real command over HTTP: prints the group enroll gives", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(CONFIG_TEXT);
    });
    try {
      const token = mint(11);
      const run = await runTool(
        "tools/explain.ts",
        ["--host", "EN.Wikipedia.org.", "--cookie", `session=abc; WMF-Uniq=${token}`, "--at", AT, "--config", server.url("/config"), "--json"],
        { UNIQ_KEYS: DEV_KEYS },
      );
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(DEVELOPMENT_KEY);
      const body = JSON.parse(run.stdout);
      const verified = verifyToken(token, DEV);
      if (!verified.ok) throw new Error("minted token does not verify");
      const e = enroll(verified.identity, "en.wikipedia.org", AT_MS, CONFIG, true);
      expect(body.host).toBe("en.wikipedia.org");
      expect(body.tokens).toEqual([{ ok: true, keyTag: 0, mintDate: "2025-06-10", ageDays: 5 }]);
      const printed = (body.live as { name: string; group: string | null }[]).filter((l) => l.group !== null).map((l) => `${l.name}=${l.group};`);
      expect(printed.join("")).toBe(encodeAllPairs(e));
      expect(body.events.value).toBe(encodeEventsHeader(e));
    } finally {
      await server.close();
    }
  });
});

describe("explain against the emulation, exactly as README.md shows it", () => {
  it("runs the README's command (with a cookie minted under the development key) and explains the visitor", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const line = readme.split("\n").find((l) => l.startsWith("npm run explain -- --config emulation/sample-config.json"));
    expect(line, "README.md shows the explain command for the emulation").toBeDefined();
    const cookie = mintToken(DEV, Date.now(), seededFill(7)).value;
    const args = line!.replace("<WMF-Uniq value>", cookie).split(" ").slice(4); // after "npm run explain --"
    expect(args).toEqual(["--config", "emulation/sample-config.json", "--keys-file", ".dev.vars.example", "--host", "en.wikipedia.localhost", "--cookie", cookie]);
    const run = await runTool("tools/explain.ts", args);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toContain("cookie: ok, key tag 0");
    expect(run.stdout).toContain("live experiments on en.wikipedia.localhost (config order):");
    expect(run.stdout).toMatch(/X-Experiment-Enrollments: sticky-header-2026=(control|treatment);/);
  });
});
