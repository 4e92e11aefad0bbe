import { parseArgs, type ParseArgsConfig } from "node:util";
import { normaliseHost } from "../src/host.js";
import { UsageError } from "./cli-io.js";

/**
 * Flag parsing for the operator tools: node:util's strict parser, with its errors turned
 * into UsageErrors (one line, exit 2), plus the `--at` time every tool accepts.
 */

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parsed flags and positionals; unknown flags and missing values are UsageErrors. */
export function parseCliArgs<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    // Node's messages are clear but end with a hint about "--" that does not apply here.
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, "") : String(e);
    throw new UsageError(message);
  }
}

// A date, or a date and time with seconds optional, fractions allowed, and a zone required:
// a time without a zone would silently mean "local time of whoever runs the tool".
const AT_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** `--at` as epoch milliseconds; a bare date means 00:00:00 UTC that day. */
export function parseAtTime(text: string): number {
  const ms = AT_TIME.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(`--at ${JSON.stringify(text)}: expected an ISO time with a zone, e.g. 2025-06-15T12:00:00Z (or a date, 2025-06-15)`);
  }
  return ms;
}

/** An instant the way the config writes them: UTC, ending in Z (milliseconds only when not zero). */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/** `--host`, required and normalised as the worker normalises a request's host. */
export function requiredHost(value: string | undefined): string {
  if (value === undefined) throw new UsageError("--host is required");
  const host = normaliseHost(value.trim());
  if (host === "") throw new UsageError("--host is empty");
  return host;
}
