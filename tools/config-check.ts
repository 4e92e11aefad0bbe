import { writeFile } from "node:fs/promises";
import type { CompiledConfig } from "../src/config-compile.js";
import type { ConfigIssue } from "../src/config-parse.js";
import { acceptConfigDocument, type ConfigAcceptance } from "../src/config-source.js";
import { buildBucketMap, diffBucketMaps, formatDiff, type MapDiff } from "./bucket-map.js";
import { renderBucketDiffHtml, renderBucketMapHtml, renderIssuesHtml } from "./bucket-map-html.js";
import { formatInstant, parseAtTime, parseCliArgs } from "./cli-args.js";
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, isEntryPoint, runAsScript, UsageError, type CliIo } from "./cli-io.js";
import { loadConfigSource, type SourceResult } from "./config-source.js";
import { formatIssues, formatSummary, summariseConfig, type ConfigSummary } from "./config-summary.js";
import { checkContext, formatContextCheck, type ContextCheck } from "./context-check.js";
import { parseContextFlag, type ContextFlag } from "./request-flags.js";

/**
 * `npm run config:check -- FILE|URL [--json] [--at ISO-TIME] [--html OUT.html] [--against OLD] [--context ...]`:
 * validates a config document with the same parser and fetch rules as the worker's poller,
 * so an experiment owner sees every problem (or what each host will run) before publishing;
 * `--html` draws it as a bucket map, `--against` shows what it changes from an older version.
 */

export const CONFIG_CHECK_USAGE = `Usage: npm run config:check -- FILE|URL [--json] [--at ISO-TIME] [--html OUT.html] [--against OLD]
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
  --html OUT.html also write the bucket map: one self-contained page (no
                  network), each live and scheduled experiment per host as a
                  band over buckets 0..99,999; with --against, the changes
  --against OLD   compare with an older version (FILE or URL): widened, moved
                  and removed ranges, and every bucket whose visitors a change
                  would move to another group or out (reshuffled)
  -h, --help      show this help

Exit codes: 0 valid (warnings included), 1 invalid config, 2 usage or fetch error.
`;

/** The outcome of checking one document's text. */
export type CheckResult = { ok: true; summary: ConfigSummary; config: CompiledConfig; context?: ContextCheck } | { ok: false; issues: readonly ConfigIssue[] };

/** Validates config text (under the poller's body rules) and, when valid, summarises it at `atMs`. */
export function checkConfigText(text: string, atMs: number, context?: ContextFlag): CheckResult {
  return checkResult(acceptConfigDocument(new TextEncoder().encode(text)), atMs, context);
}

/** A verdict on a document, summarised at `atMs` (and `context`'s rules evaluated) when it was accepted. */
function checkResult(accepted: SourceResult | ConfigAcceptance, atMs: number, context?: ContextFlag): CheckResult {
  if (!accepted.ok) return { ok: false, issues: accepted.issues };
  const summary = summariseConfig(accepted.config, atMs);
  const base = { ok: true as const, summary, config: accepted.config };
  return context === undefined ? base : { ...base, context: checkContext(accepted.config, context, atMs) };
}

/** The `--json` form of a result (stable field names; an operator's scripts read these). */
export function checkResultJson(source: string, result: CheckResult, diff: MapDiff | null = null): string {
  const body = result.ok ? { source, ok: true, ...result.summary, ...(result.context ? { context: result.context } : {}), ...(diff === null ? {} : { changes: changesJson(diff) }) } : { source, ok: false, issues: result.issues };
  return JSON.stringify(body, null, 2) + "\n";
}

// The diff without the two full maps: per host, each experiment that changed.
function changesJson(diff: MapDiff) {
  return {
    changed: diff.changed,
    reshuffling: diff.reshuffling,
    hosts: diff.hosts.map((h) => ({
      host: h.host,
      experiments: h.experiments
        .filter((e) => e.kind !== "unchanged")
        .map((e) => ({
          name: e.name,
          kind: e.kind,
          reshuffled: e.reshuffled,
          notes: e.notes,
          bands: e.bands.map((b) => ({
            rule: b.rule,
            ruleChange: b.ruleChange,
            reshuffled: b.reshuffled,
            enrolled: b.enrolled,
            groups: b.groups.filter((g) => g.kind !== "same"),
            moves: b.segments.filter((s) => s.kind === "reshuffled" || s.kind === "dropped"),
          })),
        })),
    })),
  };
}

/** The command: argv without node and script, output through `io`; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let source: string;
  let atMs: number;
  let json: boolean;
  let context: ContextFlag | undefined;
  let htmlOut: string | undefined;
  let against: string | undefined;
  try {
    const { values, positionals } = parseCliArgs(argv, {
      json: { type: "boolean" },
      at: { type: "string" },
      context: { type: "string" },
      html: { type: "string" },
      against: { type: "string" },
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
    context = values.context === undefined ? undefined : parseContextFlag(values.context);
    json = values.json === true;
    htmlOut = values.html;
    against = values.against;
    if (htmlOut === "") throw new UsageError("--html needs a file name, e.g. --html map.html");
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
  const result = checkResult(loaded, atMs, context);
  // The page goes where the operator's messages go: stdout for text, stderr beside --json.
  const note = (text: string) => (json ? io.err(text) : io.out(text));

  let diff: MapDiff | null = null;
  if (result.ok && against !== undefined) {
    const old = await loadConfigSource(against);
    const oldResult = old.ok || old.kind === "invalid" ? checkResult(old, atMs) : null;
    if (oldResult === null || !oldResult.ok) {
      const why = oldResult === null && !old.ok ? old.error : `${against}: invalid (${oldResult !== null && !oldResult.ok ? oldResult.issues.length : 0} problems), nothing to compare with`;
      io.err(`config:check: --against ${why}\n`);
      return EXIT_USAGE;
    }
    diff = diffBucketMaps(buildBucketMap(oldResult.config, atMs, oldResult.summary), buildBucketMap(result.config, atMs, result.summary));
  }

  if (json) io.out(checkResultJson(source, result, diff));
  else if (result.ok) io.out(formatSummary(result.summary, source) + (result.context ? `\n${formatContextCheck(result.context)}` : "") + (diff === null ? "" : "\n" + formatDiff(diff, against!)));
  else io.out(formatIssues(result.issues, source, loaded.text));

  if (htmlOut !== undefined) {
    let page: string;
    if (!result.ok) page = renderIssuesHtml(source, result.issues);
    else if (diff !== null) page = renderBucketDiffHtml(diff, { source, against: against! });
    else page = renderBucketMapHtml(buildBucketMap(result.config, atMs, result.summary), { source });
    try {
      await writeFile(htmlOut, page);
    } catch (e) {
      io.err(`config:check: cannot write ${htmlOut}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return EXIT_USAGE;
    }
    note(`\nwrote ${htmlOut}: ${diff !== null ? "the changes against " + against : result.ok ? "the bucket map" : "the list of problems"} (open it in a browser)\n`);
  }
  return result.ok ? EXIT_OK : EXIT_INVALID;
}

if (isEntryPoint(import.meta.url)) await runAsScript(main);
