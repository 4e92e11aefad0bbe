import { parseConfigText } from "../../src/config-parse.js";
import { jsonKeyReport, scanJsonKeys } from "../../src/json-keys.js";
import type { CompiledConfig } from "../../src/config-compile.js";
import { scanCookieHeader } from "../../src/cookie-header.js";
import { isbot } from "isbot";
import { botReason } from "../../src/bots.js";
import { decide, type DecisionInput } from "../../src/decision.js";
import { enroll } from "../../src/enroll.js";
import { registrableDomain } from "../../src/host.js";
import { encodeAllPairs, encodeEventsHeader, encodePageHeader, withheldFromPage } from "../../src/enrollment-header.js";
import { serverTimingEntry } from "../../src/server-timing.js";
import { DEFAULT_SESSION_COOKIE_PATTERN } from "../../src/request-context.js";
import { mintToken, verifyToken } from "../../src/token.js";
import { parseVary } from "../../src/vary.js";
import { BENCH_FACTS, BENCH_HOST, configText, cookieHeader, devKeyRing, fillRandom, mintDevToken } from "./fixtures.js";

/**
 * The core fast paths as named, argument-free operations. The Node micro-bench (vitest
 * bench) and the workerd micro-bench run exactly these closures, so the two runtimes
 * measure the same code on the same inputs.
 */

/** One benchmarked operation: `run` does one request's worth of work and returns something to keep. */
export interface CoreCase {
  readonly name: string;
  readonly group: "enroll" | "token" | "codec" | "host";
  /** Experiments live on the host, where it matters (for targets). */
  readonly experiments?: number;
  readonly run: () => unknown;
}

/** Live-experiment counts the enrollment cases are built for. */
const EXPERIMENT_COUNTS = [1, 10, 100] as const;

function compiled(n: number, rules = false): CompiledConfig {
  const r = parseConfigText(configText(n, 1, "bench_experiment", 0, rules));
  if (!r.ok) throw new Error(`bench config (${n}) does not validate: ${JSON.stringify(r.issues.slice(0, 3))}`);
  return r.config;
}

/** Builds every case (compiles configs and mints the token once, outside the timing). */
export function coreCases(): CoreCase[] {
  const ring = devKeyRing();
  const now = Date.now();
  const token = mintDevToken(now);
  const cases: CoreCase[] = [];

  const sessionCookie = new RegExp(DEFAULT_SESSION_COOKIE_PATTERN);
  // The worker's own decision (src/decision.ts), with the inputs the worker would pass.
  const request = (config: CompiledConfig, presented: readonly string[], isEvents = false): DecisionInput => ({
    nowMs: now,
    random: fillRandom,
    keyRing: ring,
    config,
    killed: false,
    host: BENCH_HOST,
    isEvents,
    presented,
    botPolicy: "exclude",
    sessionCookie,
    cookieDomain: () => "wikipedia.org",
    facts: () => BENCH_FACTS,
    preview: null,
  });
  const returning = [token];
  const none: string[] = [];

  for (const n of EXPERIMENT_COUNTS) {
    const config = compiled(n);
    // A page request: the decision (verify the cookie, enroll, build the origin header and
    // the Server-Timing pairs) and the Server-Timing entry. The per-request core the targets are about.
    const page = request(config, returning);
    cases.push({
      name: `enroll page, ${n} exp (decide: verify + enroll + page header + Server-Timing pairs)`,
      group: "enroll",
      experiments: n,
      run: () => {
        const d = decide(page);
        return d.enrollments.length + serverTimingEntry(d.timingPairs).length;
      },
    });
    // The event intake: full subject IDs for every enrollment.
    const events = request(config, returning, true);
    cases.push({
      name: `enroll events, ${n} exp (decide: verify + enroll withSubjects + events header)`,
      group: "enroll",
      experiments: n,
      run: () => decide(events).enrollments.length,
    });
    // A first visit: the bot check, mint and Set-Cookie instead of verify.
    const first = request(config, none);
    cases.push({
      name: `enroll first visit, ${n} exp (decide: bot check + mint + enroll + headers + Set-Cookie)`,
      group: "enroll",
      experiments: n,
      run: () => {
        const d = decide(first);
        return d.setCookie!.length + d.enrollments.length + serverTimingEntry(d.timingPairs).length;
      },
    });
  }
  // Every experiment with an eligibility rule and an allocation rule (contract §8).
  for (const n of [10, 100] as const) {
    const page = request(compiled(n, true), returning);
    cases.push({
      name: `enroll page with rules, ${n} exp (decide: context + eligibility + allocation on each)`,
      group: "enroll",
      experiments: n,
      run: () => {
        const d = decide(page);
        return d.enrollments.length + serverTimingEntry(d.timingPairs).length;
      },
    });
  }
  // The bot check a first visit pays (contract §9); a returning visitor never runs it.
  // botReason remembers verdicts per User-Agent (src/bots.ts); the isbot rows are what a
  // User-Agent not seen before in the isolate costs.
  cases.push({ name: "bot check, browser User-Agent (remembered verdict)", group: "enroll", run: () => botReason(false, BENCH_FACTS.userAgent) });
  cases.push({ name: "isbot, browser User-Agent (no match: the first time a User-Agent is seen)", group: "enroll", run: () => isbot(BENCH_FACTS.userAgent) });
  const googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
  cases.push({ name: "bot check, Googlebot (remembered verdict)", group: "enroll", run: () => botReason(false, googlebot) });
  cases.push({ name: "isbot, Googlebot", group: "enroll", run: () => isbot(googlebot) });

  cases.push({ name: "token mint (CSPRNG + MAC + base64url)", group: "token", run: () => mintToken(ring, now, fillRandom).value });
  cases.push({ name: "token verify (valid 48-char token)", group: "token", run: () => verifyToken(token, ring).ok });
  const forged = token.slice(0, -2) + (token.endsWith("AA") ? "BA" : "AA");
  cases.push({ name: "token verify (bad MAC)", group: "token", run: () => verifyToken(forged, ring).ok });

  for (const n of [10, 100] as const) {
    const config = compiled(n);
    const v = verifyToken(token, ring);
    if (!v.ok) throw new Error(v.reason);
    const e = enroll(v.identity, BENCH_HOST, now, config);
    const withSubjects = enroll(v.identity, BENCH_HOST, now, config, true);
    cases.push({ name: `encodePageHeader, ${n} enrollments`, group: "codec", experiments: n, run: () => encodePageHeader(e) });
    // The group-0 count the worker takes per page request: one look per enrollment.
    cases.push({ name: `withheldFromPage, ${n} enrollments`, group: "codec", experiments: n, run: () => withheldFromPage(e) });
    cases.push({ name: `encodeEventsHeader, ${n} enrollments`, group: "codec", experiments: n, run: () => encodeEventsHeader(withSubjects) });
    const pairs = encodeAllPairs(e);
    cases.push({ name: `serverTimingEntry, ${n} enrollments`, group: "codec", experiments: n, run: () => serverTimingEntry(pairs) });
  }
  // parseVary keeps the last value's parse (an origin repeats its Vary): the same value is
  // that hit; alternating two values prices the parse itself.
  cases.push({ name: "parseVary (the same value as the last response's)", group: "codec", run: () => parseVary("X-Experiment-Enrollments, Accept-Encoding") });
  const varies = ["Accept-Encoding", "X-Experiment-Enrollments, Accept-Encoding"];
  let flip = 0;
  cases.push({ name: "parseVary (Accept-Encoding and X-Experiment-Enrollments, Accept-Encoding, alternating: parsed each time)", group: "codec", run: () => parseVary(varies[flip ^= 1]!) });
  cases.push({
    name: "parseVary (X-Experiment-Enrollments, Accept-Encoding, a fresh string each time: compared, not parsed)",
    group: "codec",
    run: () => parseVary(`X-Experiment-Enrollments, ${flip === 2 ? "" : "Accept-Encoding"}`),
  });
  const cookie1k = cookieHeader(1024, token);
  const cookie16k = cookieHeader(16 * 1024, token);
  const cookie1kNoUniq = cookieHeader(1024, null);
  cases.push({ name: "scanCookieHeader, 1 KB with WMF-Uniq", group: "codec", run: () => scanCookieHeader(cookie1k) });
  cases.push({ name: "scanCookieHeader, 16 KB with WMF-Uniq", group: "codec", run: () => scanCookieHeader(cookie16k) });
  cases.push({ name: "scanCookieHeader, 1 KB without WMF-Uniq", group: "codec", run: () => scanCookieHeader(cookie1kNoUniq) });
  // A config text's key report (src/json-keys.ts, once per config version): the fast path,
  // native searches that count the keys, beside the scan of every character it spares.
  const text100 = configText(100);
  const doc100: unknown = JSON.parse(text100);
  cases.push({ name: "jsonKeyReport, config text of 100 exp (fast path: no repeat, so the key counts agree)", group: "codec", experiments: 100, run: () => jsonKeyReport(text100, doc100).topLevelOrder.length });
  cases.push({ name: "scanJsonKeys, config text of 100 exp (the scan the fast path spares)", group: "codec", experiments: 100, run: () => scanJsonKeys(text100).topLevelOrder.length });
  // The cookie Domain of a host from the Public Suffix List: what the first cookie minted
  // on a host costs (worker/cookie-domain.ts remembers the answer per host per isolate).
  for (const [what, host] of [
    ["one-label suffix", "en.m.wikipedia.org"],
    ["multi-label suffix", "www.example.co.uk"],
    ["private suffix", "wiki.example.github.io"],
    ["host that is a suffix", "workers.dev"],
  ] as const) {
    cases.push({ name: `registrableDomain, ${what} (${host})`, group: "host", run: () => registrableDomain(host) });
  }
  return cases;
}
