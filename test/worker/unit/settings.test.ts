import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_CONFIG_URL, DEFAULT_EVENTS_PATH } from "../../../src/contract.js";
import type { Env } from "../../../worker/env.js";
import { getSettings, parseSettings } from "../../../worker/settings.js";
import { DEV_KEYS } from "../../fixtures/config.js";
import { captureLogs } from "./console.js";

/** worker/settings.ts inside workerd: vars in, settings (and named problems) out. */

afterEach(() => {
  vi.restoreAllMocks();
});

const envOf = (vars: Record<string, string>): Env => vars as unknown as Env;
/** Not the committed development key ("not-the-dev-key-for-tests-only!!"): no warning. */
const OTHER_KEY = "7:bm90LXRoZS1kZXYta2V5LWZvci10ZXN0cy1vbmx5ISE";

describe("parseSettings", () => {
  it("no vars at all: the safe defaults, and no key ring (nothing minted)", () => {
    const s = parseSettings(envOf({}));
    expect({ ...s, keyRing: s.keyRing === null, sessionCookie: s.sessionCookie.source }).toEqual({
      configUrl: DEFAULT_CONFIG_URL,
      originBase: null,
      eventsPath: DEFAULT_EVENTS_PATH,
      cookieDomain: null,
      configRefreshMs: 5000,
      pollTimeoutMs: 10_000,
      disabledByVar: false,
      botPolicy: "exclude",
      sessionCookie: "(Session|UserID|Token)$|^centralauth_",
      splitCache: true,
      statusRoute: true,
      countryHeader: null,
      keyRing: true,
      keyRingError: "UNIQ_KEYS: key ring is empty or missing",
      previewKeyRing: null,
      previewKeyRingError: null,
      errors: [],
    });
  });

  it("every var set and valid", () => {
    const s = parseSettings(
      envOf({
        CONFIG_URL: " https://config.example/api?x=1 ",
        ORIGIN_URL: "https://origin.example/prefix//",
        EVENTS_PATH: "/beacon/events",
        COOKIE_DOMAIN: "wikipedia.org",
        CONFIG_REFRESH_MS: "60000",
        CONFIG_POLL_TIMEOUT_MS: "100",
        ENROLLMENT_DISABLED: "true",
        UNIQ_KEYS: DEV_KEYS,
      }),
    );
    expect(s).toMatchObject({
      configUrl: "https://config.example/api?x=1",
      originBase: "https://origin.example/prefix",
      eventsPath: "/beacon/events",
      cookieDomain: "wikipedia.org",
      configRefreshMs: 60_000,
      pollTimeoutMs: 100,
      disabledByVar: true,
      keyRingError: null,
      errors: [],
    });
    expect(s.keyRing?.minting.tag).toBe(0);
    expect(s.keyRing?.usesDevelopmentKey).toBe(true);
  });

  it.each([
    ["CONFIG_URL", "ftp://config.example/", "CONFIG_URL: must be an http(s) URL; using the default", { configUrl: DEFAULT_CONFIG_URL }],
    ["CONFIG_URL", "not a url", "CONFIG_URL: Invalid URL: Received \"not a url\"; using the default", { configUrl: DEFAULT_CONFIG_URL }],
    ["ORIGIN_URL", "https://origin.example/?q=1", "ORIGIN_URL: must not have a query or fragment; using the default", { originBase: null }],
    ["ORIGIN_URL", "https://origin.example/#top", "ORIGIN_URL: must not have a query or fragment; using the default", { originBase: null }],
    ["EVENTS_PATH", "events", "EVENTS_PATH: must be a path starting with /; using the default", { eventsPath: DEFAULT_EVENTS_PATH }],
    ["COOKIE_DOMAIN", "Wikipedia.ORG", "COOKIE_DOMAIN: must be a lower-case domain; using the default", { cookieDomain: null }],
    ["CONFIG_REFRESH_MS", "999", "CONFIG_REFRESH_MS: must be >= 1000; using the default", { configRefreshMs: 5000 }],
    ["CONFIG_REFRESH_MS", "60001", "CONFIG_REFRESH_MS: must be <= 60000; using the default", { configRefreshMs: 5000 }],
    ["CONFIG_REFRESH_MS", "5s", "CONFIG_REFRESH_MS: must be a whole number of ms; using the default", { configRefreshMs: 5000 }],
    ["CONFIG_POLL_TIMEOUT_MS", "99", "CONFIG_POLL_TIMEOUT_MS: must be >= 100; using the default", { pollTimeoutMs: 10_000 }],
    ["CONFIG_POLL_TIMEOUT_MS", "10001", "CONFIG_POLL_TIMEOUT_MS: must be <= 10000; using the default", { pollTimeoutMs: 10_000 }],
    ["ENROLLMENT_DISABLED", "yes", 'ENROLLMENT_DISABLED: must be "true", "false" or empty; using the default', { disabledByVar: false }],
  ])("%s=%j: named in errors, default used", (name, value, error, expected) => {
    const s = parseSettings(envOf({ [name]: value }));
    expect(s.errors).toEqual([error]);
    expect(s).toMatchObject(expected);
  });

  it("problems are collected, not the first one only", () => {
    expect(parseSettings(envOf({ EVENTS_PATH: "x", CONFIG_REFRESH_MS: "1" })).errors).toHaveLength(2);
  });

  it.each([["false"], [""]])("ENROLLMENT_DISABLED=%j leaves enrollment on", (value) => {
    expect(parseSettings(envOf({ ENROLLMENT_DISABLED: value })).disabledByVar).toBe(false);
  });

  it("an empty ORIGIN_URL or COOKIE_DOMAIN means the request's own URL and the registrable domain", () => {
    expect(parseSettings(envOf({ ORIGIN_URL: "", COOKIE_DOMAIN: "" }))).toMatchObject({ originBase: null, cookieDomain: null, errors: [] });
  });

  it("a malformed key ring is named (not its value) and nothing is minted", () => {
    const s = parseSettings(envOf({ UNIQ_KEYS: "0:short" }));
    expect(s.keyRing).toBeNull();
    expect(s.keyRingError).toBe("UNIQ_KEYS: key ring entry 1 (tag 0): key must be 32 bytes of unpadded base64url (43 characters)");
    expect(s.keyRingError).not.toContain("short");
  });
});

describe("getSettings: once per env object, problems logged once", () => {
  it("the same env object is parsed once, and its problems logged once", () => {
    const logs = captureLogs();
    const env = envOf({ CONFIG_REFRESH_MS: "1", UNIQ_KEYS: OTHER_KEY });
    const first = getSettings(env);
    expect(getSettings(env)).toBe(first);
    expect(logs).toEqual([{ level: "error", event: "settings.invalid", fields: { errors: ["CONFIG_REFRESH_MS: must be >= 1000; using the default"] } }]);
  });

  it("a new env object is parsed again", () => {
    captureLogs();
    const a = getSettings(envOf({ EVENTS_PATH: "/a" }));
    const b = getSettings(envOf({ EVENTS_PATH: "/b" }));
    expect([a.eventsPath, b.eventsPath]).toEqual(["/a", "/b"]);
  });

  it("an unusable key ring is an error line saying what it costs", () => {
    const logs = captureLogs();
    getSettings(envOf({}));
    expect(logs).toEqual([
      {
        level: "error",
        event: "settings.key_ring_unusable",
        fields: { error: "UNIQ_KEYS: key ring is empty or missing", effect: "nothing is minted or enrolled; requests pass through" },
      },
    ]);
  });

  it("the committed development key is a warning", () => {
    const logs = captureLogs();
    getSettings(envOf({ UNIQ_KEYS: DEV_KEYS }));
    expect(logs.map((l) => [l.level, l.event])).toEqual([["warn", "settings.development_key"]]);
  });

  it("a key ring other than the development one and valid vars log nothing", () => {
    const logs = captureLogs();
    getSettings(envOf({ UNIQ_KEYS: OTHER_KEY }));
    expect(logs).toEqual([]);
  });
});
