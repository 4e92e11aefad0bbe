import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveConfig } from "../fixtures/config.js";
import { startWrappedWorker, type WrappedWorker } from "../helpers/fault-harness.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";

/**
 * The vars only the self-hosted profile sets (selfhost/, contract §11), inside workerd:
 * absent they mean today's Cloudflare behaviour; SPLIT_CACHE = "off" takes the no-cache
 * path (raw workerd has none), STATUS_ROUTE = "off" proxies the status path, COUNTRY_HEADER
 * is a header name. A bad value is logged and replaced by its default.
 */

const PAGE = "https://en.wikipedia.org/wiki/Main_Page";
const doc = liveConfig();
let origin: StubServer;
let configApi: StubServer;

beforeAll(async () => {
  // Storable and varied on the enrollments: the split cache would keep it.
  origin = await startStub((req, res) => {
    res.writeHead(200, { "content-type": "text/html", vary: "X-Experiment-Enrollments", "cache-control": "s-maxage=300" });
    res.end(`origin ${req.url}`);
  });
  configApi = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(doc));
  });
});

afterAll(async () => {
  await origin?.close();
  await configApi?.close();
});

async function withWorker(vars: Record<string, string>, fn: (w: WrappedWorker) => Promise<void>): Promise<void> {
  const w = await startWrappedWorker({ CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: origin.url, ...vars });
  try {
    await w.poll();
    await fn(w);
  } finally {
    await w.dispose();
  }
}

async function twoPageViews(w: WrappedWorker): Promise<number> {
  const before = origin.requests.length;
  const first = await w.fetch(PAGE);
  await first.text();
  const cookie = /WMF-Uniq=([^;]+)/.exec(first.headers.get("set-cookie") ?? "")![1];
  await (await w.fetch(PAGE, { headers: { cookie: `WMF-Uniq=${cookie}` } })).text();
  await (await w.fetch(PAGE, { headers: { cookie: `WMF-Uniq=${cookie}` } })).text();
  return origin.requests.length - before;
}

describe("self-hosted settings", () => {
  it("absent: the split cache and the status route work as on Cloudflare", async () => {
    await withWorker({}, async (w) => {
      expect(await twoPageViews(w)).toBeLessThan(3);
      const s = await w.status();
      expect(s.settings).toMatchObject({ splitCache: true, countryHeader: null, errors: [] });
      expect(s.counters.cache.miss).toBeGreaterThan(0);
    });
  });

  it('SPLIT_CACHE = "off": every page view goes to the origin, the Cache API is never touched', async () => {
    await withWorker({ SPLIT_CACHE: "off", COUNTRY_HEADER: "X-GeoIP-Country" }, async (w) => {
      expect(await twoPageViews(w)).toBe(3);
      const s = await w.status();
      expect(s.settings).toMatchObject({ splitCache: false, countryHeader: "x-geoip-country", errors: [] });
      expect(s.counters.cache).toEqual({ hit: 0, miss: 0, pass: 0, stored: 0 });
      expect(w.log.events().filter((e) => e.startsWith("cache."))).toEqual([]);
    });
  });

  it('STATUS_ROUTE = "off": the status path is proxied like any page', async () => {
    await withWorker({ STATUS_ROUTE: "off" }, async (w) => {
      const res = await w.fetch("https://en.wikipedia.org/_enrollment/status");
      expect(await res.text()).toBe("origin /_enrollment/status");
      // Enrolled like any page: the header carries one or more pairs (contract §4).
      expect(origin.requests.at(-1)!.headers["x-experiment-enrollments"]).toMatch(/^(?:[-_.A-Za-z0-9]+=[-_.A-Za-z0-9]+;)+$/);
    });
  });

  it("a bad value is logged, shown, and replaced by its default", async () => {
    await withWorker({ SPLIT_CACHE: "no", STATUS_ROUTE: "false", COUNTRY_HEADER: "X Country:" }, async (w) => {
      const s = await w.status();
      expect(s.settings).toMatchObject({ splitCache: true, countryHeader: null });
      const errors = [
        'SPLIT_CACHE: must be "on", "off" or empty; using the default',
        'STATUS_ROUTE: must be "on", "off" or empty; using the default',
        "COUNTRY_HEADER: must be empty or a header name; using the default",
      ];
      expect(s.settings.errors).toEqual(errors);
      const logged = await w.log.take("settings.invalid");
      expect(logged).toHaveLength(1);
      expect(logged[0]!.json!["errors"]).toEqual(errors);
    });
  });
});
