import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config-parse.js";
import { enroll, type EnrollmentStep } from "../../src/enroll.js";
import { DEVELOPMENT_KEY, parseKeyRing } from "../../src/keyring.js";
import { mintToken, verifyToken } from "../../src/token.js";
import { bufferIo, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from "../../tools/cli-io.js";
import { checkConfigText, main } from "../../tools/config-check.js";
import { formatIssues } from "../../tools/config-summary.js";
import { checkContext, formatContextCheck } from "../../tools/context-check.js";
import { contextFor, parseContextFlag } from "../../tools/request-flags.js";
import { AT, AT_MS, runTool, seededFill, targetingConfig, tempFiles } from "./cli-test-kit.js";

const TEXT = JSON.stringify(targetingConfig(), null, 2);
const parsed = parseConfigText(TEXT);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const CONFIG = parsed.config;
const ring = parseKeyRing(`0:${DEVELOPMENT_KEY}`);
if (!ring.ok) throw new Error(ring.error);

const BAD_RULES = JSON.stringify(
  {
    "german-readers-test": {
      start: "2025-06-01T00:00:00Z",
      end: "2025-07-01T00:00:00Z",
      eligibility: 'contry == "DE" && !loggedIn',
      domains: {
        "de.wikipedia.org": {
          groups: { control: [0, 4999] },
          allocations: [
            { rule: 'platform == "mobile"', groups: { control: [0, 49999] } },
            { rule: 'country in ["DE", "AT"] && loggedIn == "yes"', groups: { control: [0, 49999] } },
          ],
        },
      },
    },
  },
  null,
  2,
);

describe("config:check summary: targeting rules per host", () => {
  it("lists the eligibility rule, constants and each allocation with its groups and sample", () => {
    const result = checkConfigText(TEXT, AT_MS);
    if (!result.ok) throw new Error("invalid");
    const german = result.summary.hosts[0]!.experiments[0]!;
    expect(german).toMatchObject({
      name: "german-readers-test",
      eligibility: '${country in launch_countries && language == "de" && !loggedIn}',
      constants: { launch_countries: ["DE", "AT"] },
      samplePercent: "10%",
    });
    expect(german.allocations).toEqual([
      {
        rule: 'platform == "mobile"',
        sampleBuckets: 100_000,
        samplePercent: "100%",
        groups: [
          { name: "control", first: 0, last: 49999, buckets: 50000, percent: "50%" },
          { name: "treatment", first: 50000, last: 99999, buckets: 50000, percent: "50%" },
        ],
      },
    ]);
    const ramp = result.summary.hosts[0]!.experiments[1]!;
    expect(ramp.eligibility).toBeNull();
    expect(ramp.allocations.map((a) => [a.rule, a.samplePercent])).toEqual([
      ['path == "/wiki/Spezial:Suche"', "100%"],
      ['platform == "mobile"', "100%"],
    ]);
    expect(result.summary.hosts[0]!.experiments[2]!.allocations).toEqual([]);
  });

  it("prints them under each experiment", async () => {
    const files = tempFiles({ "t.json": TEXT });
    try {
      const io = bufferIo({}, AT_MS);
      expect(await main([files.path("t.json")], io)).toBe(EXIT_OK);
      expect(io.stdout()).toContain(
        [
          "    constant launch_countries = [\"DE\",\"AT\"]",
          '    eligibility ${country in launch_countries && language == "de" && !loggedIn}',
          "    groups (when no allocation rule is true):",
          "      control    [0, 4999]     5000 buckets  5%",
          "      treatment  [5000, 9999]  5000 buckets  5%",
          '    allocations[0] platform == "mobile"  sample 100%',
          "      control    [0, 49999]      50000 buckets  50%",
          "      treatment  [50000, 99999]  50000 buckets  50%",
        ].join("\n"),
      );
      // An experiment without rules prints as before.
      expect(io.stdout()).toContain("    cache_split false  selector own  unique_domain false  sample 100%\n    a  [0, 49999]      50000 buckets  50%\n");
    } finally {
      files.remove();
    }
  });
});

describe("config:check: a bad rule names its path and column", () => {
  it("every rule problem, each under its own JSON path with the column", () => {
    const result = checkConfigText(BAD_RULES, AT_MS);
    if (result.ok) throw new Error("valid");
    expect(result.issues).toEqual([
      { path: '$["german-readers-test"].eligibility', message: expect.stringMatching(/^column 1: unknown name "contry"/) },
      { path: '$["german-readers-test"].domains["de.wikipedia.org"].allocations[1].rule', message: 'column 37: "==" compares a boolean with a string' },
    ]);
  });

  it("shows the rule with a caret under that column", () => {
    const result = checkConfigText(BAD_RULES, AT_MS);
    if (result.ok) throw new Error("valid");
    const lines = formatIssues(result.issues, "bad.json", BAD_RULES).split("\n");
    const at = lines.indexOf('  $["german-readers-test"].domains["de.wikipedia.org"].allocations[1].rule: column 37: "==" compares a boolean with a string');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('      country in ["DE", "AT"] && loggedIn == "yes"');
    expect(lines[at + 2]!.indexOf("^") - 6).toBe(36);
    expect(lines[at + 1]!.slice(lines[at + 2]!.indexOf("^"), lines[at + 2]!.indexOf("^") + 2)).toBe("==");
    // Without the text (or for a problem that is not in a rule): the plain line only.
    expect(formatIssues(result.issues, "bad.json")).not.toContain("^");
  });

  it("a long rule is shown as a window around the column", () => {
    const long = Array.from({ length: 40 }, (_, i) => `country == "C${i % 10}"`).join(" || ") + " || nope";
    const doc = JSON.parse(BAD_RULES);
    doc["german-readers-test"].eligibility = long;
    const text = JSON.stringify(doc);
    const result = checkConfigText(text, AT_MS);
    if (result.ok) throw new Error("valid");
    const lines = formatIssues(result.issues, "bad.json", text).split("\n");
    const at = lines.findIndex((l) => l.includes(".eligibility: column"));
    const column = Number(/column (\d+)/.exec(lines[at]!)![1]);
    expect(column).toBe(long.length - 3);
    expect(lines[at + 1]!.length).toBeLessThan(100);
    expect(lines[at + 1]!.slice(lines[at + 2]!.indexOf("^"))).toBe("nope");
  });
});

describe("config:check --context", () => {
  const flag = parseContextFlag("country=DE,platform=mobile,language=de,loggedIn=false");

  it("evaluates the compiled rules: eligibility and the first true allocation, per host", () => {
    const check = checkContext(CONFIG, flag, AT_MS);
    expect(check.hosts.map((h) => h.host)).toEqual(["de.wikipedia.org", "de.m.wikipedia.org"]);
    const [german, ramp, plain] = check.hosts[0]!.experiments;
    expect(german).toMatchObject({ eligible: true, allocation: 0, rule: 'platform == "mobile"', samplePercent: "100%", groups: [{ name: "control", percent: "50%" }, { name: "treatment", percent: "50%" }] });
    expect(ramp).toMatchObject({ eligible: true, allocation: 1, rule: 'platform == "mobile"', groups: [{ name: "off", percent: "50%" }, { name: "on", percent: "50%" }] });
    expect(plain).toMatchObject({ eligible: true, eligibility: null, allocation: -1, rule: null, samplePercent: "100%" });

    const fr = checkContext(CONFIG, parseContextFlag("country=FR"), AT_MS).hosts[0]!.experiments;
    expect(fr[0]).toMatchObject({ eligible: false, allocation: -1, groups: [], samplePercent: "0%" });
    expect(fr[1]).toMatchObject({ eligible: true, allocation: -1, samplePercent: "20%" });
    const search = checkContext(CONFIG, parseContextFlag("path=/wiki/Spezial:Suche,platform=mobile"), AT_MS).hosts[0]!.experiments;
    expect(search[1]).toMatchObject({ allocation: 0, groups: [{ name: "on", percent: "100%" }] });
  });

  it("agrees with the worker's enrollment loop on every context", () => {
    const token = mintToken(ring.ring, AT_MS, seededFill(3)).value;
    const verified = verifyToken(token, ring.ring);
    if (!verified.ok) throw new Error("does not verify");
    for (const country of ["DE", "AT", "FR", "XX"]) {
      for (const platform of ["mobile", "desktop"] as const) {
        for (const language of ["de", "en", ""]) {
          for (const loggedIn of [true, false]) {
            for (const path of ["/", "/wiki/Spezial:Suche"]) {
              const given = { country, platform, language, loggedIn, path };
              for (const host of checkContext(CONFIG, given, AT_MS).hosts) {
                const trace: EnrollmentStep[] = [];
                enroll(verified.identity, host.host, AT_MS, CONFIG, false, () => contextFor(host.host, given), trace);
                expect(host.experiments.map((e) => [e.name, e.eligible, e.allocation])).toEqual(trace.map((s) => [s.experiment.name, s.eligible, s.allocation]));
              }
            }
          }
        }
      }
    }
  });

  it("a mobile host is mobile whatever platform= says; host= shows one host", () => {
    const desktop = checkContext(CONFIG, parseContextFlag("platform=desktop,country=DE,language=de"), AT_MS);
    expect(desktop.hosts[1]!.context.platform).toBe("mobile");
    expect(desktop.hosts[1]!.experiments[0]).toMatchObject({ allocation: 0 });
    expect(formatContextCheck(desktop)).toContain("de.m.wikipedia.org: path /  country DE  platform mobile (a mobile host)");
    const one = checkContext(CONFIG, parseContextFlag("host=de.m.wikipedia.org"), AT_MS);
    expect(one.hosts.map((h) => h.host)).toEqual(["de.m.wikipedia.org"]);
    const none = checkContext(CONFIG, parseContextFlag("host=fr.wikipedia.org"), AT_MS);
    expect(none.hosts).toEqual([]);
    expect(formatContextCheck(none)).toContain("fr.wikipedia.org is not in the config");
  });

  it("prints each experiment's verdict and the groups that apply; experiments not live say so", () => {
    const text = formatContextCheck(checkContext(CONFIG, flag, Date.parse("2025-07-01T00:00:00Z")));
    expect(text).toContain("german-readers-test  not live (ended)");
    const live = formatContextCheck(checkContext(CONFIG, parseContextFlag("country=FR,platform=mobile"), AT_MS));
    expect(live).toContain("for a request with country=FR platform=mobile at 2025-06-15T12:00:00Z:");
    expect(live).toContain('  german-readers-test  not eligible        ${country in launch_countries && language == "de" && !loggedIn}');
    expect(live).toContain('  mobile-ramp-test     eligible (no rule)  allocations[1] platform == "mobile"  sample 100%: off 50%, on 50%');
    expect(live).toContain("  plain-test-everyone  eligible (no rule)  the domain's groups  sample 100%: a 50%, b 50%");
  });

  let files: ReturnType<typeof tempFiles>;
  beforeAll(() => {
    files = tempFiles({ "t.json": TEXT, "bad.json": BAD_RULES });
  });
  afterAll(() => files.remove());

  it("main: --context after the summary, in --json too; a bad --context exits 2", async () => {
    const io = bufferIo({}, AT_MS);
    expect(await main([files.path("t.json"), "--context", "country=DE,platform=mobile,language=de,loggedIn=false"], io)).toBe(EXIT_OK);
    expect(io.stdout()).toMatch(/buckets  50%\n\nfor a request with country=DE platform=mobile language=de loggedIn=false at /);
    const json = bufferIo({}, AT_MS);
    expect(await main([files.path("t.json"), "--json", "--context", "country=FR"], json)).toBe(EXIT_OK);
    const body = JSON.parse(json.stdout());
    expect(body.context.given).toEqual({ country: "FR" });
    expect(body.context.hosts[0].experiments[0]).toMatchObject({ name: "german-readers-test", eligible: false });
    const plain = bufferIo({}, AT_MS);
    await main([files.path("t.json"), "--json"], plain);
    expect(JSON.parse(plain.stdout()).context).toBeUndefined();
    for (const bad of ["colour=red", "platform=tablet", "country"]) {
      const e = bufferIo({}, AT_MS);
      expect(await main([files.path("t.json"), "--context", bad], e)).toBe(EXIT_USAGE);
      expect(e.stderr()).toMatch(/^config:check: --context.+\nRun with --help for usage\.\n$/);
    }
  });

  it("the real command: rule errors with caret, and --context --json", async () => {
    const bad = await runTool("tools/config-check.ts", [files.path("bad.json")]);
    expect(bad.code).toBe(EXIT_INVALID);
    expect(bad.stdout).toContain('  $["german-readers-test"].eligibility: column 1: unknown name "contry"');
    expect(bad.stdout).toContain('      contry == "DE" && !loggedIn\n      ^\n');
    const run = await runTool("tools/config-check.ts", [files.path("t.json"), "--at", AT, "--json", "--context", "country=DE,platform=mobile,language=de,loggedIn=false"]);
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body.hosts[0].experiments[0].allocations[0].rule).toBe('platform == "mobile"');
    expect(body.context.hosts[0].experiments.map((e: { allocation: number }) => e.allocation)).toEqual([0, 1, -1]);
  });
});
