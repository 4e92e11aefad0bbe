import { describe, expect, it } from "vitest";
import { isbot } from "isbot";
import { BOT_MEMO_LIMIT, botReason } from "../../src/bots.js";

describe("bots (contract §9)", () => {
  it("the platform's verified-bot verdict comes first", () => {
    expect(botReason(true, "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")).toBe("verified-bot");
    expect(botReason(true, null)).toBe("verified-bot");
  });

  it("then the maintained crawler list", () => {
    expect(botReason(false, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")).toBe("crawler");
    expect(botReason(false, "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")).toBe("crawler");
    expect(botReason(false, "curl/8.5.0")).toBe("crawler");
    expect(botReason(false, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0.0.0 Safari/537.36")).toBe("crawler");
  });

  it("browsers, and a request without a User-Agent, are visitors", () => {
    expect(botReason(false, "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")).toBeNull();
    expect(botReason(false, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")).toBeNull();
    expect(botReason(false, null)).toBeNull();
    expect(botReason(false, "")).toBeNull();
  });

  it("a remembered verdict is the crawler list's, however often and in whatever order User-Agents come, past the memo's bound", () => {
    const agents = [
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
      "curl/8.5.0",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    ];
    for (let round = 0; round < 3; round++) {
      for (const ua of agents) expect(botReason(false, ua)).toBe(isbot(ua) ? "crawler" : null);
      // Fill the memo past its bound with made-up values (a bot and a browser shape each).
      for (let i = 0; i < BOT_MEMO_LIMIT + 5; i++) {
        const ua = i % 2 === 0 ? `Mozilla/5.0 (X11; Linux x86_64; rv:${round}.${i}) Gecko/20100101 Firefox/${i}.0` : `examplebot/${round}.${i}`;
        expect(botReason(false, ua)).toBe(isbot(ua) ? "crawler" : null);
      }
    }
  });
});
