import { describe, expect, it } from "vitest";
import {
  HIT_FOR_PASS_MS,
  HitForPass,
  MAX_PASS_MARKS,
  STORABLE_STATUS,
  cacheBase,
  isCompleteBody,
  isDecodedByPlatform,
  parseCacheControl,
  sharedKey,
  sharedLifetime,
  storability,
  variantKey,
} from "../../src/cache-policy.js";
import { ENROLLMENTS_TOKEN, parseVary } from "../../src/vary.js";
import { lazy } from "../helpers/lazy.js";

const NO_VARY = lazy(() => parseVary(null));
const SPLIT = lazy(() => parseVary("X-Experiment-Enrollments, Accept-Encoding"));
const ok = (lifetime: number) => ({ storable: true, lifetime });
const no = (reason: string) => ({ storable: false, reason });
const verdict = (cacheControl: string | null, status = 200, setCookie = false, vary = SPLIT()) => storability(status, cacheControl, setCookie, vary);

describe("storability: status codes", () => {
  it("exactly 200, 203, 301, 404 and 410 may be shared", () => {
    expect([...STORABLE_STATUS].sort((a, b) => a - b)).toEqual([200, 203, 301, 404, 410]);
  });

  it.each([200, 203, 301, 404, 410])("%i with s-maxage is stored", (status) => {
    expect(verdict("public, s-maxage=300", status)).toEqual(ok(300));
  });

  it.each([500, 501, 502, 503, 504, 206, 204, 302, 303, 304, 307, 308, 400, 401, 403, 429])(
    "%i is never stored, whatever its Cache-Control says",
    (status) => {
      expect(verdict("public, s-maxage=300", status)).toEqual(no("status"));
    },
  );
});

describe("storability: what makes a response personal", () => {
  it("a Set-Cookie is never shared", () => {
    expect(verdict("public, s-maxage=300", 200, true)).toEqual(no("set-cookie"));
  });

  it("Vary: * is never stored", () => {
    expect(verdict("public, s-maxage=300", 200, false, parseVary("Cookie, *"))).toEqual(no("vary-star"));
  });

  it.each([
    ["no-store", "no-store"],
    ["no-store, s-maxage=300", "no-store"],
    ["NO-STORE", "no-store"],
    ["private", "private"],
    ["private, max-age=300", "private"],
    ["s-maxage=300, private", "private"],
    ['private="Set-Cookie", s-maxage=300', "private"],
    ["Private, s-maxage=300", "private"],
    ["no-cache", "no-cache"],
    ["public, no-cache, s-maxage=300", "no-cache"],
    ['no-cache="Set-Cookie", s-maxage=300', "no-cache"],
    ["s-maxage=300,no-cache", "no-cache"],
    ["No-Cache, max-age=60", "no-cache"],
  ])("Cache-Control %j: not stored (%s)", (cc, reason) => {
    expect(verdict(cc)).toEqual(no(reason));
  });

  it("the most restrictive reason is reported first: status, Set-Cookie, Vary: *, no-store, private, no-cache, lifetime", () => {
    const star = parseVary("*");
    expect(storability(503, "no-store, private, no-cache", true, star)).toEqual(no("status"));
    expect(storability(200, "no-store, private, no-cache", true, star)).toEqual(no("set-cookie"));
    expect(storability(200, "no-store, private, no-cache", false, star)).toEqual(no("vary-star"));
    expect(storability(200, "no-cache, private, no-store", false, SPLIT())).toEqual(no("no-store"));
    expect(storability(200, "no-cache, private", false, SPLIT())).toEqual(no("private"));
    expect(storability(200, "no-cache", false, SPLIT())).toEqual(no("no-cache"));
    expect(storability(200, null, false, SPLIT())).toEqual(no("no-lifetime"));
  });

  it("a directive's name only counts as a name: inside another's quoted value it is not one", () => {
    expect(verdict('ext="private, no-cache, no-store", s-maxage=60')).toEqual(ok(60));
  });

  it("look-alike directive names do not count", () => {
    expect(verdict("no-stored, privately, no-cached, s-maxage=60")).toEqual(ok(60));
  });

  it("a response that varies on nothing is stored like one that varies on us", () => {
    expect(verdict("s-maxage=60", 200, false, NO_VARY())).toEqual(ok(60));
  });
});

describe("storability: an explicit lifetime, s-maxage before max-age", () => {
  it.each([
    ["s-maxage alone", "s-maxage=300", ok(300)],
    ["max-age alone", "max-age=120", ok(120)],
    ["s-maxage wins over a longer max-age", "max-age=600, s-maxage=30", ok(30)],
    ["s-maxage wins over a shorter max-age", "s-maxage=600, max-age=30", ok(600)],
    ["s-maxage=0 wins over max-age: not stored", "s-maxage=0, max-age=300", no("no-lifetime")],
    ["max-age=0 does not hide s-maxage", "max-age=0, s-maxage=300", ok(300)],
    ["an invalid s-maxage is stale, even with max-age", "s-maxage=soon, max-age=300", no("no-lifetime")],
    ["s-maxage without a value is stale", "s-maxage, max-age=300", no("no-lifetime")],
    ["max-age=0", "max-age=0", no("no-lifetime")],
    ["a negative max-age", "max-age=-1", no("no-lifetime")],
    ["a fractional max-age", "max-age=1.5", no("no-lifetime")],
    ["a quoted lifetime is read", 's-maxage="300"', ok(300)],
    ["the first of two max-age counts", "max-age=300, max-age=0", ok(300)],
    ["the first of two max-age counts, either way", "max-age=0, max-age=300", no("no-lifetime")],
    ["no lifetime at all", "public", no("no-lifetime")],
    ["no Cache-Control", null, no("no-lifetime")],
    ["an empty Cache-Control", "", no("no-lifetime")],
    ["names and values in any case", "S-MaxAge=45", ok(45)],
    ["a huge lifetime is capped at 2^31 s", "max-age=99999999999999", ok(2 ** 31)],
  ])("%s", (_, cc, expected) => {
    expect(verdict(cc)).toEqual(expected);
  });

  it("sharedLifetime reads the parsed directives", () => {
    expect(sharedLifetime(parseCacheControl("max-age=5"))).toBe(5);
    expect(sharedLifetime(parseCacheControl("max-age=5, s-maxage=7"))).toBe(7);
    expect(sharedLifetime(parseCacheControl("max-age=2147483648"))).toBe(2 ** 31);
    expect(sharedLifetime(parseCacheControl("max-age=2147483647"))).toBe(2 ** 31 - 1);
    expect(sharedLifetime(parseCacheControl("private"))).toBeNull();
  });
});

describe("parseCacheControl", () => {
  it("drops a directive with no name (\"=60\"), whatever follows it", () => {
    expect([...parseCacheControl("=60")]).toEqual([]);
    expect([...parseCacheControl(" =60, max-age=5")]).toEqual([["max-age", "5"]]);
  });

  it("lower-cases names, unquotes values, keeps the first of each, skips empty members", () => {
    expect([...parseCacheControl(' Public ,, Max-Age = 60, max-age=0, no-cache="Set-Cookie, X-Foo", ext="a\\"b,c"')]).toEqual([
      ["public", null],
      ["max-age", "60"],
      ["no-cache", "Set-Cookie, X-Foo"],
      ["ext", 'a\\"b,c'],
    ]);
  });

  it.each([
    ['ext="', '"'],
    ['ext=""', ""],
    ['ext=x"', 'x"'],
    ['ext="x', '"x'],
  ])("only a value quoted at both ends is unquoted: %s", (cc, value) => {
    expect([...parseCacheControl(cc)]).toEqual([["ext", value]]);
  });

  it("an empty value is empty, not absent", () => {
    expect([...parseCacheControl("max-age=")]).toEqual([["max-age", ""]]);
  });

  it("no header, no directives", () => {
    expect(parseCacheControl(null).size).toBe(0);
  });
});

describe("isCompleteBody: a stored body has the length it declared", () => {
  it.each([
    [null, 0, true],
    [null, 1234, true],
    ["0", 0, true],
    ["5", 5, true],
    ["1234", 1234, true],
    ["1234", 123, false],
    [" 5 ", 5, true],
    ["5", 4, false],
    ["5", 6, false],
    ["5", 0, false],
    ["", 0, false],
    ["abc", 0, false],
    ["-5", 5, false],
    ["5.0", 5, false],
    ["0x5", 5, false],
    ["5, 5", 5, false],
  ])("Content-Length %j with %i bytes: %s", (contentLength, bytes, complete) => {
    expect(isCompleteBody(contentLength, null, bytes)).toBe(complete);
    expect(isCompleteBody(contentLength, "identity", bytes)).toBe(complete);
  });

  it.each([["identity"], ["deflate"], ["zstd"], ["GZIP"], ["gzip, br"], ["x-gzip"]])(
    "Content-Encoding %j arrives as sent: its length is checked",
    (encoding) => {
      expect(isCompleteBody("5", encoding, 4)).toBe(false);
      expect(isCompleteBody("5", encoding, 5)).toBe(true);
    },
  );

  it.each([["gzip"], ["br"]])("Content-Encoding %j arrives decoded: Content-Length counts other bytes, so it is not compared", (encoding) => {
    expect(isCompleteBody("35", encoding, 240)).toBe(true);
    expect(isCompleteBody("35", encoding, 10)).toBe(true);
  });

  it("exactly gzip and br are decoded by the platform", () => {
    expect(["gzip", "br", "GZIP", "Br", " gzip", "gzip, br", "deflate", "identity", "", null].filter(isDecodedByPlatform)).toEqual(["gzip", "br"]);
  });
});

describe("cache keys", () => {
  it("live under a versioned base on the host exactly as the origin saw it", () => {
    expect(cacheBase("en.wikipedia.org")).toBe("https://en.wikipedia.org/__edge-enrollment-cache/v1");
    expect(cacheBase("en.wikipedia.org.:8443")).toBe("https://en.wikipedia.org.:8443/__edge-enrollment-cache/v1");
    expect(sharedKey("en.wikipedia.org", "/wiki/Cat?x=1")).toBe("https://en.wikipedia.org/__edge-enrollment-cache/v1/shared/wiki/Cat?x=1");
  });

  const none = () => null;
  const headersOf = (values: Record<string, string>) => (name: string) => values[name] ?? null;

  it("golden vectors (unchanged from the first scheme): a change of digest must bump the base version", () => {
    expect(variantKey("en.wikipedia.org", "/wiki/Cat", [ENROLLMENTS_TOKEN], "exp-one=a;", none)).toBe(
      "https://en.wikipedia.org/__edge-enrollment-cache/v1/v/tMZhWYnehmIqlKRMQK8w4w/wiki/Cat",
    );
    expect(variantKey("en.wikipedia.org", "/wiki/Cat?x=1", ["cookie", ENROLLMENTS_TOKEN], "", headersOf({ cookie: "session=1" }))).toBe(
      "https://en.wikipedia.org/__edge-enrollment-cache/v1/v/pWpqhIXE81_8ErHiIRyd0A/wiki/Cat?x=1",
    );
    expect(variantKey("en.wikipedia.org", "/", [], "", none)).toBe("https://en.wikipedia.org/__edge-enrollment-cache/v1/v/en5OzCnubfltjXjTrta2Bw/");
  });

  it("the enrollment string is part of the key: each group has its own copy, unenrolled visitors share one", () => {
    const key = (enrollments: string) => variantKey("en.wikipedia.org", "/wiki/Cat", [ENROLLMENTS_TOKEN], enrollments, none);
    expect(key("exp-one=a;")).not.toBe(key("exp-one=b;"));
    expect(key("exp-one=a;")).not.toBe(key(""));
    expect(key("")).toBe(key(""));
  });

  it("for our token the enrollment string counts, never a request header of that name", () => {
    const spoof = headersOf({ [ENROLLMENTS_TOKEN]: "exp-one=b;" });
    expect(variantKey("h", "/p", [ENROLLMENTS_TOKEN], "exp-one=a;", spoof)).toBe(variantKey("h", "/p", [ENROLLMENTS_TOKEN], "exp-one=a;", none));
  });

  it("each varied request header's value is part of the key; absent differs from empty", () => {
    const key = (cookie: string | null) =>
      variantKey("h", "/p", ["cookie", ENROLLMENTS_TOKEN], "", (name) => (name === "cookie" ? cookie : null));
    expect(key("session=alice")).not.toBe(key("session=bob"));
    expect(key(null)).not.toBe(key(""));
    expect(key(null)).not.toBe(key("null"));
    expect(key("session=alice")).toBe(key("session=alice"));
  });

  it("the enrollment string is only keyed when the response varies on it", () => {
    const key = (enrollments: string) => variantKey("h", "/p", ["cookie"], enrollments, headersOf({ cookie: "c" }));
    expect(key("exp-one=a;")).toBe(key("exp-one=b;"));
  });

  it("names and values cannot run into each other", () => {
    const a = variantKey("h", "/p", ["a", "b"], "", headersOf({ a: "1", b: "2" }));
    const b = variantKey("h", "/p", ["a", "b"], "", headersOf({ a: "1\u0000b\u00002", b: "" }));
    expect(a).not.toBe(b);
    expect(variantKey("h", "/p", ["ab"], "", headersOf({ ab: "" }))).not.toBe(variantKey("h", "/p", ["a"], "", headersOf({ a: "b" })));
  });

  it("host and path are in the key", () => {
    expect(variantKey("h1", "/p", [], "", none)).not.toBe(variantKey("h2", "/p", [], "", none));
    expect(variantKey("h", "/p?a", [], "", none)).toMatch(/\/v\/[A-Za-z0-9_-]{22}\/p\?a$/);
  });
});

describe("HitForPass (the clock is passed in)", () => {
  const T = 1_000_000;

  it("defaults: a minute, ten thousand marks", () => {
    expect(HIT_FOR_PASS_MS).toBe(60_000);
    expect(MAX_PASS_MARKS).toBe(10_000);
  });

  it("an unmarked URL is looked up", () => {
    expect(new HitForPass().passing("k", T)).toBe(false);
  });

  it("an unstorable response marks the URL for exactly ttl ms", () => {
    const marks = new HitForPass(1000);
    marks.record("k", false, T);
    expect(marks.passing("k", T)).toBe(true);
    expect(marks.passing("k", T + 999)).toBe(true);
    expect(marks.passing("k", T + 1000)).toBe(false);
    expect(marks.size).toBe(0);
  });

  it("the default window is HIT_FOR_PASS_MS", () => {
    const marks = new HitForPass();
    marks.record("k", false, T);
    expect(marks.passing("k", T + HIT_FOR_PASS_MS - 1)).toBe(true);
    expect(marks.passing("k", T + HIT_FOR_PASS_MS)).toBe(false);
  });

  it("a storable response clears the mark at once", () => {
    const marks = new HitForPass(1000);
    marks.record("k", false, T);
    marks.record("k", true, T + 1);
    expect(marks.passing("k", T + 2)).toBe(false);
    expect(marks.size).toBe(0);
  });

  it("a storable response for an unmarked URL sets nothing", () => {
    const marks = new HitForPass(1000);
    marks.record("k", true, T);
    expect(marks.size).toBe(0);
  });

  it("another unstorable response while marked does not extend the window", () => {
    const marks = new HitForPass(1000);
    marks.record("k", false, T);
    marks.record("k", false, T + 900);
    expect(marks.passing("k", T + 1000)).toBe(false);
  });

  it("after the window, an unstorable response marks it again", () => {
    const marks = new HitForPass(1000);
    marks.record("k", false, T);
    marks.record("k", false, T + 1000);
    expect(marks.passing("k", T + 1999)).toBe(true);
  });

  it("marks are per key", () => {
    const marks = new HitForPass(1000);
    marks.record("a", false, T);
    expect(marks.passing("b", T)).toBe(false);
  });

  it("is bounded: at the limit the oldest tenth is dropped in one go", () => {
    const marks = new HitForPass(1000, 20);
    for (let i = 0; i < 20; i++) marks.record(`k${i}`, false, T);
    expect(marks.size).toBe(20);
    marks.record("new", false, T);
    expect(marks.size).toBe(19);
    expect(marks.passing("k0", T)).toBe(false);
    expect(marks.passing("k1", T)).toBe(false);
    expect(marks.passing("k2", T)).toBe(true);
    expect(marks.passing("new", T)).toBe(true);
  });

  it("a small limit still drops at least one", () => {
    const marks = new HitForPass(1000, 3);
    for (const k of ["a", "b", "c", "d"]) marks.record(k, false, T);
    expect(marks.size).toBe(3);
    expect(marks.passing("a", T)).toBe(false);
    expect(marks.passing("b", T)).toBe(true);
  });
});
