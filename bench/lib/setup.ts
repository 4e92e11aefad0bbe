import { join } from "node:path";
import { configText, DEV_KEY_RING, growthBookEdgePayload, growthBookFeaturesPayload } from "./fixtures.js";
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

const ENTRIES = ["micro", "passthrough", "ladder", "enrollment-host", "growthbook-edge", "growthbook-direct"] as const;

/** Platform-cost steps of bench/workers/ladder.ts, cheapest first. */
const LADDER = [
  ["copy-headers", "pass-through + request headers copied into new Headers"],
  ["wrap-response", "… + response re-wrapped to set Vary and Server-Timing"],
  ["no-store", "… re-wrap variant with `cache: \"no-store\"` on the origin fetch"],
  ["cache-lookup", "… + one Cache API lookup (miss) before the fetch"],
  ["hono", "… re-wrap variant inside a Hono app"],
] as const;

/**
 * Bundles the bench workers into `tmp` and lays out every service and variant.
 * `diagnostics` adds the cost-attribution variants (ladder steps and two variants of ours).
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
  const ourBindings = (n: number, extra: Record<string, string> = {}, firstHost = 0): Record<string, string> => ({
    ORIGIN_URL: origin.url,
    CONFIG_URL: "http://127.0.0.1:9/bench-never-polls-this",
    EVENTS_PATH: "/evt-103e/v2/events",
    COOKIE_DOMAIN: "",
    UNIQ_KEYS: DEV_KEY_RING,
    BENCH_CONFIG_TEXT: configText(n, 1, "bench_experiment", firstHost),
    BENCH_CONFIG_VERSION: `bench-${n}-${firstHost}`,
    ...extra,
  });

  const microPort = await add("micro", [{ name: "main.js", path: built.micro }], {});
  const variants: Variant[] = [];
  const passPort = await add("passthrough", [{ name: "main.js", path: built.passthrough }], { ORIGIN_URL: origin.url });
  variants.push({
    id: "passthrough",
    label: "pass-through `fetch(origin)`",
    kind: "passthrough",
    experiments: null,
    visitor: null,
    port: passPort,
    headers: visitorHeaders("ours-returning", token),
  });
  for (const n of EXPERIMENTS) {
    const port = await add(`ours-${n}`, ourModules, ourBindings(n));
    const label = "edge enrollment (dist/worker.js)";
    variants.push({ id: `ours-${n}-returning`, label, kind: "ours", experiments: n, visitor: "returning", port, headers: visitorHeaders("ours-returning", token) });
    variants.push({ id: `ours-${n}-first`, label, kind: "ours", experiments: n, visitor: "first", port, headers: visitorHeaders("ours-first", token) });
  }
  // Diagnostics (cost attribution, not judged): the worker's fixed cost on a host with no
  // live experiments, the 10-experiment case without the split-cache lookup, and the
  // platform-cost ladder.
  if (diagnostics) {
    const port = await add("ours-no-live", ourModules, ourBindings(10, {}, 1));
    variants.push({
      id: "ours-no-live-returning",
      label: "edge enrollment, host with no live experiments",
      kind: "ours",
      experiments: 0,
      visitor: "returning",
      port,
      headers: visitorHeaders("ours-returning", token),
      diagnostic: "fixed cost: Hono, header copy, cookie scan, KV memo, Vary rewrite; no token check, no enrollment",
    });
    const nocache = await add("ours-10-nocache", ourModules, ourBindings(10, { BENCH_HIDE_CACHE_API: "1" }));
    variants.push({
      id: "ours-10-nocache-returning",
      label: "edge enrollment, Cache API hidden",
      kind: "ours",
      experiments: 10,
      visitor: "returning",
      port: nocache,
      headers: visitorHeaders("ours-returning", token),
      diagnostic: "as ours-10-returning without the split-cache lookup before the origin fetch",
    });
    for (const [step, label] of LADDER) {
      const port = await add(`ladder-${step}`, [{ name: "main.js", path: built.ladder }], { ORIGIN_URL: origin.url, STEP: step });
      variants.push({
        id: `ladder-${step}`,
        label,
        kind: "ladder",
        experiments: null,
        visitor: null,
        port,
        headers: visitorHeaders("ours-returning", token),
        diagnostic: "platform cost only, no enrollment logic",
      });
    }
  }
  for (const n of EXPERIMENTS) {
    const port = await add(`gb-direct-${n}`, [{ name: "main.js", path: built["growthbook-direct"] }], {
      ORIGIN_URL: origin.url,
      GROWTHBOOK_API_HOST: "http://127.0.0.1:9",
      BENCH_GB_PAYLOAD: JSON.stringify(growthBookFeaturesPayload(n)),
    });
    variants.push({
      id: `gb-direct-${n}`,
      label: "assignment-only peer (@growthbook/growthbook)",
      kind: "growthbook-direct",
      experiments: n,
      visitor: "returning",
      port,
      headers: visitorHeaders("gb-returning", token),
    });
  }
  for (const n of EXPERIMENTS) {
    const port = await add(`gb-edge-${n}`, [{ name: "main.js", path: built["growthbook-edge"] }], {
      PROXY_TARGET: origin.url,
      GROWTHBOOK_CLIENT_KEY: "sdk-bench",
      GROWTHBOOK_API_HOST: "http://127.0.0.1:9",
      NODE_ENV: "production",
      BENCH_GB_PAYLOAD: JSON.stringify(growthBookEdgePayload(n)),
    });
    variants.push({
      id: `gb-edge-${n}`,
      label: "GrowthBook edge worker (@growthbook/edge-cloudflare)",
      kind: "growthbook-edge",
      experiments: n,
      visitor: "returning",
      port,
      headers: visitorHeaders("gb-returning", token),
    });
  }
  const changePort = await add("ours-change", ourModules, ourBindings(100, { CONFIG_REFRESH_MS: String(CHANGE_REFRESH_MS) }));
  return { services, variants, microPort, changePort };
}
