import { parseConfigText, type ConfigIssue } from "../src/config-parse.js";
import { formatInstant, parseAtTime, parseCliArgs } from "./cli-args.js";
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, isEntryPoint, runAsScript, UsageError, type CliIo } from "./cli-io.js";
import { loadConfigSource } from "./config-source.js";
import { formatIssues, formatSummary, summariseConfig, type ConfigSummary } from "./config-summary.js";
import { checkContext, formatContextCheck, type ContextCheck } from "./context-check.js";
import { parseContextFlag, type ContextFlag } from "./request-flags.js";

/**
 * `npm run config:check -- FILE|URL [--json] [--at ISO-TIME] [--context ...]`: validates a config document
 * with the same parser and fetch rules as the worker's poller, so an experiment owner sees
 * every problem (or what each host will run) before publishing.
 */

export const CONFIG_CHECK_USAGE = `Usage: npm run config:check -- FILE|URL [--json] [--at ISO-TIME]
                                [--context NAME=VALUE,...]

Validates an experiment config exactly as the worker's poller does and prints every
problem with its JSON path (and, for a targeting rule, its column), or a per-host
summary: each experiment's status at --at (live / not-yet / ended), dates, cache_split,
selector, unique_domain, sample rate, group sizes, and its targeting rules (eligibility,
allocations with their groups).

  FILE|URL        a file, or an http(s) URL fetched like the poller does
                  (status 200, JSON content type, at most 5 MB, 10 s timeout)
  --at ISO-TIME   judge live/not-yet/ended at this time (default: now),
                  e.g. 2025-06-15T12:00:00Z or 2025-06-15
  --context NAME=VALUE,...
                  also show which experiments a request with this context is
                  eligible for on each host, and which allocation applies, e.g.
                  country=DE,platform=mobile,language=de,loggedIn=false
                  (any subset of host, path, country, platform, language, loggedIn;
                  host=H shows only H)
  --json          print a machine-readable result on stdout
                  (use "npm run --silent" to keep npm's banner out of it)
  -h, --help      show this help

Exit codes: 0 valid, 1 invalid config, 2 usage or fetch error.
`;

/** The outcome of checking one document's text. */
export type CheckResult = { ok: true; summary: ConfigSummary; context?: ContextCheck } | { ok: false; issues: readonly ConfigIssue[] };

/** Validates config text and, when valid, summarises it at `atMs` (and evaluates `context`'s rules). */
export function checkConfigText(text: string, atMs: number, context?: ContextFlag): CheckResult {
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const summary = summariseConfig(parsed.config, atMs);
  return context === undefined ? { ok: true, summary } : { ok: true, summary, context: checkContext(parsed.config, context, atMs) };
}

/** The `--json` form of a result (stable field names; an operator's scripts read these). */
export function checkResultJson(source: string, result: CheckResult): string {
  const body = result.ok ? { source, ok: true, ...result.summary, ...(result.context ? { context: result.context } : {}) } : { source, ok: false, issues: result.issues };
  return JSON.stringify(body, null, 2) + "\n";
}

/** The command: argv without node and script, output through `io`; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let source: string;
  let atMs: number;
  let json: boolean;
  let context: ContextFlag | undefined;
  try {
    const { values, positionals } = parseCliArgs(argv, {
      json: { type: "boolean" },
      at: { type: "string" },
      context: { type: "string" },
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
    context = values.context === undefined ? undefined : parseContextFlag(values.context);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`config:check: ${e.message}\nRun with --help for usage.\n`);
    return EXIT_USAGE;
  }

  const loaded = await loadConfigSource(source);
  if (!loaded.ok) {
    io.err(`config:check: ${loaded.error}\n`);
    if (json) io.out(JSON.stringify({ source, ok: false, error: loaded.error, at: formatInstant(atMs) }, null, 2) + "\n");
    return EXIT_USAGE;
  }
  const result = checkConfigText(loaded.text, atMs, context);
  if (json) io.out(checkResultJson(source, result));
  else if (result.ok) io.out(formatSummary(result.summary, source) + (result.context ? `\n${formatContextCheck(result.context)}` : ""));
  else io.out(formatIssues(result.issues, source, loaded.text));
  return result.ok ? EXIT_OK : EXIT_INVALID;
}

if (isEntryPoint(import.meta.url)) await runAsScript(main);
