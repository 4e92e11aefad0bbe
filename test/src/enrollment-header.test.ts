import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config-parse.js";
import { enroll } from "../../src/enroll.js";
import { decodeEnrollmentHeader, encodeAllPairs, encodeEventsHeader, encodePageHeader, withheldFromPage } from "../../src/enrollment-header.js";
import { parseKeyRing } from "../../src/keyring.js";
import { mintToken } from "../../src/token.js";
import { NOW, sampleConfig } from "../fixtures/config.js";
import { unhex } from "../helpers/bytes.js";
import golden from "./vectors/codecs-v1.json" with { type: "json" };
import { lazy } from "../helpers/lazy.js";

const config = lazy(() => {
  const r = parseConfig(sampleConfig());
  if (!r.ok) throw new Error("fixture");
  return r.config;
});

function enrollmentsFor(keys: string, idHex: string, host: string, withSubjects: boolean) {
  const ring = parseKeyRing(keys);
  if (!ring.ok) throw new Error(ring.error);
  const { identity } = mintToken(ring.ring, NOW, (b) => b.set(unhex(idHex)));
  return enroll(identity, host, NOW, config(), withSubjects);
}

describe("X-Experiment-Enrollments codecs", () => {
  it("match the frozen golden vectors (fixture config at NOW)", () => {
    for (const v of golden.vectors) {
      const page = enrollmentsFor(golden.keys, v.idHex, v.host, false);
      const events = enrollmentsFor(golden.keys, v.idHex, v.host, true);
      expect(encodePageHeader(page)).toBe(v.page);
      expect(encodeAllPairs(page)).toBe(v.serverTimingPairs);
      expect(encodeEventsHeader(events)).toBe(v.events);
    }
  });

  it("page header: cache-split experiments only, each pair ending in ';', no spaces", () => {
    const v = golden.vectors[0]!;
    expect(v.page).toMatch(/^([A-Za-z0-9][-_.A-Za-z0-9]*=[A-Za-z0-9][-_.A-Za-z0-9]*;)+$/);
    expect(v.page).not.toContain("client-side-only");
    expect(v.serverTimingPairs).toContain("client-side-only=");
    expect(v.page).not.toContain(" ");
  });

  it("every emitted header parses under the wiki's all-or-nothing rules", () => {
    for (const v of golden.vectors) {
      // Decoding and re-encoding gives back exactly what was emitted.
      const page = decodeEnrollmentHeader(v.page)!;
      expect(page.map((p) => `${p.experiment}=${p.group};`).join("")).toBe(v.page);
      const events = decodeEnrollmentHeader(v.events)!;
      expect(events.map((p) => `${p.experiment}=${p.group}/${p.subject};`).join("")).toBe(v.events);
      for (const pair of events) expect(pair.subject).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
  });

  it("events header carries the subject IDs of all enrolled experiments; pages carry none", () => {
    const v = golden.vectors[0]!;
    const pairs = decodeEnrollmentHeader(v.events)!;
    expect(pairs.map((p) => p.experiment)).toEqual(decodeEnrollmentHeader(v.serverTimingPairs)!.map((p) => p.experiment));
    const shared = pairs.filter((p) => p.experiment.startsWith("shared-"));
    expect(shared).toHaveLength(2);
    expect(shared[0]!.subject).toBe(shared[1]!.subject);
    expect(v.page).not.toMatch(/\//);
  });

  it("an unknown host gives empty values (the worker omits the header)", () => {
    const none = enrollmentsFor(golden.keys, golden.vectors[0]!.idHex, "fr.wikipedia.org", true);
    expect(encodePageHeader(none)).toBe("");
    expect(encodeEventsHeader(none)).toBe("");
  });

  describe('a group named "0", which MediaWiki cannot receive (contract §4)', () => {
    const window = { start: "2025-06-01T00:00:00Z", end: "2025-07-01T00:00:00Z" };
    const doc = {
      "zero-first-test": { ...window, domains: { "en.wikipedia.org": { groups: { "0": [0, 99999] } } } },
      "ordinary-split-test": { ...window, domains: { "en.wikipedia.org": { groups: { a: [0, 99999] } } } },
      "zero-client-only": { ...window, cache_split: false, domains: { "en.wikipedia.org": { groups: { "0": [0, 99999] } } } },
    };
    const zeroConfig = (() => {
      const r = parseConfig(doc);
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      return r.config;
    })();
    const ring = parseKeyRing(golden.keys);
    if (!ring.ok) throw new Error(ring.error);
    const { identity } = mintToken(ring.ring, NOW, (b) => b.fill(7));

    it("is left out of the page header, so the header MediaWiki gets still parses", () => {
      const e = enroll(identity, "en.wikipedia.org", NOW, zeroConfig);
      expect(encodePageHeader(e)).toBe("ordinary-split-test=a;");
      expect(decodeEnrollmentHeader(encodePageHeader(e))).toEqual([{ experiment: "ordinary-split-test", group: "a" }]);
      // Emitted as is, the pair would have voided every enrollment at the origin.
      expect(decodeEnrollmentHeader("zero-first-test=0;ordinary-split-test=a;")).toBeNull();
    });

    it("is counted once per cache-split pair left out; a cache_split false experiment is never in the page header anyway", () => {
      expect(withheldFromPage(enroll(identity, "en.wikipedia.org", NOW, zeroConfig))).toBe(1);
      expect(withheldFromPage(enroll(identity, "en.wikipedia.org", NOW, config()))).toBe(0);
    });

    it("stays in Server-Timing (the browser SDK) and in the event intake's header (pairs with a subject)", () => {
      const e = enroll(identity, "en.wikipedia.org", NOW, zeroConfig, true);
      expect(encodeAllPairs(e)).toBe("zero-first-test=0;ordinary-split-test=a;zero-client-only=0;");
      expect(decodeEnrollmentHeader(encodeAllPairs(e), "sdk")!.map((p) => p.group)).toEqual(["0", "a", "0"]);
      const events = decodeEnrollmentHeader(encodeEventsHeader(e))!;
      expect(events.map((p) => `${p.experiment}=${p.group}`)).toEqual(["zero-first-test=0", "ordinary-split-test=a", "zero-client-only=0"]);
    });
  });

  describe("decodeEnrollmentHeader (the wiki's rules)", () => {
    it.each([
      ["", []],
      ["experiment1=control;", [{ experiment: "experiment1", group: "control" }]],
      ["experiment1=a;experiment2=b;", [{ experiment: "experiment1", group: "a" }, { experiment: "experiment2", group: "b" }]],
      ["experiment1=a/AAAAAAAAAAAAAAAAAAAAAA;", [{ experiment: "experiment1", group: "a", subject: "AAAAAAAAAAAAAAAAAAAAAA" }]],
    ])("accepts %j", (value, expected) => {
      // Strict: a page pair has no `subject` key at all, not an undefined one.
      expect(decodeEnrollmentHeader(value)).toStrictEqual(expected);
    });

    it.each([
      ["missing final ;", "experiment1=a"],
      ["missing final ; after a longer group", "experiment1=ab"],
      ["a subject one character too long", "experiment1=a/AAAAAAAAAAAAAAAAAAAAAAA;"],
      ["a subject one character too short", "experiment1=a/AAAAAAAAAAAAAAAAAAAAA;"],
      ["space", "experiment1=a; experiment2=b;"],
      ["short experiment name", "exp=a;"],
      ["empty group", "experiment1=;"],
      ["no equals", "experiment1;"],
      ["bad subject length", "experiment1=a/AAAA;"],
      ["one bad pair spoils all", "experiment1=a;bad pair=b;"],
      ['a bare group "0" (MediaWiki drops falsy parts)', "experiment1=a;experiment2=0;"],
    ])("rejects %s", (_, value) => {
      expect(decodeEnrollmentHeader(value)).toBeNull();
    });
  });
});
