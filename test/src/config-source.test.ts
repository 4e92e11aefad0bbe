import { describe, expect, it } from "vitest";
import { acceptConfigDocument, acceptConfigResponse, decodeUtf8, isJsonContentType, pollRequestHeaders, readCapped, screenConfigResponse } from "../../src/config-source.js";
import { MAX_CONFIG_BYTES } from "../../src/contract.js";
import { WORKER_VERSION } from "../../src/version.js";
import pkg from "../../package.json" with { type: "json" };
import { sampleConfig } from "../fixtures/config.js";

const GOOD = new TextEncoder().encode(JSON.stringify(sampleConfig()));
const JSON_TYPE = "application/json; charset=utf-8";

describe("acceptConfigResponse: one verdict for the poller and the tools (contract §1, §7)", () => {
  it("accepts a 200 with a JSON type and a valid document, and returns its text and compiled form", () => {
    const r = acceptConfigResponse(200, JSON_TYPE, GOOD);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.text).toBe(JSON.stringify(sampleConfig()));
      expect(r.config.hosts.has("en.wikipedia.org")).toBe(true);
    }
    expect(acceptConfigResponse(200, "application/json", GOOD).ok).toBe(true);
  });

  it("refuses each wrong answer with one kind and one line", () => {
    const cases: [number, string | null, Uint8Array | null, string, string][] = [
      [500, JSON_TYPE, GOOD, "status", "HTTP 500, expected 200"],
      [304, JSON_TYPE, GOOD, "status", "HTTP 304, expected 200"],
      [200, "text/html", GOOD, "content-type", 'Content-Type "text/html", expected application/json'],
      [200, null, GOOD, "content-type", "Content-Type missing, expected application/json"],
      [200, "application/json; charset=iso-8859-1", GOOD, "content-type", 'Content-Type "application/json; charset=iso-8859-1", expected application/json (a charset, if given, must be utf-8)'],
      [200, JSON_TYPE, null, "too-large", "body over the 5 MB cap"],
      [200, JSON_TYPE, new Uint8Array([0x7b, 0xff, 0x7d]), "not-utf-8", "body is not valid UTF-8"],
      [200, JSON_TYPE, new TextEncoder().encode('{"short": {}}'), "invalid", "config failed validation (1 problem)"],
      [200, JSON_TYPE, new Uint8Array(0), "invalid", "config failed validation (1 problem)"],
    ];
    for (const [status, type, body, kind, reason] of cases) {
      expect(acceptConfigResponse(status, type, body), `${status} ${type}`).toMatchObject({ ok: false, kind, reason });
    }
  });

  it("never suggests that a charset is required: a type without one is fine, and its refusal does not mention one", () => {
    expect(screenConfigResponse(200, "application/json")).toBeNull();
    expect(screenConfigResponse(200, "text/plain")!.reason).not.toMatch(/charset/);
  });

  it("lists every validation problem with its path", () => {
    const r = acceptConfigResponse(200, JSON_TYPE, new TextEncoder().encode('{"short": {}, "valid-name-x": {"start": "x"}}'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["$.short", '$["valid-name-x"].start']));
  });

  it("the head alone refuses a declared length over the cap, so the body need not be read", () => {
    expect(screenConfigResponse(200, JSON_TYPE, String(MAX_CONFIG_BYTES + 1))).toMatchObject({ kind: "too-large", reason: `body over the 5 MB cap (Content-Length: ${MAX_CONFIG_BYTES + 1} bytes)` });
    expect(screenConfigResponse(200, JSON_TYPE, String(MAX_CONFIG_BYTES))).toBeNull();
    expect(screenConfigResponse(200, JSON_TYPE, "not a number")).toBeNull();
  });

  it("a document alone (a file) follows the same body rules; a BOM is dropped", () => {
    expect(acceptConfigDocument(new Uint8Array(MAX_CONFIG_BYTES + 1))).toMatchObject({ kind: "too-large" });
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...GOOD]);
    expect(acceptConfigDocument(withBom)).toMatchObject({ ok: true, text: JSON.stringify(sampleConfig()) });
  });

  it("isJsonContentType: application/json with no charset or UTF-8, nothing else", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("application/json; charset=utf-8")).toBe(true);
    expect(isJsonContentType('Application/JSON;charset="UTF-8"')).toBe(true);
    expect(isJsonContentType("application/json; charset=iso-8859-1")).toBe(false);
    expect(isJsonContentType("application/json; profile=x")).toBe(false);
    expect(isJsonContentType("text/json")).toBe(false);
    expect(isJsonContentType("text/html")).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });

  it("readCapped stops at the cap and reads the rest of nothing", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1024));
      },
    });
    expect(await readCapped(stream, 4096)).toBeNull();
    expect(pulled).toBeLessThanOrEqual(6);
    expect(await readCapped(null)).toEqual(new Uint8Array(0));
  });
});

describe("pollRequestHeaders (contract §1)", () => {
  it("sends User-Agent: edge-enrollment/<version> and X-Experiment-Config-Poller", () => {
    expect(pollRequestHeaders(WORKER_VERSION, "here")).toEqual({ "User-Agent": `edge-enrollment/${WORKER_VERSION}`, "X-Experiment-Config-Poller": "here", Accept: "application/json" });
  });

  it("the version is package.json's", () => {
    expect(WORKER_VERSION).toBe(pkg.version);
  });
});


describe("isJsonContentType (contract §7)", () => {
  it.each([
    "application/json",
    "APPLICATION/JSON",
    " application/json ",
    "application/json;charset=utf-8",
    "application/json; charset=utf-8",
    "application/json ; charset = UTF-8 ",
    'application/json; charset="utf-8"',
    "application/json;\tcharset=utf-8\t",
  ])("accepts %j", (value) => {
    expect(isJsonContentType(value)).toBe(true);
  });

  it.each([
    null,
    "",
    "text/json",
    "text/html",
    "application/jsonp",
    "xapplication/json",
    "application/json;",
    "application/json; charset=iso-8859-1",
    "application/json; charset=utf-16",
    "application/json; charset=utf-8x",
    "application/json; charset=utf-8; profile=x",
    "application/json; profile=x",
    "application/json charset=utf-8",
    "application/json; charsetx=utf-8",
    "application/json;xcharset=utf-8",
    "application/json; charset=xutf-8",
    "application/json; charset utf-8",
    "application/json; charset=\"\"utf-8",
  ])("refuses %j", (value) => {
    expect(isJsonContentType(value)).toBe(false);
  });
});

const stream = (chunks: number[][]): ReadableStream<Uint8Array> => {
  let cancelled = false;
  const s = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(Uint8Array.from(next));
    },
    cancel() {
      cancelled = true;
    },
  });
  return Object.assign(s, { wasCancelled: () => cancelled });
};

describe("readCapped", () => {
  it("no body is no bytes", async () => {
    expect(await readCapped(null, 10)).toEqual(new Uint8Array(0));
  });

  it("joins the chunks in order", async () => {
    expect(Array.from((await readCapped(stream([[1, 2], [], [3], [4, 5, 6]]), 10))!)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("a body of exactly the cap is read whole", async () => {
    expect(Array.from((await readCapped(stream([[1, 2], [3, 4]]), 4))!)).toEqual([1, 2, 3, 4]);
  });

  it("one byte over the cap: null, and the rest is not read", async () => {
    const body = stream([[1, 2], [3, 4, 5], [6]]) as ReadableStream<Uint8Array> & { wasCancelled(): boolean };
    expect(await readCapped(body, 4)).toBeNull();
    expect(body.wasCancelled()).toBe(true);
  });

  it("an empty body under any cap is empty", async () => {
    expect(await readCapped(stream([]), 0)).toEqual(new Uint8Array(0));
  });
});

describe("decodeUtf8", () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);

  it("decodes UTF-8", () => {
    expect(decodeUtf8(new TextEncoder().encode('{"é": "ü"}'))).toBe('{"é": "ü"}');
  });

  it("drops a leading byte-order mark", () => {
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d))).toBe("{}");
  });

  it.each([
    ["a lone continuation byte", bytes(0x7b, 0x80, 0x7d)],
    ["Latin-1 é", bytes(0x22, 0xe9, 0x22)],
    ["a truncated sequence", bytes(0x7b, 0xe2, 0x82)],
    ["an overlong encoding", bytes(0xc0, 0xaf)],
  ])("refuses %s (no replacement characters)", (_, b) => {
    expect(decodeUtf8(b)).toBeNull();
  });
});

describe("refusals, exactly", () => {
  it("a head refusal carries no issues and no text", () => {
    expect(screenConfigResponse(500, JSON_TYPE)).toStrictEqual({ ok: false, kind: "status", reason: "HTTP 500, expected 200", issues: [] });
    expect(acceptConfigDocument(null)).toStrictEqual({ ok: false, kind: "too-large", reason: "body over the 5 MB cap", issues: [] });
  });

  // The charset hint is for a JSON type whose charset is wrong, whatever its case or spacing; never for another type.
  it.each([
    [" APPLICATION/JSON ; charset=latin1", true],
    ["application/json;charset=utf-16", true],
    ["xapplication/json; charset=utf-8", false],
    ["application/jsonp; charset=utf-8", false],
    ["application/jsonp", false],
  ])("the charset hint for %j: %s", (type, hinted) => {
    expect(screenConfigResponse(200, type)!.reason).toBe(`Content-Type ${JSON.stringify(type)}, expected application/json${hinted ? " (a charset, if given, must be utf-8)" : ""}`);
  });

  it("a Content-Length that is no finite number declares nothing: the body is read (and capped)", () => {
    expect(screenConfigResponse(200, JSON_TYPE, "Infinity")).toBeNull();
    expect(screenConfigResponse(200, JSON_TYPE, null)).toBeNull();
  });

  it("a body of exactly the cap is read and validated", () => {
    expect(acceptConfigDocument(new Uint8Array(MAX_CONFIG_BYTES))).toMatchObject({ ok: false, kind: "invalid" });
  });

  it("an invalid document: every issue, their count in the reason, and the text", () => {
    const text = '{"short": {}, "valid-name-x": {"start": "x"}}';
    const r = acceptConfigDocument(new TextEncoder().encode(text));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(`config failed validation (${r.issues.length} problems)`);
    expect(r.issues.length).toBeGreaterThan(1);
    expect(r.text).toBe(text);
  });
});
