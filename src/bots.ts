import { isbot } from "isbot";

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
const verdicts = new Map<string, boolean>();

/** The platform's verdict first (`cf.botManagement.verifiedBot`), then the crawler list. */
export function botReason(verifiedBot: boolean, userAgent: string | null): BotReason | null {
  if (verifiedBot) return "verified-bot";
  if (userAgent !== null && isCrawler(userAgent)) return "crawler";
  return null;
}

// Fast path: a remembered verdict is one Map lookup; isbot's pattern scans the whole string
// against hundreds of alternatives (~2 µs for a browser's), and visitors share few User-Agents.
function isCrawler(userAgent: string): boolean {
  let verdict = verdicts.get(userAgent);
  if (verdict === undefined) {
    if (verdicts.size >= BOT_MEMO_LIMIT) verdicts.clear();
    verdict = isbot(userAgent);
    verdicts.set(userAgent, verdict);
  }
  return verdict;
}
