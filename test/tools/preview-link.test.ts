import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBase64url } from "../../src/base64url.js";
import { parseConfigText } from "../../src/config-parse.js";
import { DEVELOPMENT_KEY, DEVELOPMENT_PREVIEW_KEY, parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { previewParam } from "../../src/preview-link.js";
import { verifyPreviewToken } from "../../src/preview-token.js";
import { MAX_PREVIEW_PAIRS } from "../../src/contract.js";
import { bufferIo, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from "../../tools/cli-io.js";
import { assignedIn, keyRingTextFromFile } from "../../tools/key-ring-source.js";
import { main } from "../../tools/preview-link.js";
import { checkPairs, formatTtl, groupsOf, linkBase, linkPath, makePreviewLink, parsePairs, parseTtl } from "../../tools/preview-mint.js";
import { sampleConfig } from "../fixtures/config.js";
import { AT_MS, REPO_ROOT, runTool, serve, tempFiles } from "./cli-test-kit.js";

const PREVIEW_KEYS = `0:${DEVELOPMENT_PREVIEW_KEY}`;
const UNIQ_KEYS = `0:${DEVELOPMENT_KEY}`;
// "another-preview-key-for-cli-test": a production-like preview key (not a development one).
const OTHER_KEY = encodeBase64url(new TextEncoder().encode("another-preview-key-for-cli-test"));
const EN = "en.wikipedia.org";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function ring(text: string): KeyRing {
  const r = parseKeyRing(text);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
}
const PREVIEW = ring(PREVIEW_KEYS);

/**
 * The suites' sample config plus an experiment with an allocation that names a group of its
 * own, its groups written out of bucket order.
 */
function configDoc(): Record<string, unknown> {
  return {
    ...sampleConfig(),
    "mobile-allocation-test": {
      start: "2025-06-01T00:00:00Z",
      end: "2025-07-01T00:00:00Z",
      domains: {
        [EN]: {
          groups: { treatment: [5000, 9999], control: [0, 4999] },
          allocations: [{ rule: 'platform == "mobile"', groups: { control: [0, 49999], "mobile-only": [50000, 99999] } }],
        },
      },
    },
  };
}
const CONFIG_TEXT = JSON.stringify(configDoc());
const parsed = parseConfigText(CONFIG_TEXT);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const CONFIG = parsed.config;

describe("the TTL, as the contract writes it", () => {
  it("reads 90s, 30m, 2h and 7d; no TTL is one day", () => {
    expect(parseTtl("90s")).toEqual({ ok: true, ms: 90_000 });
    expect(parseTtl("30m")).toEqual({ ok: true, ms: 30 * 60_000 });
    expect(parseTtl("2h")).toEqual({ ok: true, ms: 2 * HOUR });
    expect(parseTtl("7d")).toEqual({ ok: true, ms: 7 * DAY });
    expect(parseTtl("168h")).toEqual({ ok: true, ms: 7 * DAY });
    expect(parseTtl("604800s")).toEqual({ ok: true, ms: 7 * DAY });
    expect(parseTtl(undefined)).toEqual({ ok: true, ms: DAY });
  });

  it("refuses more than 7 days, and anything not written as a number and one unit", () => {
    for (const text of ["8d", "169h", "604801s", "10081m", "9999999999d"]) {
      const r = parseTtl(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error).toContain("at most 7d");
    }
    for (const text of ["", "2", "h", "0s", "0d", "-1h", "1.5h", "2 h", "2H", "1w", "1d2h", " 2h", "02h", "2hours", "1e3s"]) {
      const r = parseTtl(text);
      expect(r.ok, JSON.stringify(text)).toBe(false);
      if (!r.ok) expect(r.error).toContain("e.g. 90s, 30m, 2h or 7d");
    }
  });

  it("shows a TTL in its largest whole unit", () => {
    expect([90_000, 30 * 60_000, 2 * HOUR, 36 * HOUR, 7 * DAY].map(formatTtl)).toEqual(["90s", "30m", "2h", "36h", "7d"]);
  });
});

describe("pairs, checked against the config", () => {
  it("parses EXPERIMENT=GROUP flags and refuses malformed, repeated or too many", () => {
    expect(parsePairs(["fifty-fifty-test=control", "ten-percent-sample=treatment"])).toEqual({
      ok: true,
      pairs: [
        { experiment: "fifty-fifty-test", group: "control" },
        { experiment: "ten-percent-sample", group: "treatment" },
      ],
    });
    for (const texts of [[], ["fifty-fifty-test"], ["fifty-fifty-test="], ["short=a"], ["fifty-fifty-test=a b"], ["=control"], ["fifty-fifty-test=a", "fifty-fifty-test=b"]]) {
      expect(parsePairs(texts).ok, JSON.stringify(texts)).toBe(false);
    }
    const many = Array.from({ length: MAX_PREVIEW_PAIRS + 1 }, (_, i) => `experiment-${i}=a`);
    expect(parsePairs(many.slice(0, MAX_PREVIEW_PAIRS)).ok).toBe(true);
    expect(parsePairs(many).ok).toBe(false);
  });

  it("accepts an experiment on the host with one of its groups, an allocation's included", () => {
    const exp = CONFIG.hosts.get(EN)!.experiments.find((e) => e.name === "mobile-allocation-test")!;
    // Its own groups in bucket order (not as written), then the allocation's new one.
    expect(groupsOf(exp)).toEqual(["control", "treatment", "mobile-only"]);
    const pairs = [
      { experiment: "fifty-fifty-test", group: "treatment" },
      { experiment: "mobile-allocation-test", group: "mobile-only" },
    ];
    expect(checkPairs(CONFIG, EN, pairs, AT_MS, AT_MS + DAY)).toEqual({ problems: [], warnings: [] });
  });

  it("refuses an experiment not on the host, one not in the config, and a group the experiment lacks there", () => {
    const { problems } = checkPairs(
      CONFIG,
      "de.wikipedia.org",
      [
        { experiment: "ten-percent-sample", group: "control" },
        { experiment: "no-such-experiment", group: "control" },
        { experiment: "fifty-fifty-test", group: "nope" },
        { experiment: "fifty-fifty-test", group: "control" },
      ],
      AT_MS,
      AT_MS + DAY,
    );
    expect(problems).toEqual([
      { pair: "ten-percent-sample=control", message: "ten-percent-sample is not an experiment on de.wikipedia.org; it is on en.wikipedia.org" },
      { pair: "no-such-experiment=control", message: "no-such-experiment is not an experiment on de.wikipedia.org; no such experiment in the config" },
      { pair: "fifty-fifty-test=nope", message: 'fifty-fifty-test has no group "nope" on de.wikipedia.org; its groups: control, treatment' },
    ]);
  });

  it("warns about a pair the worker will not force while the link lives (ended, or starting after it expires)", () => {
    const check = (experiment: string, group: string, ttl = DAY) => checkPairs(CONFIG, EN, [{ experiment, group }], AT_MS, AT_MS + ttl);
    expect(check("already-ended-test", "control").warnings[0]?.message).toBe("already-ended-test ended 2025-06-01T00:00:00Z: the link will not force it");
    expect(check("not-started-yet", "control").warnings[0]?.message).toMatch(/starts 2025-07-01T00:00:00Z, after the link expires/);
    expect(check("not-started-yet", "control", 7 * DAY).warnings[0]?.message).toMatch(/starts 2025-07-01T00:00:00Z, after/);
    const soon = checkPairs(CONFIG, EN, [{ experiment: "not-started-yet", group: "control" }], Date.parse("2025-06-30T12:00:00Z"), Date.parse("2025-07-01T12:00:00Z"));
    expect(soon.warnings[0]?.message).toMatch(/not live yet \(starts 2025-07-01T00:00:00Z\): the link forces it from then on/);
    expect(check("already-ended-test", "control").problems).toEqual([]);
  });
});

describe("the link", () => {
  const make = (over: { path?: string; base?: string; nowMs?: number; ttlMs?: number } = {}) => {
    const base = linkBase(EN, over.base);
    const path = linkPath(over.path);
    if (!base.ok || !path.ok) throw new Error("bad test input");
    return makePreviewLink({
      ring: PREVIEW,
      host: EN,
      pairs: [
        { experiment: "fifty-fifty-test", group: "treatment" },
        { experiment: "ten-percent-sample", group: "control" },
      ],
      nowMs: over.nowMs ?? AT_MS,
      ttlMs: over.ttlMs ?? 2 * HOUR,
      base: base.base,
      path: path.path,
    });
  };

  it("carries a token the worker verifies on that host until it expires, and on no other host", () => {
    const l = make({ nowMs: AT_MS + 999 });
    expect(l.link).toBe(`https://${EN}/?wmf-preview=${l.token}`);
    expect(previewParam(new URL(l.link).search)).toBe(l.token);
    expect(l.expiresAtMs).toBe(AT_MS + 2 * HOUR);
    const r = verifyPreviewToken(l.token, PREVIEW, EN, AT_MS);
    expect(r).toEqual({ ok: true, preview: { host: EN, pairs: new Map([["fifty-fifty-test", "treatment"], ["ten-percent-sample", "control"]]), expiresAtMs: AT_MS + 2 * HOUR } });
    expect(verifyPreviewToken(l.token, PREVIEW, EN, AT_MS + 2 * HOUR)).toEqual({ ok: false, reason: "expired" });
    expect(verifyPreviewToken(l.token, PREVIEW, "de.wikipedia.org", AT_MS)).toEqual({ ok: false, reason: "other-host" });
    expect(verifyPreviewToken(l.token, ring(`0:${OTHER_KEY}`), EN, AT_MS)).toEqual({ ok: false, reason: "bad-mac" });
    expect(l).toMatchObject({ keyTag: 0, developmentKey: true, host: EN, ttlMs: 2 * HOUR });
    expect(verifyPreviewToken(make({ ttlMs: 7 * DAY }).token, PREVIEW, EN, AT_MS).ok).toBe(true);
  });

  it("lands on --path with its query kept, on --base's scheme and port", () => {
    const l = make({ path: "/wiki/Special:Search?search=a%20b&go=Go", base: "http://en.wikipedia.org:8787" });
    expect(l.link).toBe(`http://en.wikipedia.org:8787/wiki/Special:Search?search=a%20b&go=Go&wmf-preview=${l.token}`);
    expect(make({ path: "/wiki/X?" }).link).toMatch(/\/wiki\/X\?wmf-preview=/);
    expect(make({ path: "/wiki/Ä" }).link).toMatch(/^https:\/\/en\.wikipedia\.org\/wiki\/%C3%84\?wmf-preview=/);
  });

  it("a path like //evil.example stays a path on the host", () => {
    for (const path of ["//evil.example", "//evil.example/x?y=1", "/\\evil.example"]) {
      const l = make({ path });
      expect(new URL(l.link).host, path).toBe(EN);
      expect(new URL(l.link).pathname).toMatch(/^\/\/evil\.example/);
    }
  });

  it("refuses a base on another host or with a path, and a path without / or with its own wmf-preview", () => {
    expect(linkBase(EN, "https://de.wikipedia.org")).toMatchObject({ ok: false, error: expect.stringContaining("its host is not en.wikipedia.org") });
    expect(linkBase(EN, "https://EN.wikipedia.org.:443/")).toEqual({ ok: true, base: "https://en.wikipedia.org" });
    for (const base of ["ftp://en.wikipedia.org", "https://en.wikipedia.org/wiki", "https://u:p@en.wikipedia.org", "https://en.wikipedia.org?a", "en.wikipedia.org"]) {
      expect(linkBase(EN, base).ok, base).toBe(false);
    }
    expect(linkPath(undefined)).toEqual({ ok: true, path: "/" });
    for (const path of ["wiki/X", "", "/wiki/X#top", "/wiki/A B", "/wiki/X?wmf-preview=old", "/?a=1&wmf-preview"]) {
      expect(linkPath(path).ok, path).toBe(false);
    }
  });
});

describe("npm run preview-link", () => {
  let files: ReturnType<typeof tempFiles>;
  beforeAll(() => {
    files = tempFiles({
      "config.json": CONFIG_TEXT,
      "bad.json": '{"x": 1}',
      "dev.vars": `# local\nUNIQ_KEYS="${UNIQ_KEYS}"\nPREVIEW_KEYS="${PREVIEW_KEYS}"\n`,
      "uniq-only.vars": `UNIQ_KEYS="${UNIQ_KEYS}"\n`,
      "shared.vars": `UNIQ_KEYS="${UNIQ_KEYS}"\nPREVIEW_KEYS="1:${OTHER_KEY},0:${DEVELOPMENT_KEY}"\n`,
      "ring.txt": `7:${OTHER_KEY}\n`,
    });
  });
  afterAll(() => files.remove());

  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const io = bufferIo(env, AT_MS);
    const code = await main(argv, io);
    return { code, out: io.stdout(), err: io.stderr() };
  };
  const basic = () => ["--host", EN, "--pair", "fifty-fifty-test=control", "--config", files.path("config.json")];

  it("prints the link first, then what it says; a development key is flagged on stderr", async () => {
    const r = await run([...basic(), "--pair", "mobile-allocation-test=mobile-only", "--ttl", "2h", "--path", "/wiki/Main_Page"], { PREVIEW_KEYS });
    expect(r.code).toBe(EXIT_OK);
    const [link, ...rest] = r.out.split("\n");
    expect(link).toMatch(/^https:\/\/en\.wikipedia\.org\/wiki\/Main_Page\?wmf-preview=[A-Za-z0-9_-]+$/);
    const token = new URL(link!).searchParams.get("wmf-preview")!;
    expect(verifyPreviewToken(token, PREVIEW, EN, AT_MS)).toMatchObject({ ok: true, preview: { expiresAtMs: AT_MS + 2 * HOUR } });
    expect(rest.join("\n")).toBe(`  on ${EN}: fifty-fifty-test=control, mobile-allocation-test=mobile-only\n  expires 2025-06-15T14:00:00Z (2h), preview key tag 0\n`);
    expect(r.err).toMatch(/^preview-link: note: signed with the development preview key/);
    expect(r.out + r.err).not.toContain(DEVELOPMENT_PREVIEW_KEY);
  });

  it("--json gives the token, link, host, pairs and expiry, and never a key", async () => {
    const r = await run([...basic(), "--json", "--ttl", "90s", "--base", "http://en.wikipedia.org:8787", "--keys-file", files.path("ring.txt")]);
    expect(r.code).toBe(EXIT_OK);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j).toEqual({
      ok: true,
      link: `http://en.wikipedia.org:8787/?wmf-preview=${j["token"]}`,
      token: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      host: EN,
      pairs: [{ experiment: "fifty-fifty-test", group: "control" }],
      expiresAt: "2025-06-15T12:01:30Z",
      ttl: "90s",
      keyTag: 7,
      developmentKey: false,
      warnings: [],
    });
    expect(verifyPreviewToken(j["token"] as string, ring(`7:${OTHER_KEY}`), EN, AT_MS).ok).toBe(true);
    expect(r.err, "no development note for a production-like key").toBe("");
    expect(r.out).not.toContain(OTHER_KEY);
  });

  it("reads PREVIEW_KEYS from a .dev.vars-style file, never its UNIQ_KEYS", async () => {
    expect(keyRingTextFromFile(`UNIQ_KEYS="${UNIQ_KEYS}"\nPREVIEW_KEYS='${PREVIEW_KEYS}'\n`, "PREVIEW_KEYS")).toBe(PREVIEW_KEYS);
    expect(keyRingTextFromFile(`UNIQ_KEYS="${UNIQ_KEYS}"\n`, "PREVIEW_KEYS")).toBeNull();
    expect(keyRingTextFromFile(`${PREVIEW_KEYS}\n`, "PREVIEW_KEYS")).toBe(PREVIEW_KEYS);
    expect(assignedIn(`${PREVIEW_KEYS}\n`, "UNIQ_KEYS")).toBeNull();
    const r = await run([...basic(), "--keys-file", files.path("dev.vars"), "--json"]);
    expect(r.code).toBe(EXIT_OK);
    expect(verifyPreviewToken((JSON.parse(r.out) as { token: string }).token, PREVIEW, EN, AT_MS).ok).toBe(true);
    const none = await run([...basic(), "--keys-file", files.path("uniq-only.vars")], { PREVIEW_KEYS });
    expect(none.code).toBe(EXIT_USAGE);
    expect(none.err).toBe(`preview-link: --keys-file ${files.path("uniq-only.vars")}: has no PREVIEW_KEYS= line\n`);
  });

  it("key ring errors exit 2 without key material, and a ring sharing a key with UNIQ_KEYS is refused", async () => {
    const missing = await run(basic(), { UNIQ_KEYS });
    expect(missing).toMatchObject({ code: EXIT_USAGE, err: "preview-link: no key ring: set PREVIEW_KEYS in the environment or pass --keys-file FILE\n" });
    const cut = await run(basic(), { PREVIEW_KEYS: `0:${OTHER_KEY.slice(0, 40)}` });
    expect(cut.code).toBe(EXIT_USAGE);
    expect(cut.err).toMatch(/^preview-link: PREVIEW_KEYS: key ring entry 1 \(tag 0\): key must be 32 bytes/);
    expect(cut.err).not.toContain(OTHER_KEY.slice(0, 40));
    for (const [argv, env] of [
      [["--keys-file", files.path("shared.vars")], {}],
      [[], { PREVIEW_KEYS: `3:${DEVELOPMENT_KEY}`, UNIQ_KEYS }],
      [["--keys-file", files.path("ring.txt")], { UNIQ_KEYS: `5:${OTHER_KEY}` }],
    ] as const) {
      const r = await run([...basic(), ...argv], env);
      expect(r.code, JSON.stringify(argv)).toBe(EXIT_USAGE);
      expect(r.err).toContain("PREVIEW_KEYS shares a key with UNIQ_KEYS");
      expect(r.out + r.err).not.toContain(OTHER_KEY);
      expect(r.out + r.err).not.toContain(DEVELOPMENT_KEY);
    }
    // A bare ring file is the preview ring, not UNIQ_KEYS: no false alarm.
    expect((await run([...basic(), "--keys-file", files.path("ring.txt")], { UNIQ_KEYS })).code).toBe(EXIT_OK);
  });

  it("a pair the config refuses, a host not in it, or an invalid config exit 1", async () => {
    const group = await run(["--host", EN, "--pair", "fifty-fifty-test=nope", "--config", files.path("config.json")], { PREVIEW_KEYS });
    expect(group.code).toBe(EXIT_INVALID);
    expect(group.out).toBe("");
    expect(group.err).toContain('preview-link: --pair fifty-fifty-test=nope: fifty-fifty-test has no group "nope" on en.wikipedia.org; its groups: control, treatment\n');
    const json = await run(["--host", "de.wikipedia.org", "--pair", "ten-percent-sample=control", "--config", files.path("config.json"), "--json"], { PREVIEW_KEYS });
    expect(json.code).toBe(EXIT_INVALID);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, problems: [{ pair: "ten-percent-sample=control", message: expect.stringContaining("not an experiment on de.wikipedia.org") }] });
    const host = await run(["--host", "fr.wikipedia.org", "--pair", "fifty-fifty-test=control", "--config", files.path("config.json")], { PREVIEW_KEYS });
    expect(host.code).toBe(EXIT_INVALID);
    expect(host.err).toContain("fr.wikipedia.org is not a host of the config");
    expect(host.err).toContain("its hosts: en.wikipedia.org, de.wikipedia.org");
    const bad = await run(["--host", EN, "--pair", "fifty-fifty-test=control", "--config", files.path("bad.json")], { PREVIEW_KEYS });
    expect(bad.code).toBe(EXIT_INVALID);
    expect(bad.err).toContain("$.x: experiment name must match");
  });

  it("an experiment that will not be live is a warning, not a refusal", async () => {
    const r = await run(["--host", EN, "--pair", "already-ended-test=control", "--config", files.path("config.json"), "--json"], { PREVIEW_KEYS });
    expect(r.code).toBe(EXIT_OK);
    expect(r.err).toContain("preview-link: warning: --pair already-ended-test=control: already-ended-test ended 2025-06-01T00:00:00Z");
    expect((JSON.parse(r.out) as { warnings: string[] }).warnings).toEqual(["already-ended-test=control: already-ended-test ended 2025-06-01T00:00:00Z: the link will not force it"]);
  });

  it("usage errors exit 2 with one line and a hint; --help exits 0", async () => {
    for (const [argv, message] of [
      [["--pair", "fifty-fifty-test=control"], "--host is required"],
      [["--host", EN], "--pair EXPERIMENT=GROUP is required"],
      [[...basic(), "--ttl", "8d"], "--ttl 8d: at most 7d"],
      [[...basic(), "--ttl", "2 hours"], "expected a whole number and a unit"],
      [[...basic(), "--path", "wiki/X"], "must start with /"],
      [[...basic(), "--base", "https://de.wikipedia.org"], "its host is not en.wikipedia.org"],
      [[...basic(), "--frobnicate"], "Unknown option '--frobnicate'"],
      [[...basic(), "stray"], 'unexpected argument "stray"'],
    ] as const) {
      const r = await run([...argv], { PREVIEW_KEYS });
      expect(r.code, JSON.stringify(argv)).toBe(EXIT_USAGE);
      expect(r.err, JSON.stringify(argv)).toContain(message);
      expect(r.err).toMatch(/\nRun with --help for usage\.\n$/);
      expect(r.out).toBe("");
    }
    const help = await run(["--help"]);
    expect(help.code).toBe(EXIT_OK);
    expect(help.out).toMatch(/^Usage: npm run preview-link -- --host HOST --pair EXPERIMENT=GROUP/);
  });

  it("reads the config from a URL under the poller's rules", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(CONFIG_TEXT);
    });
    try {
      const r = await run(["--host", EN, "--pair", "fifty-fifty-test=treatment", "--json"], { PREVIEW_KEYS, CONFIG_URL: server.url("/config") });
      expect(r.code).toBe(EXIT_OK);
      expect((JSON.parse(r.out) as { pairs: unknown }).pairs).toEqual([{ experiment: "fifty-fifty-test", group: "treatment" }]);
    } finally {
      await server.close();
    }
  });

  it("runs as the real command (npm run preview-link) with the real clock and exit codes", { timeout: 60_000 }, async () => {
    const spawned = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        "npm",
        ["run", "--silent", "preview-link", "--", "--host", "en.wikipedia.localhost", "--pair", "sticky-header-2026=treatment", "--ttl", "30m", "--keys-file", ".dev.vars.example", "--config", "emulation/sample-config.json", "--base", "http://en.wikipedia.localhost:8787", "--path", "/wiki/Main_Page", "--json"],
        { cwd: REPO_ROOT, env: { ...process.env, PREVIEW_KEYS: "", UNIQ_KEYS: "", CONFIG_URL: "" }, timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") reject(error);
          else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
        },
      );
    });
    expect(spawned.code, spawned.stderr).toBe(EXIT_OK);
    const j = JSON.parse(spawned.stdout) as { link: string; token: string; expiresAt: string };
    expect(j.link).toBe(`http://en.wikipedia.localhost:8787/wiki/Main_Page?wmf-preview=${j.token}`);
    const expires = Date.parse(j.expiresAt);
    expect(Math.abs(expires - (Date.now() + 30 * 60_000))).toBeLessThan(60_000);
    expect(verifyPreviewToken(j.token, PREVIEW, "en.wikipedia.localhost", Date.now())).toMatchObject({ ok: true, preview: { pairs: new Map([["sticky-header-2026", "treatment"]]) } });
    expect(spawned.stderr).toContain("development preview key");
    expect(spawned.stdout + spawned.stderr).not.toContain(DEVELOPMENT_PREVIEW_KEY);

    const refused = await runTool("tools/preview-link.ts", ["--host", "en.wikipedia.localhost", "--pair", "sticky-header-2026=treatment", "--ttl", "8d"], { PREVIEW_KEYS });
    expect(refused.code).toBe(EXIT_USAGE);
    expect(refused.stderr).toContain("--ttl 8d: at most 7d");
  });
});
