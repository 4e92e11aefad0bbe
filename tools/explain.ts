import { DEFAULT_CONFIG_URL } from "../src/contract.js";
import type { BotPolicy } from "../src/bots.js";
import { DEFAULT_SESSION_COOKIE_PATTERN } from "../src/request-context.js";
import { parseAtTime, parseCliArgs, requiredHost } from "./cli-args.js";
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, isEntryPoint, runAsScript, UsageError, type CliIo } from "./cli-io.js";
import { loadConfigSource } from "./config-source.js";
import { formatIssues } from "./config-summary.js";
import { DEFAULT_EVENTS_PATH, explainRequest, formatExplanation, type Explanation } from "./explanation.js";
import { loadKeyRing } from "./key-ring-source.js";
import { parseContextFlag, type RequestFlags } from "./request-flags.js";

/**
 * `npm run explain -- --host H --cookie VALUE [...]`: for support cases ("why am I in this
 * group?", "why is this crawler not enrolled?"), what the worker decides for one visitor's
 * request on one host at one moment, computed by the worker's own decision function with
 * the production key ring.
 */

/** The config the worker polls by default (wrangler.toml CONFIG_URL). */
export { DEFAULT_CONFIG_URL };

export const EXPLAIN_USAGE = `Usage: npm run explain -- --host HOST [--cookie VALUE] [--at ISO-TIME]
                          [--user-agent UA] [--accept-language VALUE] [--country CC]
                          [--path PATH] [--cookie-header HEADER] [--verified-bot]
                          [--context NAME=VALUE,...]
                          [--config FILE|URL] [--keys-file FILE] [--json]

Explains what the worker decides for one visitor, with the worker's own decision
function: whether their WMF-Uniq cookie verifies (key tag and mint date, or the exact
reason it fails), the bot check, the request context the targeting rules read and each
rule's result, their subject ID, bucket and group in each live experiment on the host,
and the exact headers the origin gets (page request and event intake) and the browser
gets (Server-Timing, Set-Cookie).

  --host HOST        the request's host name (lower-cased, trailing dot and port dropped)
  --cookie VALUE     the WMF-Uniq value, or a whole Cookie header (default: none, a
                     first visit)
  --at ISO-TIME      the moment of the request (default: now), e.g. 2025-06-15T12:00:00Z

Request facts, as the worker reads them (default: a request for / without them):
  --user-agent UA          the User-Agent header (bot check; platform)
  --accept-language VALUE  the Accept-Language header (language)
  --country CC             request.cf.country (country)
  --path PATH              the URL path (path)
  --cookie-header HEADER   the request's other cookies (loggedIn: a session cookie)
  --verified-bot           request.cf.botManagement.verifiedBot is true
  --context NAME=VALUE,... the context as a shorthand, e.g.
                     country=DE,platform=mobile,language=de,loggedIn=false
                     (any subset of host, path, country, platform, language, loggedIn);
                     turned into request facts where those flags are not given (a
                     mobile User-Agent, a session cookie, ...); an error if they say
                     otherwise.

  --config FILE|URL  the experiment config (default: $CONFIG_URL, else the production URL)
  --keys-file FILE   the key ring: the UNIQ_KEYS value, or a .dev.vars-style file with a
                     UNIQ_KEYS= line (default: the UNIQ_KEYS environment variable).
                     Keys are never printed.
  --json             print a machine-readable result on stdout
  -h, --help         show this help

Environment, as the worker reads it: UNIQ_KEYS (key ring), CONFIG_URL, EVENTS_PATH
(default ${DEFAULT_EVENTS_PATH}), BOT_POLICY (exclude or include), SESSION_COOKIE_PATTERN,
COOKIE_DOMAIN (the worker's fixed cookie Domain, if it has one).
Exit codes: 0 the cookie verifies, 1 it does not or none was given (or the config is
invalid), 2 usage, fetch or key-ring error.
`;

interface ExplainArgs {
  readonly host: string;
  readonly cookie: string | undefined;
  readonly request: RequestFlags;
  readonly atMs: number;
  readonly config: string;
  readonly keysFile: string | undefined;
  readonly cookieDomain: string | null;
  readonly json: boolean;
}

/** Parses argv; null means --help was printed. */
export function parseExplainArgs(argv: readonly string[], io: CliIo): ExplainArgs | null {
  const { values, positionals } = parseCliArgs(argv, {
    host: { type: "string" },
    cookie: { type: "string" },
    at: { type: "string" },
    "user-agent": { type: "string" },
    "accept-language": { type: "string" },
    country: { type: "string" },
    path: { type: "string" },
    "cookie-header": { type: "string" },
    "verified-bot": { type: "boolean" },
    context: { type: "string" },
    config: { type: "string" },
    "keys-file": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return null;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const host = requiredHost(values.host);
  if (values.path !== undefined && !values.path.startsWith("/")) throw new UsageError(`--path ${values.path}: a path starts with "/"`);
  return {
    host,
    cookie: values.cookie,
    request: {
      userAgent: values["user-agent"],
      acceptLanguage: values["accept-language"],
      country: values.country,
      path: values.path,
      cookieHeader: values["cookie-header"],
      verifiedBot: values["verified-bot"] === true,
      context: values.context === undefined ? undefined : parseContextFlag(values.context),
    },
    atMs: values.at === undefined ? io.now() : parseAtTime(values.at),
    config: values.config ?? nonEmpty(io.env["CONFIG_URL"]) ?? DEFAULT_CONFIG_URL,
    keysFile: values["keys-file"],
    cookieDomain: nonEmpty(io.env["COOKIE_DOMAIN"])?.trim() ?? null,
    json: values.json === true,
  };
}

/** The worker settings explain honours, read from the environment like the worker's. */
export function workerSettings(env: CliIo["env"]): { botPolicy: BotPolicy; sessionCookie: RegExp } {
  const policy = nonEmpty(env["BOT_POLICY"]) ?? "exclude";
  if (policy !== "exclude" && policy !== "include") throw new UsageError(`BOT_POLICY ${JSON.stringify(policy)}: must be "exclude" or "include"`);
  const pattern = nonEmpty(env["SESSION_COOKIE_PATTERN"]) ?? DEFAULT_SESSION_COOKIE_PATTERN;
  let sessionCookie: RegExp;
  try {
    sessionCookie = new RegExp(pattern);
  } catch {
    throw new UsageError("SESSION_COOKIE_PATTERN: must be a valid regular expression");
  }
  return { botPolicy: policy, sessionCookie };
}

/** The `--json` form (never contains key material: the ring is not part of an Explanation). */
export function explanationJson(config: string, x: Explanation): string {
  return JSON.stringify({ ok: x.verified, config, ...x }, null, 2) + "\n";
}

/** The command: argv without node and script, output through `io`; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ExplainArgs | null;
  try {
    args = parseExplainArgs(argv, io);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`explain: ${e.message}\nRun with --help for usage.\n`);
    return EXIT_USAGE;
  }
  if (args === null) {
    io.out(EXPLAIN_USAGE);
    return EXIT_OK;
  }
  try {
    const ring = await loadKeyRing(args.keysFile, io.env);
    if (ring.usesDevelopmentKey) io.err("explain: note: the key ring holds the development key; production cookies will not verify under it\n");

    const parsed = await loadConfigSource(args.config);
    if (!parsed.ok && parsed.kind !== "invalid") throw new UsageError(parsed.error);
    if (!parsed.ok) {
      io.err(formatIssues(parsed.issues, args.config, parsed.text));
      if (args.json) io.out(JSON.stringify({ ok: false, config: args.config, configIssues: parsed.issues }, null, 2) + "\n");
      return EXIT_INVALID;
    }

    const x = explainRequest({
      ring,
      config: parsed.config,
      host: args.host,
      cookie: args.cookie,
      request: args.request,
      nowMs: args.atMs,
      eventsPath: nonEmpty(io.env["EVENTS_PATH"]) ?? DEFAULT_EVENTS_PATH,
      ...workerSettings(io.env),
      cookieDomain: args.cookieDomain,
    });
    if (args.json) {
      io.out(explanationJson(args.config, x));
    } else {
      io.out(`config ${args.config}\n${formatExplanation(x)}`);
      if (!x.hostInConfig) io.out(hostHint([...parsed.config.hosts.keys()]));
    }
    return x.verified ? EXIT_OK : EXIT_INVALID;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`explain: ${e.message}\n`);
    return EXIT_USAGE;
  }
}

function hostHint(hosts: string[]): string {
  if (hosts.length === 0) return "the config names no hosts\n";
  const shown = hosts.slice(0, 10).join(", ");
  return `hosts in the config: ${shown}${hosts.length > 10 ? `, … (${hosts.length} in all)` : ""}\n`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === "" ? undefined : s;
}

if (isEntryPoint(import.meta.url)) await runAsScript(main);
