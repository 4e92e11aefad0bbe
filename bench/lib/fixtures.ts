/**
 * Inputs shared by every bench (Node micro, workerd micro, load, config scale), so the
 * same experiments, hosts and cookies are measured everywhere. Runtime-agnostic: this file
 * is also bundled into the workerd micro-bench.
 */
import { DEVELOPMENT_KEY, parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { mintToken } from "../../src/token.js";

/** crypto.getRandomValues as the token code wants it (Node 20 and workerd alike). */
export function fillRandom(buffer: Uint8Array): void {
  crypto.getRandomValues(buffer);
}

/** The host every bench request is for. */
export const BENCH_HOST = "en.wikipedia.org";
/** The development key ring, as the worker's `UNIQ_KEYS` secret holds it in development. */
export const DEV_KEY_RING = `0:${DEVELOPMENT_KEY}`;
/** Live from 2020 to 2099: every generated experiment is live whenever the bench runs. */
const START = "2020-01-01T00:00:00Z";
const END = "2099-01-01T00:00:00Z";

/** `bench_experiment_001` … (valid experiment names, sortable, stable). */
function experimentName(i: number, prefix = "bench_experiment"): string {
  return `${prefix}_${String(i + 1).padStart(3, "0")}`;
}

/** Host names for multi-host configs: `en.wikipedia.org` first, then other wikis. */
function hostName(i: number): string {
  if (i === 0) return BENCH_HOST;
  const langs = ["de", "fr", "es", "ja", "ru", "it", "zh", "pt", "pl", "nl", "sv", "ar", "fa", "uk", "he", "id", "ko", "vi", "cs"];
  return `${langs[(i - 1) % langs.length]}${i > langs.length ? String(i) : ""}.wikipedia.org`;
}

/** The targeting every experiment of a `rules` config carries (contract §8): both hold for the bench request. */
export const BENCH_ELIGIBILITY = 'country in launch_countries && !loggedIn';
export const BENCH_ALLOCATION_RULE = 'platform == "desktop" && language in ["en", "de"]';

/**
 * A config document (contract §1) with `experiments` live experiments, each on `hosts`
 * hosts (from hostName(firstHost) on), with 50/50 splits over the full bucket range: every
 * visitor is enrolled in every experiment, the worst case for the request path. With
 * `rules`, each experiment also has an eligibility rule and an allocation rule (§8) that
 * the bench request satisfies, so every rule is evaluated.
 */
function configDocument(experiments: number, hosts = 1, prefix = "bench_experiment", firstHost = 0, rules = false): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (let i = 0; i < experiments; i++) {
    const domains: Record<string, unknown> = {};
    for (let h = firstHost; h < firstHost + hosts; h++) {
      const groups = { control: [0, 49999], treatment: [50000, 99999] };
      domains[hostName(h)] = rules ? { groups, allocations: [{ rule: BENCH_ALLOCATION_RULE, groups: { control: [0, 39999], treatment: [40000, 99999] } }] } : { groups };
    }
    const targeting = rules ? { eligibility: BENCH_ELIGIBILITY, constants: { launch_countries: ["DE", "AT", "CH", "US", "GB"] } } : {};
    doc[experimentName(i, prefix)] = { start: START, end: END, ...targeting, domains };
  }
  return doc;
}

/**
 * configDocument as the JSON text the worker stores in KV and parses. `firstHost` > 0
 * leaves `en.wikipedia.org` out (a host with no live experiments).
 */
export function configText(experiments: number, hosts = 1, prefix = "bench_experiment", firstHost = 0, rules = false): string {
  return JSON.stringify(configDocument(experiments, hosts, prefix, firstHost, rules));
}

/** The request facts of the bench request: a desktop browser in Germany, English first, anonymous. */
export const BENCH_FACTS = {
  path: "/wiki/Main_Page",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  acceptLanguage: "en-US,en;q=0.9,de;q=0.8",
  country: "DE",
  cookieHeader: "GeoIP=DE:BE:Berlin:52.52:13.40:v4; WMF-Last-Access=25-Nov-2026",
  verifiedBot: false,
} as const;

/** The parsed development key ring (throws if the lead changed its format incompatibly). */
export function devKeyRing(): KeyRing {
  const r = parseKeyRing(DEV_KEY_RING);
  if (!r.ok) throw new Error(`development key ring does not parse: ${r.error}`);
  return r.ring;
}

/** A valid 48-character `WMF-Uniq` value minted with the development key. */
export function mintDevToken(nowMs = Date.now()): string {
  return mintToken(devKeyRing(), nowMs, fillRandom).value;
}

/** Cookies an anonymous reader's browser sends to Wikipedia (besides WMF-Uniq). */
const ANONYMOUS_COOKIES = [
  "GeoIP=DE:BE:Berlin:52.52:13.40:v4",
  "WMF-Last-Access=25-Nov-2026",
  "WMF-Last-Access-Global=25-Nov-2026",
  "NetworkProbeLimit=0.001",
  "enwikimwuser-sessionId=9f3c2a1b7d6e5f40a1b2",
  "WMF-DP=a1b",
];
/** What a logged-in editor's browser adds. */
const LOGGED_IN_COOKIES = [
  "enwikiUserName=Example_Editor",
  "enwikiUserID=12345678",
  "centralauth_User=Example_Editor",
  "enwikiSession=0123456789abcdef0123456789abcdef",
];

/**
 * A realistic Wikipedia `Cookie` header: an anonymous reader's cookies (targetBytes 0),
 * or a logged-in editor's padded with banner and preference cookies to about
 * `targetBytes`, with `WMF-Uniq=<token>` in the middle (so a scan has to look at half of
 * it), or without it if `token` is null. Content is deterministic.
 */
export function cookieHeader(targetBytes: number, token: string | null): string {
  const base = targetBytes === 0 ? ANONYMOUS_COOKIES : [...ANONYMOUS_COOKIES, ...LOGGED_IN_COOKIES];
  const half = Math.ceil(base.length / 2);
  const parts = base.slice(0, half);
  if (token !== null) parts.push(`WMF-Uniq=${token}`);
  parts.push(...base.slice(half));
  let n = 0;
  let header = parts.join("; ");
  // Pad with plausible banner cookies, alternately before and after.
  while (header.length < targetBytes) {
    const filler = `centralnotice_hide_banner_${String(n).padStart(4, "0")}=%7B%22v%22%3A1%2C%22created%22%3A1732500000%7D`;
    if (n % 2 === 0) parts.unshift(filler);
    else parts.push(filler);
    n++;
    header = parts.join("; ");
  }
  return header;
}

/**
 * The GrowthBook payload equivalent of configDocument for the edge app: visual-editor
 * experiments (the only kind its edge evaluates) with 50/50 weights, full coverage, hashed
 * on the `id` attribute (the `gbuuid` cookie), matching every URL.
 */
export function growthBookEdgePayload(experiments: number): Record<string, unknown> {
  const list = [];
  for (let i = 0; i < experiments; i++) {
    const key = experimentName(i);
    list.push({
      key,
      changeId: `change_${key}`,
      seed: key,
      hashAttribute: "id",
      hashVersion: 2,
      coverage: 1,
      weights: [0.5, 0.5],
      meta: [{ key: "control" }, { key: "treatment" }],
      variations: [{ domMutations: [] }, { domMutations: [] }],
      urlPatterns: [{ include: true, type: "regex", pattern: ".*" }],
      phase: "0",
    });
  }
  return { features: {}, experiments: list, dateUpdated: "2026-01-01T00:00:00Z" };
}

/**
 * The feature-flag form for a server-side GrowthBook SDK: one feature per experiment
 * with a single experiment rule, 50/50, full coverage, hashed on `id`. This is how a site
 * would express "assign a visitor to N experiments" with the SDK directly.
 */
export function growthBookFeaturesPayload(experiments: number): Record<string, unknown> {
  const features: Record<string, unknown> = {};
  for (let i = 0; i < experiments; i++) {
    const key = experimentName(i);
    features[key] = {
      defaultValue: "control",
      rules: [
        {
          id: `rule_${key}`,
          key,
          seed: key,
          hashAttribute: "id",
          hashVersion: 2,
          coverage: 1,
          weights: [0.5, 0.5],
          variations: ["control", "treatment"],
          meta: [{ key: "control" }, { key: "treatment" }],
          phase: "0",
        },
      ],
    };
  }
  return { features, experiments: [], dateUpdated: "2026-01-01T00:00:00Z" };
}

/** A GrowthBook visitor id as its edge app mints it (a UUID in the `gbuuid` cookie). */
export const GB_UUID = "3f2b8c1e-7a4d-4e6b-9c0f-1d2e3f4a5b6c";
