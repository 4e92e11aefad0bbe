import { isbot } from "isbot";
import { BoundedMemo } from "./bounded-memo.js";

/**
 * Known crawlers stay out of experiments (contract §9): they inflate samples, skew metrics
 * and fragment the cache. The crawler list is `isbot`'s, a maintained library, not a
 * pattern of ours.
 */

/** Why a request counts as a bot. */
export type BotReason = "verified-bot" | "crawler";

/** `BOT_POLICY`: `exclude` (default) keeps bots out; `include` treats them like anyone. */
export type BotPolicy = "exclude" | "include";

/** User-Agent strings remembered before the memo starts over (made-up values cannot grow it). */
export const BOT_MEMO_LIMIT = 1000;
// Fast path: a remembered verdict is one Map lookup; isbot's pattern scans the whole string
// against hundreds of alternatives (~2 µs for a browser's), and visitors share few User-Agents.
const crawlers = new BoundedMemo(BOT_MEMO_LIMIT, isbot);

/** The platform's verdict first (`cf.botManagement.verifiedBot`), then the crawler list. */
export function botReason(verifiedBot: boolean, userAgent: string | null): BotReason | null {
  if (verifiedBot) return "verified-bot";
  if (userAgent !== null && crawlers.get(userAgent)) return "crawler";
  return null;
}
