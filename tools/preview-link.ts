import { readFile } from "node:fs/promises";
import { DEFAULT_CONFIG_URL } from "../src/contract.js";
import { parseKeyRing, type KeyRing } from "../src/keyring.js";
import { formatInstant, parseCliArgs, requiredHost } from "./cli-args.js";
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, isEntryPoint, runAsScript, UsageError, type CliIo } from "./cli-io.js";
import { loadConfigSource } from "./config-source.js";
import { formatIssues } from "./config-summary.js";
import { assignedIn, loadKeyRing } from "./key-ring-source.js";
import { checkPairs, formatTtl, linkBase, linkPath, makePreviewLink, parsePairs, parseTtl, type PreviewLink, type PreviewPair } from "./preview-mint.js";

/**
 * `npm run preview-link -- --host H --pair EXPERIMENT=GROUP [...]`: a signed, expiring link
 * that shows a tester the named groups of live experiments on one host, kept out of the
 * data (contract §10). Made under `PREVIEW_KEYS`, checked against the config the worker
 * enrolls from, so a link it prints is one the worker will honour.
 */

export const PREVIEW_LINK_USAGE = `Usage: npm run preview-link -- --host HOST --pair EXPERIMENT=GROUP [--pair ...]
                               [--ttl 2h] [--path /wiki/X] [--base URL]
                               [--keys-file FILE] [--config FILE|URL] [--json]

Prints a preview link: opening it sets a WMF-Preview cookie on HOST that shows the
named groups of its live experiments (ignoring rules and ranges) until the link
expires, without entering the data (the event intake leaves them out).

  --host HOST        the wiki's host name; the link works there only
  --pair EXP=GROUP   an experiment on HOST and one of its groups (default groups or any
                     allocation's); repeat for several experiments
  --ttl TTL          how long the link works: 90s, 30m, 2h, 7d (default 1d, at most 7d)
  --path PATH        where the link lands (default /), e.g. /wiki/Main_Page
  --base URL         scheme, host and port of the link (default https://HOST), e.g.
                     http://en.wikipedia.localhost:8787 for the local emulation
  --keys-file FILE   the preview key ring: the PREVIEW_KEYS value, or a .dev.vars-style
                     file with a PREVIEW_KEYS= line (default: the PREVIEW_KEYS environment
                     variable). Keys are never printed.
  --config FILE|URL  the experiment config (default: $CONFIG_URL, else the production URL)
  --json             print a machine-readable result on stdout
  -h, --help         show this help

Revoke links by rotating PREVIEW_KEYS: a ring without the key a link was made with
refuses it. Exit codes: 0 a link was printed, 1 a pair does not fit the config (or the
config is invalid), 2 usage, fetch or key-ring error.
`;

interface PreviewLinkArgs {
  readonly host: string;
  readonly pairs: readonly PreviewPair[];
  readonly ttlMs: number;
  readonly path: string;
  readonly base: string;
  readonly config: string;
  readonly keysFile: string | undefined;
  readonly json: boolean;
}

/** Parses argv; null means --help was printed. */
export function parsePreviewLinkArgs(argv: readonly string[], io: CliIo): PreviewLinkArgs | null {
  const { values, positionals } = parseCliArgs(argv, {
    host: { type: "string" },
    pair: { type: "string", multiple: true },
    ttl: { type: "string" },
    path: { type: "string" },
    base: { type: "string" },
    config: { type: "string" },
    "keys-file": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return null;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const host = requiredHost(values.host);
  const pairs = parsePairs(values.pair ?? []);
  if (!pairs.ok) throw new UsageError(pairs.error);
  const ttl = parseTtl(values.ttl);
  if (!ttl.ok) throw new UsageError(ttl.error);
  const base = linkBase(host, values.base);
  if (!base.ok) throw new UsageError(base.error);
  const path = linkPath(values.path);
  if (!path.ok) throw new UsageError(path.error);
  return {
    host,
    pairs: pairs.pairs,
    ttlMs: ttl.ms,
    path: path.path,
    base: base.base,
    config: values.config ?? nonEmpty(io.env["CONFIG_URL"]) ?? DEFAULT_CONFIG_URL,
    keysFile: values["keys-file"],
    json: values.json === true,
  };
}

/** The `--json` form: the link and what it says (never key material: only the key's tag). */
export function previewLinkJson(link: PreviewLink, warnings: readonly string[]): string {
  return (
    JSON.stringify(
      {
        ok: true,
        link: link.link,
        token: link.token,
        host: link.host,
        pairs: link.pairs,
        expiresAt: formatInstant(link.expiresAtMs),
        ttl: formatTtl(link.ttlMs),
        keyTag: link.keyTag,
        developmentKey: link.developmentKey,
        warnings,
      },
      null,
      2,
    ) + "\n"
  );
}

/** The text form: the link alone on stdout's first line, so `| head -1` or `$(...)` gets it. */
export function formatPreviewLink(link: PreviewLink): string {
  const pairs = link.pairs.map((p) => `${p.experiment}=${p.group}`).join(", ");
  return `${link.link}\n  on ${link.host}: ${pairs}\n  expires ${formatInstant(link.expiresAtMs)} (${formatTtl(link.ttlMs)}), preview key tag ${link.keyTag}\n`;
}

/** The command: argv without node and script, output through `io`; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args: PreviewLinkArgs | null;
  try {
    args = parsePreviewLinkArgs(argv, io);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`preview-link: ${e.message}\nRun with --help for usage.\n`);
    return EXIT_USAGE;
  }
  if (args === null) {
    io.out(PREVIEW_LINK_USAGE);
    return EXIT_OK;
  }
  try {
    const ring = await loadKeyRing(args.keysFile, io.env, "PREVIEW_KEYS");
    await refuseSharedKeys(ring, args.keysFile, io.env);
    if (ring.usesDevelopmentKey) io.err("preview-link: note: signed with the development preview key; the link works only where PREVIEW_KEYS holds it (local emulation), never in production\n");

    const parsed = await loadConfigSource(args.config);
    if (!parsed.ok && parsed.kind !== "invalid") throw new UsageError(parsed.error);
    if (!parsed.ok) {
      io.err(formatIssues(parsed.issues, args.config, parsed.text));
      if (args.json) io.out(JSON.stringify({ ok: false, config: args.config, configIssues: parsed.issues }, null, 2) + "\n");
      return EXIT_INVALID;
    }
    const config = parsed.config;
    const nowMs = io.now();
    if (!config.hosts.has(args.host)) {
      const hosts = [...config.hosts.keys()];
      const message = `${args.host} is not a host of the config ${args.config}${hosts.length === 0 ? "" : `; its hosts: ${hosts.slice(0, 10).join(", ")}${hosts.length > 10 ? ", …" : ""}`}`;
      io.err(`preview-link: ${message}\n`);
      if (args.json) io.out(JSON.stringify({ ok: false, config: args.config, problems: [{ pair: null, message }] }, null, 2) + "\n");
      return EXIT_INVALID;
    }
    const { problems, warnings } = checkPairs(config, args.host, args.pairs, nowMs, nowMs + args.ttlMs);
    if (problems.length > 0) {
      for (const p of problems) io.err(`preview-link: --pair ${p.pair}: ${p.message}\n`);
      if (args.json) io.out(JSON.stringify({ ok: false, config: args.config, problems }, null, 2) + "\n");
      return EXIT_INVALID;
    }
    for (const w of warnings) io.err(`preview-link: warning: --pair ${w.pair}: ${w.message}\n`);
    const link = makePreviewLink({ ring, host: args.host, pairs: args.pairs, nowMs, ttlMs: args.ttlMs, base: args.base, path: args.path });
    io.out(args.json ? previewLinkJson(link, warnings.map((w) => `${w.pair}: ${w.message}`)) : formatPreviewLink(link));
    return EXIT_OK;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`preview-link: ${e.message}\n`);
    return EXIT_USAGE;
  }
}

/**
 * The worker turns previews off when PREVIEW_KEYS shares a key with UNIQ_KEYS (one leak
 * must never cover both); a link made under such a ring would never work, so refuse it
 * here when UNIQ_KEYS is at hand (the same keys file, or the environment).
 */
async function refuseSharedKeys(preview: KeyRing, keysFile: string | undefined, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const candidates = [keysFile === undefined ? null : await explicitUniqKeys(keysFile), nonEmpty(env["UNIQ_KEYS"]) ?? null];
  for (const text of candidates) {
    if (text === null) continue;
    const uniq = parseKeyRing(text);
    if (uniq.ok && shareAKey(preview, uniq.ring)) {
      throw new UsageError("PREVIEW_KEYS shares a key with UNIQ_KEYS; the worker turns previews off for such a ring (preview keys must be their own)");
    }
  }
}

// Only a UNIQ_KEYS= line counts: a bare ring file is the preview ring itself.
async function explicitUniqKeys(keysFile: string): Promise<string | null> {
  const content = await readFile(keysFile, "utf8").catch(() => null);
  return content === null ? null : assignedIn(content, "UNIQ_KEYS");
}

// Keys are compared by their derived MAC keys (equal exactly when the keys are equal).
function shareAKey(a: KeyRing, b: KeyRing): boolean {
  for (const ta of a.tags) {
    const ka = a.lookup(ta)!.macKey;
    for (const tb of b.tags) {
      const kb = b.lookup(tb)!.macKey;
      if (ka.every((w, i) => w === kb[i])) return true;
    }
  }
  return false;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === "" ? undefined : s;
}

if (isEntryPoint(import.meta.url)) await runAsScript(main);
