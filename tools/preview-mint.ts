import type { CompiledConfig, CompiledExperiment } from "../src/config-compile.js";
import { EXPERIMENT_NAME, GROUP_NAME, HOST_NAME, MAX_PREVIEW_PAIRS, MAX_PREVIEW_TTL_MS, PREVIEW_PARAM } from "../src/contract.js";
import { normaliseHost } from "../src/host.js";
import type { KeyRing } from "../src/keyring.js";
import { DEFAULT_PREVIEW_TTL_MS, mintPreviewToken } from "../src/preview-token.js";

/**
 * Making a preview link (contract §10), shared by the preview-link tool and the emulation's
 * banner so both print links the worker accepts: the TTL as written (`90s`, `30m`, `2h`,
 * `7d`), the `experiment=group` pairs checked against the config the worker enrolls from,
 * and the token minted under the `PREVIEW_KEYS` ring into a link on the host.
 */

/** One `experiment=group` pair as given. */
export interface PreviewPair {
  readonly experiment: string;
  readonly group: string;
}

/** A pair the config does not allow, with the reason in an operator's words. */
export interface PairProblem {
  readonly pair: string;
  readonly message: string;
}

/** A pair the config allows that the worker will not force right now (not live at `now`). */
export interface PairWarning {
  readonly pair: string;
  readonly message: string;
}

/** A link and what it says. */
export interface PreviewLink {
  readonly link: string;
  readonly token: string;
  readonly host: string;
  readonly pairs: readonly PreviewPair[];
  readonly expiresAtMs: number;
  readonly ttlMs: number;
  /** The preview ring's minting tag (a key's tag, never the key). */
  readonly keyTag: number;
  readonly developmentKey: boolean;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const TTL = /^([1-9][0-9]{0,9})([smhd])$/;

/** Why a TTL was refused, or the TTL in milliseconds. */
export type TtlResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly error: string };

/**
 * A TTL as the contract writes it: a whole positive number and one unit, `s`, `m`, `h` or
 * `d` (`90s`, `30m`, `2h`, `7d`), at most 7 days. Undefined gives the default, 1 day.
 */
export function parseTtl(text: string | undefined): TtlResult {
  if (text === undefined) return { ok: true, ms: DEFAULT_PREVIEW_TTL_MS };
  const m = TTL.exec(text);
  if (m === null) return { ok: false, error: `--ttl ${JSON.stringify(text)}: expected a whole number and a unit s, m, h or d, e.g. 90s, 30m, 2h or 7d` };
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms > MAX_PREVIEW_TTL_MS) return { ok: false, error: `--ttl ${text}: at most 7d (a preview link lives 7 days at most)` };
  return { ok: true, ms };
}

/** Shows a TTL the way it is written, in its largest whole unit (`36h`, `2d`, `90s`). */
export function formatTtl(ms: number): string {
  for (const unit of ["d", "h", "m"] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}

/** Parses `experiment=group` flags; an error names the flag, in order. */
export function parsePairs(texts: readonly string[]): { ok: true; pairs: PreviewPair[] } | { ok: false; error: string } {
  if (texts.length === 0) return { ok: false, error: "--pair EXPERIMENT=GROUP is required (repeat it for several experiments)" };
  if (texts.length > MAX_PREVIEW_PAIRS) return { ok: false, error: `at most ${MAX_PREVIEW_PAIRS} --pair flags in one link` };
  const pairs: PreviewPair[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const eq = text.indexOf("=");
    const experiment = eq < 0 ? text : text.slice(0, eq);
    const group = eq < 0 ? "" : text.slice(eq + 1);
    if (eq < 0 || !EXPERIMENT_NAME.test(experiment) || !GROUP_NAME.test(group)) {
      return { ok: false, error: `--pair ${JSON.stringify(text)}: expected EXPERIMENT=GROUP with names as the config allows them` };
    }
    if (seen.has(experiment)) return { ok: false, error: `--pair ${JSON.stringify(text)}: ${experiment} is named twice` };
    seen.add(experiment);
    pairs.push({ experiment, group });
  }
  return { ok: true, pairs };
}

/**
 * Checks pairs against the config as the worker will force them: the experiment must be on
 * the host, and the group one of its groups there, in the default groups or any allocation.
 * A pair not live at `nowMs` (or not before the link expires) is allowed with a warning:
 * the worker forces an experiment only while it is live.
 */
export function checkPairs(
  config: CompiledConfig,
  host: string,
  pairs: readonly PreviewPair[],
  nowMs: number,
  expiresAtMs: number,
): { problems: PairProblem[]; warnings: PairWarning[] } {
  const problems: PairProblem[] = [];
  const warnings: PairWarning[] = [];
  const plan = config.hosts.get(host);
  for (const { experiment, group } of pairs) {
    const pair = `${experiment}=${group}`;
    const exp = plan?.experiments.find((e) => e.name === experiment);
    if (exp === undefined) {
      const elsewhere = [...config.hosts.values()].filter((p) => p.experiments.some((e) => e.name === experiment)).map((p) => p.host);
      const hint = elsewhere.length > 0 ? `; it is on ${elsewhere.slice(0, 5).join(", ")}` : config.experiments.some((e) => e.name === experiment) ? "" : "; no such experiment in the config";
      problems.push({ pair, message: `${experiment} is not an experiment on ${host}${hint}` });
      continue;
    }
    const groups = groupsOf(exp);
    if (!groups.includes(group)) {
      problems.push({ pair, message: `${experiment} has no group ${JSON.stringify(group)} on ${host}; its groups: ${groups.join(", ")}` });
      continue;
    }
    if (nowMs >= exp.endMs) warnings.push({ pair, message: `${experiment} ended ${iso(exp.endMs)}: the link will not force it` });
    else if (expiresAtMs <= exp.startMs) warnings.push({ pair, message: `${experiment} starts ${iso(exp.startMs)}, after the link expires: the link will not force it` });
    else if (nowMs < exp.startMs) warnings.push({ pair, message: `${experiment} is not live yet (starts ${iso(exp.startMs)}): the link forces it from then on` });
  }
  return { problems, warnings };
}

/** Every group name of an experiment on a host: its own groups, then each allocation's new ones. */
export function groupsOf(exp: CompiledExperiment): string[] {
  const names = [...exp.groups];
  for (const a of exp.allocations) for (const g of a.table.groups) if (!names.includes(g)) names.push(g);
  return names;
}

/**
 * The scheme and authority a link goes to: `https://<host>` unless `base` (e.g.
 * `http://en.wikipedia.localhost:8787` for the emulation) says otherwise. A base must be
 * http(s) with no path, query or credentials, and name the same host, because a token
 * names one host and the worker reads it from the request URL.
 */
export function linkBase(host: string, base: string | undefined): { ok: true; base: string } | { ok: false; error: string } {
  if (base === undefined) return { ok: true, base: `https://${host}` };
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return { ok: false, error: `--base ${JSON.stringify(base)}: not a URL` };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, error: `--base ${base}: must be an http(s) URL` };
  if (url.username !== "" || url.password !== "" || url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    return { ok: false, error: `--base ${base}: only a scheme, host and port (the path goes in --path)` };
  }
  if (normaliseHost(url.hostname) !== host) return { ok: false, error: `--base ${base}: its host is not ${host} (a token is valid on its own host only)` };
  return { ok: true, base: `${url.protocol}//${host}${url.port === "" ? "" : `:${url.port}`}` };
}

/**
 * The link's path and query: starts with `/`, no fragment, no `wmf-preview` of its own. It is
 * appended to the base, never resolved, so `//evil.example` stays a path on the host.
 */
export function linkPath(path: string | undefined): { ok: true; path: string } | { ok: false; error: string } {
  const p = path ?? "/";
  if (!p.startsWith("/")) return { ok: false, error: `--path ${JSON.stringify(p)}: must start with /` };
  if (/[\s#]/.test(p)) return { ok: false, error: `--path ${JSON.stringify(p)}: no spaces or fragment (#)` };
  const q = p.indexOf("?");
  if (q >= 0 && p.slice(q + 1).split("&").some((part) => part.split("=")[0] === PREVIEW_PARAM)) {
    return { ok: false, error: `--path ${JSON.stringify(p)}: already has a ${PREVIEW_PARAM} parameter` };
  }
  return { ok: true, path: p };
}

/** What a link needs; every part already checked (parseTtl, parsePairs, checkPairs, linkBase, linkPath). */
export interface LinkRequest {
  readonly ring: KeyRing;
  readonly host: string;
  readonly pairs: readonly PreviewPair[];
  readonly nowMs: number;
  readonly ttlMs: number;
  /** Scheme and authority, from linkBase. */
  readonly base: string;
  /** Path and query, from linkPath. */
  readonly path: string;
}

/** Mints the token and builds the link `<base><path>?wmf-preview=<token>` (or `&` after a query). */
export function makePreviewLink(r: LinkRequest): PreviewLink {
  if (!HOST_NAME.test(r.host)) throw new Error(`not a host name: ${r.host}`);
  // The token carries whole seconds; the expiry shown is the one the worker will read.
  const expiresAtMs = Math.floor((r.nowMs + r.ttlMs) / 1000) * 1000;
  const token = mintPreviewToken(r.ring, r.host, new Map(r.pairs.map((p) => [p.experiment, p.group])), expiresAtMs);
  const joiner = !r.path.includes("?") ? "?" : r.path.endsWith("?") || r.path.endsWith("&") ? "" : "&";
  // Parsed once more: percent-encodes what a path may not hold raw, and proves the host held.
  const url = new URL(`${r.base}${r.path}${joiner}${PREVIEW_PARAM}=${token}`);
  if (normaliseHost(url.hostname) !== r.host) throw new Error(`the link does not stay on ${r.host}`);
  return { link: url.href, token, host: r.host, pairs: r.pairs, expiresAtMs, ttlMs: r.ttlMs, keyTag: r.ring.minting.tag, developmentKey: r.ring.usesDevelopmentKey };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}
