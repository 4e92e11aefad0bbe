import { describe, expect, it } from "vitest";
import { decodeUtf8, isJsonContentType, readCapped } from "../../src/config-source.js";

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
