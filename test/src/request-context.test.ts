import { describe, expect, it } from "vitest";
import {
  buildContext,
  countryOf,
  DEFAULT_SESSION_COOKIE_PATTERN,
  hasSessionCookie,
  isMobileHost,
  languageOf,
  type RequestFacts,
} from "../../src/request-context.js";

const SESSION = new RegExp(DEFAULT_SESSION_COOKIE_PATTERN);
const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  path: "/wiki/X",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
  acceptLanguage: null,
  country: null,
  cookieHeader: null,
  verifiedBot: false,
  ...over,
});

describe("request context (contract §8)", () => {
  it("country: ISO alpha-2 upper-cased, other two-character codes as given, XX when unknown", () => {
    expect(countryOf("DE")).toBe("DE");
    expect(countryOf("de")).toBe("DE");
    expect(countryOf(" at ")).toBe("AT");
    expect(countryOf("T1")).toBe("T1");
    expect(countryOf("XX")).toBe("XX");
    expect(countryOf(null)).toBe("XX");
    expect(countryOf("")).toBe("XX");
    expect(countryOf("DEU")).toBe("XX");
    expect(countryOf("D\u00e9")).toBe("XX");
  });

  it("platform: a mobile host (label m first or second) or a mobile User-Agent", () => {
    expect(isMobileHost("en.m.wikipedia.org")).toBe(true);
    expect(isMobileHost("m.wikidata.org")).toBe(true);
    expect(isMobileHost("en.wikipedia.org")).toBe(false);
    expect(isMobileHost("en.wikipedia.m.org")).toBe(false);
    expect(isMobileHost("mm.wikipedia.org")).toBe(false);
    expect(isMobileHost("en.mobile.wikipedia.org")).toBe(false);
    expect(isMobileHost("m")).toBe(false);
    expect(isMobileHost("localhost")).toBe(false);
    const ua = (userAgent: string | null) => buildContext("en.wikipedia.org", facts({ userAgent }), SESSION).platform;
    expect(ua("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148")).toBe("mobile");
    expect(ua("Mozilla/5.0 (Linux; Android 14; Pixel 8)")).toBe("mobile");
    expect(ua("Mozilla/5.0 ... Mobi ...")).toBe("mobile");
    expect(ua("Mozilla/5.0 (X11; Linux x86_64)")).toBe("desktop");
    expect(ua(null)).toBe("desktop");
    expect(buildContext("en.m.wikipedia.org", facts(), SESSION).platform).toBe("mobile");
  });

  it("language: primary subtag of the first Accept-Language entry, lower case; '' when absent or *", () => {
    expect(languageOf("de-CH,de;q=0.9,en;q=0.8")).toBe("de");
    expect(languageOf("EN-us")).toBe("en");
    expect(languageOf("fr;q=0.5")).toBe("fr");
    expect(languageOf(" pt-BR , en")).toBe("pt");
    expect(languageOf("*")).toBe("");
    // Letters only, the whole primary subtag: a digit or mark before the letters is no language.
    expect(languageOf("1en")).toBe("");
    expect(languageOf("x_de")).toBe("");
    expect(languageOf(null)).toBe("");
    expect(languageOf("")).toBe("");
    expect(languageOf("x1-y")).toBe("");
    // One to eight letters, ended by a subtag, a parameter, the next entry or the end.
    expect(languageOf("de")).toBe("de");
    expect(languageOf("x")).toBe("x");
    expect(languageOf("abcdefgh-x")).toBe("abcdefgh");
    expect(languageOf("abcdefghi")).toBe("");
    expect(languageOf("en1")).toBe("");
    expect(languageOf("nl,en")).toBe("nl");
    expect(languageOf("sv;q=1")).toBe("sv");
    expect(languageOf("\tit ;q=1")).toBe("it");
    expect(languageOf(",en")).toBe("");
  });

  it("loggedIn: a cookie named like MediaWiki's session cookies", () => {
    expect(hasSessionCookie("enwikiSession=abc", SESSION)).toBe(true);
    expect(hasSessionCookie("a=1; enwikiUserID=5; b=2", SESSION)).toBe(true);
    expect(hasSessionCookie("enwikiToken=t", SESSION)).toBe(true);
    expect(hasSessionCookie("centralauth_User=X", SESSION)).toBe(true);
    expect(hasSessionCookie("GeoIP=DE; WMF-Last-Access=1", SESSION)).toBe(false);
    expect(hasSessionCookie("SessionX=1", SESSION)).toBe(false);
    expect(hasSessionCookie("x=enwikiSession", SESSION)).toBe(false);
    expect(hasSessionCookie("flag; enwikiSession", SESSION)).toBe(true);
    expect(hasSessionCookie(null, SESSION)).toBe(false);
    expect(hasSessionCookie("custom_sid=1", /^custom_sid$/)).toBe(true);
    // Names are trimmed; a name is what comes before the first "=" of its own cookie.
    expect(hasSessionCookie("a=1; centralauth_User=X", SESSION)).toBe(true);
    expect(hasSessionCookie(";centralauth_User=X", SESSION)).toBe(true);
    expect(hasSessionCookie("enwikiSession; a=1", SESSION)).toBe(true);
    // A cookie with no name is no session, whatever its value or the pattern says.
    expect(hasSessionCookie("=enwikiSession", SESSION)).toBe(false);
    expect(hasSessionCookie("a=1; ; =v;", /^$/)).toBe(false);
  });

  it("builds every variable once from the facts", () => {
    expect(buildContext("de.m.wikipedia.org", facts({ path: "/wiki/Haus", country: "de", acceptLanguage: "de-DE", cookieHeader: "dewikiSession=1" }), SESSION)).toEqual({
      host: "de.m.wikipedia.org",
      path: "/wiki/Haus",
      country: "DE",
      platform: "mobile",
      language: "de",
      loggedIn: true,
    });
  });
});
