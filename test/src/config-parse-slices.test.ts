import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfigText, parseConfigTextInSlices } from "../../src/config-parse.js";
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
