import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseKeyRing } from "../../src/keyring.js";
import { mintToken } from "../../src/token.js";
import { DEV_KEYS } from "../fixtures/config.js";
import { expectedFor } from "../helpers/expect-enrollment.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";
import { startWorker, type Harness } from "../helpers/worker-harness.js";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
const doc = {
  "cache-split-test": {
    start: iso(Date.now() - DAY),
    end: iso(Date.now() + 30 * DAY),
    domains: {
      "en.wikipedia.org": { groups: { a: [0, 49999], b: [50000, 99999] } },
      "de.wikipedia.org": { groups: { a: [0, 4999], b: [5000, 9999] } },
    },
  },
};

let origin: StubServer;
let configApi: StubServer;
let h: Harness;
let originHeaders: Record<string, string>;
let counter = 0;

beforeAll(async () => {
  origin = await startStub((req, res) => variantEcho(req, res));
  configApi = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(doc));
  });
  h = await startWorker({ CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: origin.url });
  await h.poll();
});

afterAll(async () => {
  await h.dispose();
  await origin.close();
  await configApi.close();
});

const variantEcho = (req: { headers: Record<string, string | string[] | undefined> }, res: import("node:http").ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain", ...originHeaders });
  res.end(`variant=${req.headers["x-experiment-enrollments"] ?? "(none)"} n=${++counter}`);
};

beforeEach(() => {
  originHeaders = { vary: "X-Experiment-Enrollments, Accept-Encoding", "cache-control": "public, s-maxage=300" };
  origin.requests.length = 0;
  origin.handler = variantEcho;
});

const ring = (() => {
  const r = parseKeyRing(DEV_KEYS);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
})();

/** A cookie whose page header on `host` is `want` ("" = not enrolled). */
function visitor(host: string, want: string): string {
  for (;;) {
    const { value } = mintToken(ring, Date.now(), (b) => crypto.getRandomValues(b));
    if (expectedFor(doc, value, host).page === want) return value;
  }
}

let path = 0;
const get = async (url: string, cookie: string, method = "GET") => {
  const res = await h.fetch(url, { method, headers: { cookie: `WMF-Uniq=${cookie}` } });
  return { res, body: await res.text() };
};

describe("enrollment-aware caching (real Cache API)", () => {
  it("two visitors in different groups never see each other's variant; each variant is cached", async () => {
    const url = `https://en.wikipedia.org/wiki/Split_${++path}`;
    const a = visitor("en.wikipedia.org", "cache-split-test=a;");
    const b = visitor("en.wikipedia.org", "cache-split-test=b;");
    const a1 = await get(url, a);
    const b1 = await get(url, b);
    const a2 = await get(url, a);
    const b2 = await get(url, b);
    expect(a1.body).toMatch(/^variant=cache-split-test=a; /);
    expect(b1.body).toMatch(/^variant=cache-split-test=b; /);
    expect(a2.body).toBe(a1.body);
    expect(b2.body).toBe(b1.body);
    expect(origin.requests).toHaveLength(2);
    // Delivered Vary never mentions our token, cached or not.
    expect(a2.res.headers.get("vary")).toBe("Accept-Encoding");
    expect(a1.res.headers.get("vary")).toBe("Accept-Encoding");
  });

  it("unenrolled visitors share one cached copy", async () => {
    const url = `https://de.wikipedia.org/wiki/Shared_${++path}`;
    const x = visitor("de.wikipedia.org", "");
    const y = visitor("de.wikipedia.org", "");
    const first = await get(url, x);
    const second = await get(url, y);
    expect(first.body).toMatch(/^variant=\(none\)/);
    expect(second.body).toBe(first.body);
    expect(origin.requests).toHaveLength(1);
    // An enrolled visitor on the same URL gets the origin, not the shared copy.
    const enrolled = await get(url, visitor("de.wikipedia.org", "cache-split-test=a;"));
    expect(enrolled.body).toMatch(/^variant=cache-split-test=a; /);
  });

  it("a response that does not vary is shared across groups", async () => {
    originHeaders = { "cache-control": "public, s-maxage=300" };
    const url = `https://en.wikipedia.org/w/load.php?modules=site&n=${++path}`;
    const a = await get(url, visitor("en.wikipedia.org", "cache-split-test=a;"));
    const b = await get(url, visitor("en.wikipedia.org", "cache-split-test=b;"));
    expect(b.body).toBe(a.body);
    expect(origin.requests).toHaveLength(1);
  });

  it.each([
    ["Cache-Control: private", { "cache-control": "private, max-age=300" }],
    ["Cache-Control: no-store", { "cache-control": "no-store" }],
    ["no lifetime", {}],
    ["a Set-Cookie", { "cache-control": "public, s-maxage=300", "set-cookie": "session=1" }],
  ])("does not cache a varied response with %s", async (_, extra) => {
    originHeaders = { vary: "X-Experiment-Enrollments", ...extra };
    const url = `https://en.wikipedia.org/wiki/Private_${++path}`;
    const a = visitor("en.wikipedia.org", "cache-split-test=a;");
    await get(url, a);
    await get(url, a);
    expect(origin.requests).toHaveLength(2);
  });

  it("honours Vary on a request header too: Cookie values never share a copy, no cookie shares one", async () => {
    originHeaders = { vary: "X-Experiment-Enrollments, Cookie", "cache-control": "public, s-maxage=300" };
    origin.handler = (req, res) => {
      res.writeHead(200, { "content-type": "text/plain", ...originHeaders });
      res.end(`cookie=${req.headers.cookie ?? "(none)"} n=${++counter}`);
    };
    const url = `https://en.wikipedia.org/wiki/Session_${++path}`;
    const a = visitor("en.wikipedia.org", "cache-split-test=a;");
    const a2 = visitor("en.wikipedia.org", "cache-split-test=a;");
    const fetchWith = async (cookie: string) => (await h.fetch(url, { headers: { cookie } })).text();
    const alice = await fetchWith(`WMF-Uniq=${a}; session=alice`);
    const bob = await fetchWith(`WMF-Uniq=${a2}; session=bob`);
    expect(alice).toMatch(/^cookie=session=alice /);
    expect(bob).toMatch(/^cookie=session=bob /);
    expect(await fetchWith(`WMF-Uniq=${a2}; session=alice`)).toBe(alice);
    const anon1 = await fetchWith(`WMF-Uniq=${a}`);
    const anon2 = await fetchWith(`WMF-Uniq=${a2}`);
    expect(anon1).toMatch(/^cookie=\(none\) /);
    expect(anon2).toBe(anon1);
    expect(origin.requests).toHaveLength(3);
  });

  it("hit-for-pass: after an unstorable response the lookup is skipped, and a storable one is kept at once", async () => {
    const status = async () => ((await (await h.fetch("https://en.wikipedia.org/_enrollment/status")).json()) as any).counters.cache;
    originHeaders = { vary: "X-Experiment-Enrollments", "cache-control": "private" };
    const url = `https://en.wikipedia.org/wiki/Pass_${++path}`;
    const a = visitor("en.wikipedia.org", "cache-split-test=a;");
    await get(url, a); // miss, not storable: marked hit-for-pass
    const before = await status();
    await get(url, a); // pass: no lookup
    const after = await status();
    expect(after.pass).toBe(before.pass + 1);
    expect(after.miss).toBe(before.miss);
    originHeaders = { vary: "X-Experiment-Enrollments", "cache-control": "public, s-maxage=300" };
    await get(url, a); // pass, but storable now: stored, mark cleared
    const third = await get(url, a); // hit
    expect(third.body).toMatch(/n=\d+$/);
    expect(origin.requests).toHaveLength(3);
    expect((await status()).hit).toBe(after.hit + 1);
  });

  it("never stores Vary: *", async () => {
    originHeaders = { vary: "*", "cache-control": "public, s-maxage=300" };
    const url = `https://en.wikipedia.org/wiki/Star_${++path}`;
    const a = visitor("en.wikipedia.org", "cache-split-test=a;");
    await get(url, a);
    await get(url, a);
    expect(origin.requests).toHaveLength(2);
  });

  it("HEAD is answered from the cached GET, without a body", async () => {
    const url = `https://en.wikipedia.org/wiki/Head_${++path}`;
    const a = visitor("en.wikipedia.org", "cache-split-test=a;");
    await get(url, a);
    const head = await get(url, a, "HEAD");
    expect(head.res.status).toBe(200);
    expect(head.body).toBe("");
    expect(origin.requests).toHaveLength(1);
  });

  it("hosts without live experiments are not stored by the worker", async () => {
    const url = `https://fr.wikipedia.org/wiki/Plain_${++path}`;
    const a = visitor("en.wikipedia.org", "cache-split-test=a;");
    await get(url, a);
    await get(url, a);
    expect(origin.requests).toHaveLength(2);
  });
});
