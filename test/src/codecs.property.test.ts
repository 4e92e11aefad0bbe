import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../src/base64url.js";
import { slotOf, type CompiledConfig } from "../../src/config-compile.js";
import { parseConfig } from "../../src/config-parse.js";
import { enroll } from "../../src/enroll.js";
import { decodeEnrollmentHeader, encodeAllPairs, encodeEventsHeader, encodePageHeader, withheldFromPage } from "../../src/enrollment-header.js";
import { normaliseHost } from "../../src/host.js";
import { parseKeyRing } from "../../src/keyring.js";
import { appendServerTiming, serverTimingEntry } from "../../src/server-timing.js";
import { bucketOf } from "../../src/subject.js";
import { mintToken } from "../../src/token.js";
import { parseVary } from "../../src/vary.js";
import { DEV_KEYS } from "../fixtures/config.js";
import { GEN_NOW, validConfigArb } from "../helpers/config-arbitrary.js";
import { lazy } from "../helpers/lazy.js";

/**
 * Properties of the wire codecs (contract §4, §5): whatever a valid config and any visitor
 * produce parses under the wiki's all-or-nothing rules; the Vary rewrite is total and only
 * ever removes our token; base64url round-trips and has one spelling per byte string.
 */

const SEED = 42;
const ring = lazy(() => {
  const r = parseKeyRing(DEV_KEYS);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
});

const identityArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((id) => mintToken(ring(), GEN_NOW, (b) => b.set(id)).identity);

/** A compiled random valid config, its document, and one of its hosts (or one it does not have). */
const caseArb = validConfigArb.chain((g) => {
  const r = parseConfig(g.doc);
  if (!r.ok) throw new Error(`generator produced an invalid config: ${JSON.stringify(r.issues)}`);
  const hosts = [...r.config.hosts.keys()];
  return fc.record({
    gen: fc.constant(g),
    config: fc.constant(r.config),
    host: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...hosts) }, { weight: 1, arbitrary: fc.constant("not-configured.example") }),
    identity: identityArb,
    now: fc.integer({ min: GEN_NOW - 40 * 86_400_000, max: GEN_NOW + 40 * 86_400_000 }),
  });
});

/** Header values must be visible ASCII without spaces (they go into HTTP headers verbatim). */
const HEADER_SAFE = /^[\x21-\x7e]*$/;

function liveOnHost(config: CompiledConfig, host: string, now: number) {
  return (config.hosts.get(host)?.experiments ?? []).filter((e) => now >= e.startMs && now < e.endMs);
}

describe("enrollment header codecs", () => {
  it("the page header always parses, lists only live cache-split enrollments, in config order", () => {
    fc.assert(
      fc.property(caseArb, ({ config, host, identity, now }) => {
        const e = enroll(identity, host, now, config);
        const page = encodePageHeader(e);
        expect(page).toMatch(HEADER_SAFE);
        const pairs = decodeEnrollmentHeader(page);
        expect(pairs, page).not.toBeNull();
        const live = liveOnHost(config, host, now);
        const liveNames = live.map((x) => x.name);
        const names = pairs!.map((p) => p.experiment);
        // Config order: a subsequence of the live experiments in document order.
        expect(names).toEqual(liveNames.filter((n) => names.includes(n)));
        for (const p of pairs!) {
          const exp = live.find((x) => x.name === p.experiment)!;
          expect(exp.cacheSplit).toBe(true);
          expect(exp.groups).toContain(p.group);
          expect(p.subject).toBeUndefined();
        }
        expect(new Set(names).size).toBe(names.length);
        if (page !== "") expect(page.endsWith(";")).toBe(true);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("the Server-Timing pairs parse and are the page pairs plus the non-cache-split ones", () => {
    fc.assert(
      fc.property(caseArb, ({ config, host, identity, now }) => {
        const e = enroll(identity, host, now, config);
        const all = encodeAllPairs(e);
        const allPairs = decodeEnrollmentHeader(all, "sdk");
        expect(allPairs, all).not.toBeNull();
        const pagePairs = decodeEnrollmentHeader(encodePageHeader(e))!;
        // Group "0" is left out of the page header only (MediaWiki cannot receive it, contract §4).
        const splitOnly = allPairs!.filter((p) => liveOnHost(config, host, now).find((x) => x.name === p.experiment)!.cacheSplit && p.group !== "0");
        expect(splitOnly).toEqual(pagePairs);
        expect(withheldFromPage(e)).toBe(allPairs!.filter((p) => liveOnHost(config, host, now).find((x) => x.name === p.experiment)!.cacheSplit).length - pagePairs.length);
        // The SDK reads it out of a quoted Server-Timing desc: no quote or backslash may occur.
        const entry = serverTimingEntry(all);
        expect(entry).toBe(`WMF-Uniq;desc="${all}"`);
        expect(all).not.toMatch(/["\\]/);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("the event header always parses, has a 22-char subject per pair, and agrees with the page groups", () => {
    fc.assert(
      fc.property(caseArb, ({ config, host, identity, now }) => {
        const page = enroll(identity, host, now, config);
        const withSubjects = enroll(identity, host, now, config, true);
        const events = encodeEventsHeader(withSubjects);
        expect(events).toMatch(HEADER_SAFE);
        const pairs = decodeEnrollmentHeader(events);
        expect(pairs, events).not.toBeNull();
        // Same groups as the page view (subjects are extra, not a different decision).
        expect(pairs!.map((p) => `${p.experiment}=${p.group};`).join("")).toBe(encodeAllPairs(page));
        for (const p of pairs!) {
          expect(p.subject).toMatch(/^[A-Za-z0-9_-]{22}$/);
          expect(decodeBase64url(p.subject!)!.length).toBe(16);
        }
        // Experiments on one derivation slot share the subject ID; different slots do not.
        const slotOf = new Map(withSubjects.experiments.map((x, i) => [x.name, withSubjects.slots[i]!]));
        for (const a of pairs!) {
          for (const b of pairs!) {
            if (slotOf.get(a.experiment) === slotOf.get(b.experiment)) expect(a.subject).toBe(b.subject);
            else expect(a.subject).not.toBe(b.subject);
          }
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("group = the range holding the bucket; experiments sharing a selector share the bucket", () => {
    fc.assert(
      fc.property(caseArb, ({ gen, config, host, identity, now }) => {
        const e = enroll(identity, host, now, config, true);
        const live = liveOnHost(config, host, now);
        const bucketBySelector = new Map<string, number>();
        for (const exp of live) {
          const bucket = bucketOf(e.subjects, slotOf(config.hosts.get(host)!, exp) * 4);
          expect(bucket).toBeGreaterThanOrEqual(0);
          expect(bucket).toBeLessThan(100_000);
          const i = e.experiments.indexOf(exp);
          const holding = exp.groups.findIndex((_, g) => exp.lo[g]! <= bucket && bucket <= exp.hi[g]!);
          expect(i < 0 ? -1 : e.groups[i]).toBe(holding);
          // The selector label from the document, not from the compiled slot.
          const src = gen.doc[exp.name] as { shared_selector?: string; domains: Record<string, { unique_domain?: boolean }> };
          const label = `${src.shared_selector ?? exp.name}\u0000${src.domains[host]!.unique_domain === true ? host : ""}`;
          const seen = bucketBySelector.get(label);
          if (seen === undefined) bucketBySelector.set(label, bucket);
          else expect(bucket).toBe(seen);
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("decodeEnrollmentHeader never throws, on anything", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: fc.constantFrom(..."ab-_.=;/ 0123456789ABCDEFGHIJKLMNOPQRSTUV".split("")), maxLength: 200 })), (s) => {
        const r = decodeEnrollmentHeader(s);
        return r === null || Array.isArray(r);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });
});

describe("parseVary", () => {
  const ours = fc
    .array(fc.boolean(), { minLength: 24, maxLength: 24 })
    .map((flips) => Array.from("X-Experiment-Enrollments", (c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join(""));
  const other = fc.oneof(
    fc.constantFrom("Accept-Encoding", "Cookie", "Accept-Language", "Origin", "*", "X-Experiment-Enrollments-Extra", "X-Experiment", "Experiment-Enrollments", "User-Agent"),
    fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/),
  ).filter((t) => t.toLowerCase() !== "x-experiment-enrollments");
  const ws = fc.constantFrom("", " ", "  ", "\t");
  const varyArb = fc
    .array(fc.tuple(fc.oneof({ weight: 1, arbitrary: ours }, { weight: 3, arbitrary: other }, { weight: 1, arbitrary: fc.constant("") }), ws, ws), { maxLength: 8 })
    .map((tokens) => ({ tokens: tokens.map(([t]) => t), value: tokens.map(([t, a, b]) => `${a}${t}${b}`).join(",") }));

  it("never throws, for any string or null", () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: "binary", maxLength: 200 })), (v) => {
        const r = parseVary(v);
        return r.value === null || typeof r.value === "string";
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("never returns our token, keeps every other token in order, and says whether we were listed", () => {
    fc.assert(
      fc.property(varyArb, ({ tokens, value }) => {
        const r = parseVary(value);
        const listed = tokens.some((t) => t.toLowerCase() === "x-experiment-enrollments");
        const rest = tokens.filter((t) => t !== "" && t.toLowerCase() !== "x-experiment-enrollments");
        expect(r.variesOnEnrollments).toBe(listed);
        if (!listed) {
          expect(r.value).toBe(value);
          return;
        }
        if (rest.length === 0) expect(r.value).toBeNull();
        else {
          expect(r.value).toBe(rest.join(", "));
          expect(r.value!.split(",").map((t) => t.trim().toLowerCase())).not.toContain("x-experiment-enrollments");
        }
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("keys on every listed name but Accept-Encoding, lower-cased, unique and sorted; never on Vary: *", () => {
    fc.assert(
      fc.property(varyArb, ({ tokens, value }) => {
        const names = tokens.map((t) => t.toLowerCase()).filter((t) => t !== "" && t !== "accept-encoding");
        const keyed = parseVary(value).keyed;
        if (names.includes("*")) expect(keyed).toBeNull();
        else expect(keyed).toEqual([...new Set(names)].sort());
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("is idempotent: a rewritten value has nothing left to rewrite", () => {
    fc.assert(
      fc.property(varyArb, ({ value }) => {
        const once = parseVary(value);
        const twice = parseVary(once.value);
        expect(twice.variesOnEnrollments).toBe(false);
        expect(twice.value).toBe(once.value);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe("base64url", () => {
  it("decode(encode(x)) round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = encodeBase64url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(text.length).toBe(Math.ceil((bytes.length * 4) / 3));
        expect(Array.from(decodeBase64url(text)!)).toEqual(Array.from(bytes));
        // Same as Node's encoder.
        expect(text).toBe(Buffer.from(bytes).toString("base64url"));
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("accepts exactly one spelling: whatever decodes re-encodes to itself", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("")), maxLength: 60 }),
          fc.string({ unit: "binary", maxLength: 60 }),
          fc.string({ unit: fc.constantFrom(..."Aa0-_=+/ \n".split("")), maxLength: 20 }),
        ),
        (s) => {
          const bytes = decodeBase64url(s);
          if (bytes !== null) expect(encodeBase64url(bytes)).toBe(s);
        },
      ),
      { seed: SEED, numRuns: 5000 },
    );
  });
});

describe("hosts and Server-Timing", () => {
  it("normaliseHost is idempotent and ignores case, a trailing dot and a port", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][-a-z0-9.]{0,40}[a-z0-9]$/), fc.constantFrom("", ".", ".."), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.boolean(), (host, dots, port, upper) => {
        const raw = `${upper ? host.toUpperCase() : host}${dots}${port === undefined ? "" : `:${port}`}`;
        const n = normaliseHost(raw);
        expect(n).toBe(host.replace(/\.+$/, ""));
        expect(normaliseHost(n)).toBe(n);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("our Server-Timing entry is appended after the origin's, which stay untouched", () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: "grapheme-ascii", maxLength: 60 })), fc.string({ unit: fc.constantFrom(..."ab=;-".split("")), maxLength: 30 }), (existing, pairs) => {
        const entry = serverTimingEntry(pairs);
        const out = appendServerTiming(existing, entry);
        expect(out.endsWith(entry)).toBe(true);
        if (existing !== null && existing.trim() !== "") expect(out).toBe(`${existing}, ${entry}`);
        else expect(out).toBe(entry);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
