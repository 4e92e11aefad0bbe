import { join } from "node:path";
import { configText, DEV_KEY_RING, growthBookEdgePayload, growthBookFeaturesPayload } from "./fixtures.js";
import { ARTICLE_PATH } from "./origin.js";
import { visitorHeaders, type Variant } from "./load.js";
import type { Origin } from "./origin.js";
import { bundleWorker, freePort, ROOT, type ServiceSpec } from "./workerd.js";

/**
 * The workerd services the bench serves (one socket each) and the load variants on them.
 * Shared by bench/run.ts and bench/profile.ts so a profile runs exactly what the bench
 * measures.
 */

export const EXPERIMENTS = [1, 10, 100] as const;
/** The worker's minimum CONFIG_REFRESH_MS (worker/settings.ts): the config-change service uses it. */
export const CHANGE_REFRESH_MS = 1000;
export const DIST = join(ROOT, "dist/worker.js");

export interface BenchSetup {
  readonly services: ServiceSpec[];
  /** variants[0] is the pass-through. */
  readonly variants: Variant[];
  readonly microPort: number;
  readonly changePort: number;
}

const ENTRIES = ["micro", "passthrough", "ladder", "enrollment-host", "growthbook-edge", "growthbook-direct", "growthbook-fair"] as const;

/** Platform-cost steps of bench/workers/ladder.ts besides the floor (`no-store`), cheapest first. */
const LADDER = [
  ["copy-headers", "pass-through + request headers copied into new Headers"],
  ["wrap-response", "… + response re-wrapped to set Vary and Server-Timing"],
  ["cache-lookup", "… + one Cache API lookup (miss) before the fetch"],
] as const;

/** The country the bench request comes from, in the trusted header of the rules variant (raw workerd has no request.cf). */
const COUNTRY_HEADER = "x-bench-country";

/**
 * Bundles the bench workers into `tmp` and lays out every service and variant.
 * `diagnostics` adds the cost-attribution variants (ladder steps, the contract floor, the
 * assignment-only peer and two variants of ours).
 */
export async function prepareSetup(tmp: string, origin: Origin, token: string, diagnostics = true): Promise<BenchSetup> {
  const built: Record<(typeof ENTRIES)[number], string> = {} as Record<(typeof ENTRIES)[number], string>;
  for (const e of ENTRIES) {
    built[e] = join(tmp, `${e}.js`);
    await bundleWorker(join(ROOT, "bench/workers", `${e}.ts`), built[e]);
  }
  const services: ServiceSpec[] = [];
  const add = async (name: string, modules: ServiceSpec["modules"], bindings: Record<string, string>): Promise<number> => {
    const port = await freePort();
    services.push({ name, modules, bindings, port });
    return port;
  };
  const ourModules = [
    { name: "main.js", path: built["enrollment-host"] },
    { name: "target-worker.js", path: DIST },
  ];
  const ourBindings = (n: number, extra: Record<string, string> = {}, firstHost = 0, rules = false): Record<string, string> => ({
    ORIGIN_URL: origin.url,
    CONFIG_URL: "http://127.0.0.1:9/bench-never-polls-this",
    EVENTS_PATH: "/evt-103e/v2/events",
    COOKIE_DOMAIN: "",
    UNIQ_KEYS: DEV_KEY_RING,
    BENCH_CONFIG_TEXT: configText(n, 1, "bench_experiment", firstHost, rules),
    BENCH_CONFIG_VERSION: `bench-${n}-${firstHost}${rules ? "-rules" : ""}`,
    ...extra,
  });

  const microPort = await add("micro", [{ name: "main.js", path: built.micro }], {});
  const main: Variant[] = [];
  const passPort = await add("passthrough", [{ name: "main.js", path: built.passthrough }], { ORIGIN_URL: origin.url });
  const returning = visitorHeaders("ours-returning", token);
  main.push({ id: "passthrough", label: "pass-through `fetch(origin)`", kind: "passthrough", experiments: null, visitor: null, port: passPort, headers: returning });
  // The platform floor: what any worker that adds a header and keeps the platform cache
  // out must pay (headers copied, response re-wrapped, `cache: "no-store"`). The targets
  // are ratios to it.
  const floorPort = await add("floor", [{ name: "main.js", path: built.ladder }], { ORIGIN_URL: origin.url, STEP: "no-store" });
  main.push({
    id: "floor",
    label: "platform floor: headers copied, response re-wrapped, `cache: \"no-store\"`",
    kind: "floor",
    experiments: null,
    visitor: null,
    port: floorPort,
    headers: returning,
  });
  const label = "edge enrollment (dist/worker.js)";
  for (const n of EXPERIMENTS) {
    const port = await add(`ours-${n}`, ourModules, ourBindings(n));
    main.push({ id: `ours-${n}-returning`, label, kind: "ours", experiments: n, visitor: "returning", port, headers: returning });
    main.push({ id: `ours-${n}-first`, label, kind: "ours", experiments: n, visitor: "first", port, headers: visitorHeaders("ours-first", token) });
  }
  // Every experiment with an eligibility rule and an allocation rule (contract §8) that hold
  // for the bench request; its country comes in the trusted COUNTRY_HEADER.
  const rulesPort = await add("ours-10-rules", ourModules, ourBindings(10, { COUNTRY_HEADER }, 0, true));
  main.push({
    id: "ours-10-rules-returning",
    label: "edge enrollment, every experiment with an eligibility and an allocation rule",
    kind: "ours",
    experiments: 10,
    visitor: "returning",
    port: rulesPort,
    headers: { ...returning, [COUNTRY_HEADER]: "DE" },
  });
  for (const n of [10, 100] as const) {
    const port = await add(`gb-fair-${n}`, [{ name: "main.js", path: built["growthbook-fair"] }], {
      ORIGIN_URL: origin.url,
      GROWTHBOOK_API_HOST: "http://127.0.0.1:9",
      BENCH_GB_PAYLOAD: JSON.stringify(growthBookFeaturesPayload(n)),
    });
    main.push({
      id: `gb-fair-${n}`,
      label: "contract-equivalent GrowthBook peer (@growthbook/growthbook, our platform work)",
      kind: "growthbook-fair",
      experiments: n,
      visitor: "returning",
      port,
      headers: visitorHeaders("gb-returning", token),
    });
  }
  for (const n of [10, 100] as const) {
    const port = await add(`gb-edge-${n}`, [{ name: "main.js", path: built["growthbook-edge"] }], {
      PROXY_TARGET: origin.url,
      GROWTHBOOK_CLIENT_KEY: "sdk-bench",
      GROWTHBOOK_API_HOST: "http://127.0.0.1:9",
      NODE_ENV: "production",
      BENCH_GB_PAYLOAD: JSON.stringify(growthBookEdgePayload(n)),
    });
    main.push({
      id: `gb-edge-${n}`,
      label: "GrowthBook edge worker (@growthbook/edge-cloudflare)",
      kind: "growthbook-edge",
      experiments: n,
      visitor: "returning",
      port,
      headers: visitorHeaders("gb-returning", token),
    });
  }

  // The realistic page: the same workers on the article, each row against the pass-through
  // on the article.
  const ARTICLE_ROWS = ["passthrough", "floor", "ours-10-returning", "ours-10-first", "ours-100-returning", "gb-fair-10", "gb-edge-10"];
  const article: Variant[] = ARTICLE_ROWS.map((id) => {
    const v = main.find((x) => x.id === id)!;
    return { ...v, id: `${id}-article`, page: "article", path: ARTICLE_PATH, reference: "passthrough-article" };
  });

  // Diagnostics (cost attribution, not judged): the worker's fixed cost on a host with no
  // live experiments, the 10-experiment case without the split-cache lookup, the
  // platform-cost ladder, the contract floor and the assignment-only peer.
  const diagnostic: Variant[] = [];
  if (diagnostics) {
    const port = await add("ours-no-live", ourModules, ourBindings(10, {}, 1));
    diagnostic.push({
      id: "ours-no-live-returning",
      label: "edge enrollment, host with no live experiments",
      kind: "ours",
      experiments: 0,
      visitor: "returning",
      port,
      headers: returning,
      diagnostic: "fixed cost: header strip, cookie scan, KV memo, Vary rewrite; no token check, no enrollment, no no-store",
    });
    const nocache = await add("ours-10-nocache", ourModules, ourBindings(10, { BENCH_HIDE_CACHE_API: "1" }));
    diagnostic.push({
      id: "ours-10-nocache-returning",
      label: "edge enrollment, Cache API hidden",
      kind: "ours",
      experiments: 10,
      visitor: "returning",
      port: nocache,
      headers: returning,
      diagnostic: "as ours-10-returning without the split-cache path (so without no-store) before the origin fetch",
    });
    for (const [step, stepLabel] of LADDER) {
      const p = await add(`ladder-${step}`, [{ name: "main.js", path: built.ladder }], { ORIGIN_URL: origin.url, STEP: step });
      diagnostic.push({ id: `ladder-${step}`, label: stepLabel, kind: "ladder", experiments: null, visitor: null, port: p, headers: returning, diagnostic: "platform cost only, no enrollment logic" });
    }
    const contractPort = await add("floor-contract", [{ name: "main.js", path: built.ladder }], { ORIGIN_URL: origin.url, STEP: "contract" });
    diagnostic.push({
      id: "floor-contract",
      label: "contract floor: the floor + the header work of the contract (spoof and hop-by-hop strip, cookie cut, Vary rewrite, Server-Timing append)",
      kind: "ladder",
      experiments: null,
      visitor: null,
      port: contractPort,
      headers: returning,
      diagnostic: "platform cost only, no enrollment logic",
    });
    const directPort = await add("gb-direct-10", [{ name: "main.js", path: built["growthbook-direct"] }], {
      ORIGIN_URL: origin.url,
      GROWTHBOOK_API_HOST: "http://127.0.0.1:9",
      BENCH_GB_PAYLOAD: JSON.stringify(growthBookFeaturesPayload(10)),
    });
    diagnostic.push({
      id: "gb-direct-10",
      label: "assignment-only peer (@growthbook/growthbook)",
      kind: "growthbook-direct",
      experiments: 10,
      visitor: "returning",
      port: directPort,
      headers: visitorHeaders("gb-returning", token),
      diagnostic: "less work than ours: no response re-wrap, no no-store, cookie not kept from the origin",
    });
  }
  const changePort = await add("ours-change", ourModules, ourBindings(100, { CONFIG_REFRESH_MS: String(CHANGE_REFRESH_MS) }));
  return { services, variants: [...main, ...article, ...diagnostic], microPort, changePort };
}
