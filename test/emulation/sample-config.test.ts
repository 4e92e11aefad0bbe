import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config-parse.js";
import { SAMPLE_CONFIG_FILE } from "../../emulation/config-api.js";

interface Domain {
  unique_domain?: boolean;
  groups: Record<string, [number, number]>;
  allocations?: { rule: string; groups: Record<string, [number, number]> }[];
}
interface Experiment {
  start: string;
  end: string;
  cache_split?: boolean;
  shared_selector?: string;
  eligibility?: string;
  domains: Record<string, Domain>;
}

const text = readFileSync(SAMPLE_CONFIG_FILE, "utf8");
const doc = JSON.parse(text) as Record<string, Experiment | string>;
const experiments = Object.entries(doc).filter((e): e is [string, Experiment] => e[0] !== "_comment");
const width = (d: Domain) => Object.values(d.groups).reduce((n, [lo, hi]) => n + hi - lo + 1, 0);

describe("sample config (emulation/sample-config.json)", () => {
  it("is a valid authority=varnish document", () => {
    const result = parseConfigText(text);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it("is live now and for years to come", () => {
    const now = Date.now();
    for (const [name, exp] of experiments) {
      expect(Date.parse(exp.start), name).toBeLessThan(now);
      expect(Date.parse(exp.end), name).toBeGreaterThan(now + 5 * 365 * 86_400_000);
    }
  });

  it("uses local host names only, two or more", () => {
    const hosts = new Set(experiments.flatMap(([, e]) => Object.keys(e.domains)));
    expect(hosts.size).toBeGreaterThanOrEqual(2);
    for (const h of hosts) expect(h).toMatch(/\.localhost$/);
  });

  it("shows every feature: 50/50, 10% sample, shared selector pair, unique_domain, cache_split false", () => {
    const domains = experiments.flatMap(([, e]) => Object.values(e.domains));
    expect(domains.some((d) => width(d) === 100_000 && Object.keys(d.groups).length === 2)).toBe(true);
    expect(domains.some((d) => width(d) === 10_000)).toBe(true);
    const selectors = experiments.map(([, e]) => e.shared_selector).filter((s) => s !== undefined);
    expect(selectors.length - new Set(selectors).size).toBeGreaterThanOrEqual(1);
    expect(domains.some((d) => d.unique_domain === true)).toBe(true);
    expect(experiments.some(([, e]) => e.cache_split === false)).toBe(true);
  });

  it("shows targeting: a rule-gated experiment on the country and a platform allocation", () => {
    expect(experiments.some(([, e]) => /\bcountry\b/.test(e.eligibility ?? ""))).toBe(true);
    const withAllocation = experiments.flatMap(([, e]) => Object.values(e.domains)).filter((d) => d.allocations?.some((a) => /platform == "mobile"/.test(a.rule)));
    expect(withAllocation.length).toBeGreaterThan(0);
    for (const d of withAllocation) expect(width(d)).toBeLessThan(width({ groups: d.allocations![0]!.groups }));
  });

  it("leaves some visitors of one host without any cache-split enrollment (the shared un-enrolled copy)", () => {
    // de: only the 10% sample and the 50% unique_domain experiment split the cache.
    const deSplit = experiments.filter(([, e]) => e.cache_split !== false && e.domains["de.wikipedia.localhost"]);
    expect(deSplit.length).toBeGreaterThan(0);
    for (const [, e] of deSplit) expect(width(e.domains["de.wikipedia.localhost"]!)).toBeLessThan(100_000);
  });
});
