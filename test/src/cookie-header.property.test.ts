import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scanCookieHeader } from "../../src/cookie-header.js";

/**
 * Properties of scanCookieHeader (contract §2, §7): total, never lets a WMF-Uniq pair through
 * to the origin, keeps every other pair in order, and reports exactly the WMF-Uniq values.
 *
 * Headers are generated from a structure (a list of pairs, each known to be ours or not),
 * so the oracle is the structure itself, not a second parser.
 */

const SEED = 42;

/** "WMF-Uniq" in a random casing. */
const uniqName = fc
  .array(fc.boolean(), { minLength: 8, maxLength: 8 })
  .map((flips) => Array.from("WMF-Uniq", (c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join(""));

/** Cookie-ish characters without the pair separator. */
const valueChar = fc.oneof(
  fc.constantFrom(..."ABCabc019-_=.%+/\"' \t,:!@#$&()[]{}<>?~`^|*".split("")),
  fc.constantFrom("é", "ü", "\u00ff", "\u20ac", "😀", "\u00a0"),
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }).filter((c) => c !== ";"),
);
const valueArb = fc.string({ unit: valueChar, maxLength: 60 });

/** Names that are not ours: random, and near misses of ours. */
const otherName = fc
  .oneof(
    fc.string({ unit: valueChar, minLength: 1, maxLength: 20 }).filter((n) => !n.includes("=")),
    fc.constantFrom("WMF-Uniq2", "xWMF-Uniq", "WMF_Uniq", "WMF-Uni", "MF-Uniq", "uniq", "Uniq", "WMF-Uniq-2", "WMF Uniq", "WMF-Uniq\u0131", "WMF-UNİQ", "session", "GeoIP", "enwikiSession"),
    uniqName.map((n) => `${n}x`),
    uniqName.map((n) => `_${n}`),
  )
  .filter((n) => n.trim() !== "" && n.trim().toLowerCase() !== "wmf-uniq");

type Segment = { kind: "ours"; name: string; value: string } | { kind: "other"; text: string } | { kind: "blank"; text: string };

const pad = fc.constantFrom("", "", "", " ", "  ", "\t");
const segment: fc.Arbitrary<Segment> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("ours" as const), name: uniqName, value: fc.oneof(valueArb, fc.string({ unit: "binary", maxLength: 48 }).map((s) => s.replace(/;/g, ""))) }) },
  { weight: 5, arbitrary: fc.tuple(otherName, valueArb).map(([n, v]) => ({ kind: "other" as const, text: `${n}=${v}` })) },
  // A valueless pair ("flag"): not ours even if it spells the name, as browsers read it.
  { weight: 1, arbitrary: fc.oneof(otherName, uniqName).map((n) => ({ kind: "other" as const, text: n.replace(/=/g, "") })) },
  { weight: 1, arbitrary: pad.map((p) => ({ kind: "blank" as const, text: p })) },
);

/** Renders a header from segments: `;` separators, random padding around pairs and names. */
const headerArb = fc
  .array(fc.tuple(segment, pad, pad, pad), { maxLength: 30 })
  .map((parts) => {
    const texts = parts.map(([s, before, after, aroundEq]) => {
      if (s.kind === "ours") return `${before}${s.name}${aroundEq}=${aroundEq}${s.value}${after}`;
      return `${before}${s.text}${after}`;
    });
    return { parts: parts.map(([s]) => s), header: texts.join(";") };
  });

describe("scanCookieHeader", () => {
  it("never throws, for any string at all (including huge ones)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 300 }),
          fc.string({ unit: fc.constantFrom(..."WMF-Uniq=;, \"\\".split("")), maxLength: 300 }),
          fc.integer({ min: 1, max: 2_000 }).map((n) => "WMF-Uniq=x; a=b; ".repeat(n)),
        ),
        (h) => {
          const scan = scanCookieHeader(h);
          return Array.isArray(scan.values) && (scan.rest === null || typeof scan.rest === "string");
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("returns exactly the WMF-Uniq values (any casing, trimmed), in order", () => {
    fc.assert(
      fc.property(headerArb, ({ parts, header }) => {
        const ours = parts.flatMap((p) => (p.kind === "ours" ? [p.value.trim()] : []));
        expect(scanCookieHeader(header).values).toEqual(ours);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("keeps every other pair, in order, and nothing of ours", () => {
    fc.assert(
      fc.property(headerArb, ({ parts, header }) => {
        const scan = scanCookieHeader(header);
        const others = parts.flatMap((p) => (p.kind === "other" && p.text.trim() !== "" ? [p.text.trim()] : []));
        const hasOurs = parts.some((p) => p.kind === "ours");
        if (!hasOurs) {
          // Nothing to strip: the worker forwards the original header untouched (it only uses
          // `rest` when a value was found); `rest` is the header or its pairs re-joined.
          expect(scan.values).toEqual([]);
          if (header === "") expect(scan.rest).toBeNull();
          else if (scan.rest !== header) expect(scan.rest === null ? [] : scan.rest.split("; ")).toEqual(others);
          return;
        }
        if (others.length === 0) {
          expect(scan.rest).toBeNull();
          return;
        }
        expect(scan.rest).not.toBeNull();
        // Other pairs keep their own bytes; only our pairs (and the separator each brought) go.
        expect(scan.rest!.split(";").map((p) => p.trim()).filter((p) => p !== "")).toEqual(others);
        for (const pair of scan.rest!.split(";")) {
          const eq = pair.indexOf("=");
          if (eq >= 0) expect(pair.slice(0, eq).trim().toLowerCase()).not.toBe("wmf-uniq");
        }
        // No value of ours survives by accident (when it is not also another pair's text).
        for (const p of parts) {
          if (p.kind !== "ours" || p.value.trim().length < 12) continue;
          if (others.some((o) => o.includes(p.value.trim()))) continue;
          expect(scan.rest).not.toContain(p.value.trim());
        }
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it("is idempotent: scanning the rest again finds nothing and changes nothing", () => {
    fc.assert(
      fc.property(headerArb, ({ header }) => {
        const rest = scanCookieHeader(header).rest;
        const again = scanCookieHeader(rest);
        expect(again.values).toEqual([]);
        expect(again.rest).toBe(rest === "" ? null : rest);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("a real token hidden among 8-16 KB of other cookies is found and stripped", () => {
    const token = "AQBRLm0jMfIb_0qaU-3gvAQBRLm0jMfIb_0qaU-3gvAQBRLm0";
    fc.assert(
      fc.property(fc.array(fc.tuple(otherName, valueArb), { minLength: 150, maxLength: 400 }), fc.nat(), uniqName, (pairs, at, name) => {
        const others = pairs.map(([n, v]) => `${n.trim()}=${v}`.trim());
        const i = at % (others.length + 1);
        const header = [...others.slice(0, i), `${name}=${token}`, ...others.slice(i)].join("; ");
        const scan = scanCookieHeader(header);
        expect(scan.values).toEqual([token]);
        expect(scan.rest).toBe(others.join("; "));
        expect(scan.rest).not.toContain(token);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
