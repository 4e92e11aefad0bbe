import { readFileSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PORTS, startEmulation, type Emulation } from "../../emulation/emulation.js";

/**
 * Every address the READMEs list for the emulation answers: each `http://…:8787..8790`
 * address in README.md and emulation/README.md is sent to a running emulation (on free
 * ports, mapped from the defaults), as the README says to send it: POST where the text
 * before it says POST (`curl -X POST`), GET otherwise; a `*.localhost` name goes to
 * 127.0.0.1 with its Host header, as a browser (or `curl --resolve`) sends it.
 */

const FILES = ["README.md", "emulation/README.md"];
const DEFAULT_TO_KEY = new Map<number, keyof typeof DEFAULT_PORTS>(Object.entries(DEFAULT_PORTS).map(([k, v]) => [v, k as keyof typeof DEFAULT_PORTS]));

interface Listed {
  readonly file: string;
  readonly method: "GET" | "POST";
  readonly url: URL;
}

function listedAddresses(): Listed[] {
  const out: Listed[] = [];
  for (const file of FILES) {
    const text = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
    for (const m of text.matchAll(/http:\/\/[a-z0-9.-]+:(\d{4})[^\s'`*)<>"]*/g)) {
      if (!DEFAULT_TO_KEY.has(Number(m[1]))) continue;
      const before = text.slice(Math.max(0, m.index - 20), m.index);
      out.push({ file, method: /POST\s+'?$/.test(before) ? "POST" : "GET", url: new URL(m[0].replace(/[.,:;]+$/, "")) });
    }
  }
  return out;
}

function send(port: number, host: string, path: string, method: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers: { host: `${host}:${port}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the addresses the READMEs list for the emulation", () => {
  let emu: Emulation;
  const listed = listedAddresses();

  beforeAll(async () => {
    emu = await startEmulation({ ports: { worker: 0, configApi: 0, origin: 0, control: 0 }, pollIntervalMs: 0 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("are found: both READMEs list the pages, the status, the events, the control and the config API", () => {
    const shown = listed.map((l) => `${l.method} ${l.url.href}`);
    expect(shown).toEqual(
      expect.arrayContaining([
        "GET http://en.wikipedia.localhost:8787/wiki/Main_Page",
        "GET http://en.wikipedia.localhost:8787/_enrollment/status",
        "GET http://127.0.0.1:8789/_emulation/events",
        "POST http://127.0.0.1:8790/_emulation/poll",
        "POST http://127.0.0.1:8790/_emulation/mode?mode=error500",
        "POST http://127.0.0.1:8788/_emulation/mode?mode=ok",
      ]),
    );
    expect(new Set(listed.map((l) => l.file))).toEqual(new Set(FILES));
  });

  it("each answers without an error, in the order the READMEs give them", async () => {
    const ports: Record<keyof typeof DEFAULT_PORTS, number> = {
      worker: emu.port,
      configApi: Number(new URL(emu.configApi.url).port),
      origin: Number(new URL(emu.origin.url).port),
      control: Number(new URL(emu.controlUrl).port),
    };
    const failures: string[] = [];
    for (const { file, method, url } of listed) {
      const port = ports[DEFAULT_TO_KEY.get(Number(url.port))!];
      const status = await send(port, url.hostname, url.pathname + url.search, method);
      if (status === 0 || status >= 400) failures.push(`${file}: ${method} ${url.href} answered ${status}`);
    }
    expect(failures).toEqual([]);
    // The walk ends with the config API back in its good mode.
    expect(emu.configApi.mode()).toBe("ok");
  });
});
