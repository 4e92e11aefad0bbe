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

/** The platform's verdict first (`cf.botManagement.verifiedBot`), then the crawler list. */
export function botReason(verifiedBot: boolean, userAgent: string | null): BotReason | null {
  if (verifiedBot) return "verified-bot";
  if (userAgent !== null && isbot(userAgent)) return "crawler";
  return null;
}
