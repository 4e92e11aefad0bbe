import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfigText, parseConfigTextInSlices, SPLIT_CHARS } from "../../src/config-parse.js";
import { validConfigArb } from "../helpers/config-arbitrary.js";

/**
 * parseConfigTextInSlices (the worker's KV load) is parseConfigText with pauses: the same
 * result for every text, whether the document is split into its entries or parsed whole.
 */

const noPause = (): Promise<void> => Promise.resolve();

// A document with a repeated experiment, a nested repeat, escapes, an integer-like name and
// a broken value, as text; and random texts, valid or not.
const textArb = fc.oneof(
  validConfigArb.map((c) => c.text),
  validConfigArb.map((c) => c.text.replace(/^\{/, '{"12345678": {"start": "x"}, ')),
  validConfigArb.map((c) => c.text.replace(/"groups":\{/, '"groups":{"dup":[0,1],"dup":[2,3],')),
  validConfigArb.map((c) => c.text.replace(/\}$/, `, ${JSON.stringify(Object.keys(c.doc).find((k) => k !== "_comment"))}: 1}`)),
  validConfigArb.map((c) => c.text.replace(/"start"/, '"st\\u0061rt"')),
  validConfigArb.chain((c) => fc.nat({ max: c.text.length }).map((cut) => c.text.slice(0, cut) + c.text.slice(cut + 1))),
  fc.json(),
  fc.string({ maxLength: 60 }),
);

describe("parseConfigTextInSlices", () => {
  it("gives parseConfigText's result for every text, split into entries or not", async () => {
    await fc.assert(
      fc.asyncProperty(textArb, fc.boolean(), async (text, split) => {
        const sliced = await parseConfigTextInSlices(text, noPause, split ? 0 : Number.POSITIVE_INFINITY);
        const whole = parseConfigText(text);
        expect(sliced.ok).toBe(whole.ok);
        if (whole.ok && sliced.ok) {
          expect(sliced.config.experiments).toStrictEqual(whole.config.experiments);
          expect([...sliced.config.hosts.keys()]).toEqual([...whole.config.hosts.keys()]);
          for (const [host, plan] of whole.config.hosts) expect(sliced.config.hosts.get(host)).toStrictEqual(plan);
        } else expect(sliced).toStrictEqual(whole);
      }),
      { seed: 14, numRuns: 1500 },
    );
  });

  it("pauses between slices of a large document", async () => {
    const doc: Record<string, unknown> = {};
    for (let i = 0; i < 400; i++) {
      const domains: Record<string, unknown> = {};
      for (let h = 0; h < 20; h++) domains[`w${h}.wikipedia.org`] = { groups: { control: [0, 49999], treatment: [50000, 99999] } };
      doc[`experiment_${String(i).padStart(4, "0")}`] = { start: "2025-01-01T00:00:00Z", end: "2099-01-01T00:00:00Z", domains };
    }
    let pauses = 0;
    const r = await parseConfigTextInSlices(JSON.stringify(doc), async () => void pauses++);
    expect(r.ok).toBe(true);
    expect(pauses).toBeGreaterThan(10);
  });
});

describe("parseConfigTextInSlices, case by case", () => {
  const exp = (hosts = 1) => ({
    start: "2025-01-01T00:00:00Z",
    end: "2099-01-01T00:00:00Z",
    domains: Object.fromEntries(Array.from({ length: hosts }, (_, i) => [`w${i}.example`, { groups: { a: [0, 9] } }])),
  });
  const E = JSON.stringify(exp());
  const docText = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`experiment_${String(i).padStart(4, "0")}`, exp()])));

  // Each text takes another turn of the entry-by-entry path: it must give the one-piece result.
  it.each([
    ["a repeated experiment", `{"_comment":"a","experiment-one": ${E}, "12345678": ${E}, "experiment-one": ${E}, "_comment":"b"}`],
    ["a repeated group, nested", `{"experiment-one": ${E.replace('"groups":{', '"groups":{"dup":[20,21],"dup":[22,23],')}}`],
    ["an entry that is no JSON", `{"experiment-one": ${E}, "experiment-two": {"start": tru}}`],
    ["no object", `[${E}]`],
    ["a __proto__ entry (an own key, as JSON.parse makes it)", `{"__proto__": ${E}}`],
    ["an empty object", "{}"],
  ])("%s", async (_, text) => {
    const sliced = await parseConfigTextInSlices(text, noPause, 0);
    const whole = parseConfigText(text);
    if (whole.ok && sliced.ok) {
      expect(sliced.config.experiments).toStrictEqual(whole.config.experiments);
      expect([...sliced.config.hosts.entries()]).toStrictEqual([...whole.config.hosts.entries()]);
    } else expect(sliced).toStrictEqual(whole);
  });

  it("the entry path and the one-piece path report a repeated experiment alike", async () => {
    const text = `{"experiment-one": ${E}, "experiment-one": ${E}}`;
    expect(await parseConfigTextInSlices(text, noPause, 0)).toStrictEqual({ ok: false, issues: [{ path: "$", message: 'duplicate key "experiment-one"' }] });
  });

  // The pauses fall where the work is cut: after JSON.parse and after the key report (one-piece
  // path), before validating, and after every 200 units of validating and of compiling (an
  // experiment on one host is two).
  it.each([
    [1, Number.POSITIVE_INFINITY, 3],
    [1, 0, 1],
    [99, Number.POSITIVE_INFINITY, 3],
    [100, Number.POSITIVE_INFINITY, 5],
    [400, Number.POSITIVE_INFINITY, 11],
    [400, 0, 9],
    [2100, Number.POSITIVE_INFINITY, 45],
    [2100, 0, 49],
  ])("%i experiments, split at %d characters: %i pauses", async (n, split, expected) => {
    let pauses = 0;
    const r = await parseConfigTextInSlices(docText(n), async () => void pauses++, split);
    expect(r.ok).toBe(true);
    expect(pauses).toBe(expected);
  });

  it("a document as long as the split is split into its entries; one character shorter, not", async () => {
    const text = docText(1);
    const pausesAt = async (split: number) => {
      let pauses = 0;
      await parseConfigTextInSlices(text, async () => void pauses++, split);
      return pauses;
    };
    expect([await pausesAt(text.length), await pausesAt(text.length + 1)]).toEqual([1, 3]);
  });

  it("by default, only a document of 128 KiB or more is split", async () => {
    let pauses = 0;
    const text = docText(2100);
    expect(text.length).toBeGreaterThan(SPLIT_CHARS);
    await parseConfigTextInSlices(text, async () => void pauses++);
    // As split at 0 above (49), not as parsed in one piece (45).
    expect(pauses).toBe(49);
    let small = 0;
    await parseConfigTextInSlices(docText(1), async () => void small++);
    expect(small).toBe(3);
  });
});
