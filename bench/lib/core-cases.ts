import { parseConfigText } from "../../src/config-parse.js";
import type { CompiledConfig } from "../../src/config-compile.js";
import { scanCookieHeader } from "../../src/cookie-header.js";
import { enroll } from "../../src/enroll.js";
import { encodeAllPairs, encodeEventsHeader, encodePageHeader } from "../../src/enrollment-header.js";
import { serverTimingEntry } from "../../src/server-timing.js";
import { mintToken, verifyToken } from "../../src/token.js";
import { parseVary } from "../../src/vary.js";
import { BENCH_HOST, configText, cookieHeader, devKeyRing, fillRandom, mintDevToken } from "./fixtures.js";

/**
 * The core fast paths as named, argument-free operations. The Node micro-bench (vitest
 * bench) and the workerd micro-bench run exactly these closures, so the two runtimes
 * measure the same code on the same inputs.
 */

/** One benchmarked operation: `run` does one request's worth of work and returns something to keep. */
export interface CoreCase {
  readonly name: string;
  readonly group: "enroll" | "token" | "codec";
  /** Experiments live on the host, where it matters (for targets). */
  readonly experiments?: number;
  readonly run: () => unknown;
}

/** Live-experiment counts the enrollment cases are built for. */
const EXPERIMENT_COUNTS = [1, 10, 100] as const;

function compiled(n: number): CompiledConfig {
  const r = parseConfigText(configText(n));
  if (!r.ok) throw new Error(`bench config (${n}) does not validate: ${JSON.stringify(r.issues.slice(0, 3))}`);
  return r.config;
}

/** Builds every case (compiles configs and mints the token once, outside the timing). */
export function coreCases(): CoreCase[] {
  const ring = devKeyRing();
  const now = Date.now();
  const token = mintDevToken(now);
  const cases: CoreCase[] = [];

  for (const n of EXPERIMENT_COUNTS) {
    const config = compiled(n);
    // A page request: verify the cookie, enroll, build the origin header and the
    // Server-Timing pairs. This is the per-request core the targets are about.
    cases.push({
      name: `enroll page, ${n} exp (verify + enroll + page header + Server-Timing pairs)`,
      group: "enroll",
      experiments: n,
      run: () => {
        const v = verifyToken(token, ring);
        if (!v.ok) throw new Error(v.reason);
        const e = enroll(v.identity, BENCH_HOST, now, config);
        return encodePageHeader(e).length + serverTimingEntry(encodeAllPairs(e)).length;
      },
    });
    // The event intake: full subject IDs for every enrollment.
    cases.push({
      name: `enroll events, ${n} exp (verify + enroll withSubjects + events header)`,
      group: "enroll",
      experiments: n,
      run: () => {
        const v = verifyToken(token, ring);
        if (!v.ok) throw new Error(v.reason);
        return encodeEventsHeader(enroll(v.identity, BENCH_HOST, now, config, true)).length;
      },
    });
    // A first visit: mint instead of verify.
    cases.push({
      name: `enroll first visit, ${n} exp (mint + enroll + page header + Server-Timing pairs)`,
      group: "enroll",
      experiments: n,
      run: () => {
        const m = mintToken(ring, now, fillRandom);
        const e = enroll(m.identity, BENCH_HOST, now, config);
        return m.value.length + encodePageHeader(e).length + serverTimingEntry(encodeAllPairs(e)).length;
      },
    });
  }

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
    cases.push({ name: `encodeEventsHeader, ${n} enrollments`, group: "codec", experiments: n, run: () => encodeEventsHeader(withSubjects) });
    const pairs = encodeAllPairs(e);
    cases.push({ name: `serverTimingEntry, ${n} enrollments`, group: "codec", experiments: n, run: () => serverTimingEntry(pairs) });
  }
  cases.push({ name: "parseVary (Accept-Encoding, fast path)", group: "codec", run: () => parseVary("Accept-Encoding") });
  cases.push({
    name: "parseVary (X-Experiment-Enrollments, Accept-Encoding)",
    group: "codec",
    run: () => parseVary("X-Experiment-Enrollments, Accept-Encoding"),
  });
  const cookie1k = cookieHeader(1024, token);
  const cookie16k = cookieHeader(16 * 1024, token);
  const cookie1kNoUniq = cookieHeader(1024, null);
  cases.push({ name: "scanCookieHeader, 1 KB with WMF-Uniq", group: "codec", run: () => scanCookieHeader(cookie1k) });
  cases.push({ name: "scanCookieHeader, 16 KB with WMF-Uniq", group: "codec", run: () => scanCookieHeader(cookie16k) });
  cases.push({ name: "scanCookieHeader, 1 KB without WMF-Uniq", group: "codec", run: () => scanCookieHeader(cookie1kNoUniq) });
  return cases;
}
