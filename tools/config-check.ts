import type { ConfigIssue } from "../src/config-parse.js";
import { acceptConfigDocument } from "../src/config-source.js";
import { formatInstant, parseAtTime, parseCliArgs } from "./cli-args.js";
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, isEntryPoint, runAsScript, UsageError, type CliIo } from "./cli-io.js";
import { loadConfigSource } from "./config-source.js";
import { formatIssues, formatSummary, summariseConfig, type ConfigSummary } from "./config-summary.js";

/**
 * `npm run config:check -- FILE|URL [--json] [--at ISO-TIME]`: validates a config document
 * with the same parser and fetch rules as the worker's poller, so an experiment owner sees
 * every problem (or what each host will run) before publishing.
 */

export const CONFIG_CHECK_USAGE = `Usage: npm run config:check -- FILE|URL [--json] [--at ISO-TIME]

Validates an experiment config exactly as the worker's poller does and prints every
problem with its JSON path, or a per-host summary: each experiment's status at --at
(live / not-yet / ended), dates, cache_split, selector, unique_domain, sample rate and
group sizes.

  FILE|URL        a file, or an http(s) URL fetched like the poller does
                  (status 200, JSON content type, at most 5 MB, 10 s timeout)
  --at ISO-TIME   judge live/not-yet/ended at this time (default: now),
                  e.g. 2025-06-15T12:00:00Z or 2025-06-15
  --json          print a machine-readable result on stdout
                  (use "npm run --silent" to keep npm's banner out of it)
  -h, --help      show this help

Exit codes: 0 valid (warnings included), 1 invalid config, 2 usage or fetch error.
`;

/** The outcome of checking one document's text. */
export type CheckResult = { ok: true; summary: ConfigSummary } | { ok: false; issues: readonly ConfigIssue[] };

/** Validates config text (under the poller's body rules) and, when valid, summarises it at `atMs`. */
export function checkConfigText(text: string, atMs: number): CheckResult {
  const accepted = acceptConfigDocument(new TextEncoder().encode(text));
  return accepted.ok ? { ok: true, summary: summariseConfig(accepted.config, atMs) } : { ok: false, issues: accepted.issues };
}

/** The `--json` form of a result (stable field names; an operator's scripts read these). */
export function checkResultJson(source: string, result: CheckResult): string {
  const body = result.ok ? { source, ok: true, ...result.summary } : { source, ok: false, issues: result.issues };
  return JSON.stringify(body, null, 2) + "\n";
}

/** The command: argv without node and script, output through `io`; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let source: string;
  let atMs: number;
  let json: boolean;
  try {
    const { values, positionals } = parseCliArgs(argv, {
      json: { type: "boolean" },
      at: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      io.out(CONFIG_CHECK_USAGE);
      return EXIT_OK;
    }
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? "name one config FILE or URL" : `expected one FILE or URL, got ${positionals.length}`);
    }
    source = positionals[0]!;
    atMs = values.at === undefined ? io.now() : parseAtTime(values.at);
    json = values.json === true;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`config:check: ${e.message}\nRun with --help for usage.\n`);
    return EXIT_USAGE;
  }

  const loaded = await loadConfigSource(source);
  if (!loaded.ok && loaded.kind !== "invalid") {
    io.err(`config:check: ${loaded.error}\n`);
    if (json) io.out(JSON.stringify({ source, ok: false, error: loaded.error, at: formatInstant(atMs) }, null, 2) + "\n");
    return EXIT_USAGE;
  }
  const result: CheckResult = loaded.ok ? { ok: true, summary: summariseConfig(loaded.config, atMs) } : { ok: false, issues: loaded.issues };
  if (json) io.out(checkResultJson(source, result));
  else if (result.ok) io.out(formatSummary(result.summary, source));
  else io.out(formatIssues(result.issues, source));
  return result.ok ? EXIT_OK : EXIT_INVALID;
}

if (isEntryPoint(import.meta.url)) await runAsScript(main);
