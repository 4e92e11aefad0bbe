import { cpus } from "node:os";
import { ARTICLE_BODY, ARTICLE_PATH, ORIGIN_BODY, type Origin } from "./origin.js";
import { probe } from "./http.js";
import { runLoad, type LoadGenerator, type LoadResult } from "./loadgen.js";
import { busyCores, cpuJiffies, loadavg } from "./machine.js";
import { spread, mean, type Spread } from "./stats.js";
import type { Workerd } from "./workerd.js";
import { BENCH_HOST, cookieHeader, GB_UUID } from "./fixtures.js";

/**
 * The load phase: every variant against one workerd process (the self-hosted profile has
 * its own) and one origin, bounded runs,
 * variants alternated in rounds with the pass-through measured at the start and the end
 * of each round. Primary figures: throughput relative to the round's pass-through, and
 * workerd CPU per request (from /proc/PID/stat) minus the pass-through's.
 */

export type VariantKind = "passthrough" | "floor" | "ladder" | "ours" | "growthbook-edge" | "growthbook-direct" | "growthbook-fair";

export interface Variant {
  readonly id: string;
  readonly label: string;
  readonly kind: VariantKind;
  readonly experiments: number | null;
  readonly visitor: "returning" | "first" | null;
  readonly port: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The page requested: the small one (default) or the article (ARTICLE_PATH). */
  readonly page?: "main" | "article";
  readonly path?: string;
  /** Id of the pass-through its ratios are to (default: the first variant's). */
  readonly reference?: string;
  /** Set for variants that only attribute cost (not judged against targets). */
  readonly diagnostic?: string;
  /** The process serving it when not the shared one (its CPU is the variant's). */
  readonly workerd?: Workerd;
}

export interface RunFigures extends LoadResult {
  readonly variant: string;
  readonly round: number;
  readonly position: "start" | "middle" | "end";
  readonly cpuUsPerReq: number;
  readonly loadavg1: number;
  /** Cores busy with anything but workerd and this process (origin): wrk, the kernel's loopback networking, other people's work. */
  readonly otherCores: number;
}

export interface VariantSummary {
  readonly id: string;
  readonly label: string;
  readonly kind: VariantKind;
  readonly experiments: number | null;
  readonly visitor: "returning" | "first" | null;
  readonly page: "main" | "article";
  readonly diagnostic: string | null;
  readonly rps: Spread;
  readonly ratio: Spread;
  /**
   * Pass-through CPU per request ÷ this variant's, per round: the throughput ratio workerd
   * would show with a core to itself (its JS thread is the bottleneck). Much less sensitive
   * to other load on the machine than the measured req/s ratio; a cross-check.
   */
  readonly cpuRatio: Spread;
  readonly cpuUsPerReq: Spread;
  readonly cpuOverPassUs: Spread;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  readonly errors: number;
}

export interface LoadPhase {
  readonly generator: string;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly runs: RunFigures[];
  readonly summaries: VariantSummary[];
  /** Pass-through at the end of each round / at its start. */
  readonly drift: number[];
  readonly checks: { variant: string; ok: boolean; detail: string }[];
  readonly machine: { loadavg1: Spread; otherCores: Spread };
}

const PATH = "/wiki/Main_Page";
const pathOf = (v: Variant): string => v.path ?? PATH;
const COMMON = {
  Host: BENCH_HOST,
  "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  Accept: "text/html,application/xhtml+xml",
  "Accept-Language": "en-US,en;q=0.9",
};

/**
 * Request headers for each kind of visitor: an anonymous reader's cookies (the bulk of a
 * wiki's traffic), differing only in the identity cookie (ours, none, GrowthBook's).
 */
export function visitorHeaders(kind: "ours-returning" | "ours-first" | "gb-returning", token: string): Record<string, string> {
  switch (kind) {
    case "ours-returning":
      return { ...COMMON, Cookie: cookieHeader(0, token) };
    case "ours-first":
      return { ...COMMON, Cookie: cookieHeader(0, null) };
    case "gb-returning":
      return { ...COMMON, Cookie: cookieHeader(0, null).replace("NetworkProbeLimit", `gbuuid=${GB_UUID}; NetworkProbeLimit`) };
  }
}

/** Sends one request per variant and checks it did what the variant is for. */
export async function checkVariants(variants: readonly Variant[], origin: Origin, cacheLookups: () => number): Promise<LoadPhase["checks"]> {
  const checks: LoadPhase["checks"] = [];
  for (const v of variants) {
    const problems: string[] = [];
    let detail = "";
    try {
      const lookupsBefore = cacheLookups();
      const r = await probe(v.port, pathOf(v), { ...v.headers });
      const originBody = pathOf(v) === ARTICLE_PATH ? ARTICLE_BODY : ORIGIN_BODY;
      const lookups = cacheLookups() - lookupsBefore;
      const seen = origin.lastHeaders();
      if (r.status !== 200) problems.push(`status ${r.status}`);
      const enrollments = String(seen?.["x-experiment-enrollments"] ?? "");
      const pairs = enrollments === "" ? 0 : enrollments.split(";").length - 1;
      const setCookie = ([] as string[]).concat(r.headers["set-cookie"] ?? []);
      switch (v.kind) {
        case "passthrough":
        case "floor":
        case "ladder":
          detail = `${lookups} cache lookup(s), body ${r.body.length} bytes`;
          if (r.body !== originBody) problems.push("body differs from the origin's");
          break;
        case "ours": {
          const st = String(r.headers["server-timing"] ?? "");
          const stPairs = (/WMF-Uniq;desc="([^"]*)"/.exec(st)?.[1] ?? "").split(";").length - 1;
          const minted = setCookie.some((c) => /^WMF-Uniq=/.test(c));
          const forwardedCookie = String(seen?.["cookie"] ?? "");
          detail = `origin got ${pairs} pairs, Server-Timing ${stPairs} pairs, ${minted ? "minted" : "no Set-Cookie"}, ${lookups} cache lookup(s)`;
          if (pairs !== v.experiments) problems.push(`origin got ${pairs} enrollment pairs, expected ${v.experiments}`);
          if (stPairs !== v.experiments) problems.push(`Server-Timing lists ${stPairs} pairs, expected ${v.experiments}`);
          if (v.visitor === "first" && !minted) problems.push("first visit got no WMF-Uniq Set-Cookie");
          if (v.visitor === "returning" && minted) problems.push("returning visitor was re-minted (token not accepted)");
          if (/wmf-uniq/i.test(forwardedCookie)) problems.push("WMF-Uniq reached the origin");
          if (/x-experiment-enrollments/i.test(String(r.headers["vary"] ?? ""))) problems.push("Vary still names X-Experiment-Enrollments");
          if (r.body !== originBody) problems.push("body differs from the origin's");
          break;
        }
        case "growthbook-fair": {
          const st = String(r.headers["server-timing"] ?? "");
          const stPairs = (/gb;desc="([^"]*)"/.exec(st)?.[1] ?? "").split(";").length - 1;
          detail = `origin got ${pairs} pairs, Server-Timing ${stPairs} pairs`;
          if (pairs !== v.experiments) problems.push(`origin got ${pairs} assignment pairs, expected ${v.experiments}`);
          if (stPairs !== v.experiments) problems.push(`Server-Timing lists ${stPairs} pairs, expected ${v.experiments}`);
          if (/gbuuid/i.test(String(seen?.["cookie"] ?? ""))) problems.push("gbuuid reached the origin");
          if (/x-experiment-enrollments/i.test(String(r.headers["vary"] ?? ""))) problems.push("Vary still names X-Experiment-Enrollments");
          if (r.body !== originBody) problems.push("body differs from the origin's");
          break;
        }
        case "growthbook-direct":
          detail = `origin got ${pairs} pairs`;
          if (pairs !== v.experiments) problems.push(`origin got ${pairs} assignment pairs, expected ${v.experiments}`);
          break;
        case "growthbook-edge":
          detail = `body ${r.body.length} bytes (origin ${originBody.length})`;
          if (r.body.length <= originBody.length) problems.push("no script injected");
          break;
      }
    } catch (e) {
      problems.push((e as Error).message);
    }
    checks.push({ variant: v.id, ok: problems.length === 0, detail: problems.length ? problems.join("; ") : detail });
  }
  return checks;
}

export interface LoadOptions {
  readonly generator: LoadGenerator;
  readonly generatorLabel: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly log: (line: string) => void;
}

/** Runs every round and summarises. `variants[0]` must be the pass-through. */
export async function runLoadPhase(workerd: Workerd, origin: Origin, variants: readonly Variant[], opts: LoadOptions): Promise<Omit<LoadPhase, "checks">> {
  const pass = variants[0]!;
  if (pass.kind !== "passthrough") throw new Error("the first variant must be the pass-through");
  const others = variants.slice(1);
  const runs: RunFigures[] = [];
  const nproc = cpus().length;

  const measure = async (v: Variant, round: number, position: RunFigures["position"]): Promise<RunFigures> => {
    if (opts.warmupSeconds > 0) await runLoad(opts.generator, { ...spec(v), seconds: opts.warmupSeconds });
    const proc = v.workerd ?? workerd;
    const cpu0 = proc.cpuMicros();
    const self0 = process.cpuUsage();
    const j0 = cpuJiffies();
    const t0 = process.hrtime.bigint();
    const r = await runLoad(opts.generator, { ...spec(v), seconds: opts.seconds });
    const elapsedUs = Number(process.hrtime.bigint() - t0) / 1000;
    const j1 = cpuJiffies();
    const selfUs = process.cpuUsage(self0);
    const cpu = proc.cpuMicros() - cpu0;
    const otherCores = Math.max(0, busyCores(j0, j1, nproc) - cpu / elapsedUs - (selfUs.user + selfUs.system) / elapsedUs);
    const fig: RunFigures = {
      ...r,
      variant: v.id,
      round,
      position,
      cpuUsPerReq: cpu / Math.max(1, r.requests),
      loadavg1: loadavg()[0],
      otherCores,
    };
    opts.log(
      `  round ${round + 1} ${v.id.padEnd(24)} ${fig.rps.toFixed(0).padStart(7)} req/s  ${fig.cpuUsPerReq.toFixed(1).padStart(7)} µs CPU/req` +
        `  p50 ${fig.p50Ms.toFixed(2)} ms${fig.errors ? `  ERRORS ${fig.errors}` : ""}  (other load ${otherCores.toFixed(2)} cores)`,
    );
    return fig;
  };
  const spec = (v: Variant) => ({ port: v.port, path: pathOf(v), headers: v.headers, seconds: opts.seconds, connections: opts.connections });

  // Warm every variant once (JIT, connection pools) before any measurement.
  const firstWarmup = Math.max(1, opts.warmupSeconds * 2);
  opts.log(`warm-up: ${variants.length} variants × ${firstWarmup} s`);
  for (const v of variants) await runLoad(opts.generator, { ...spec(v), seconds: firstWarmup });

  for (let round = 0; round < opts.rounds; round++) {
    // Rotate the order each round so no variant always follows the same neighbour.
    const shift = (round * Math.ceil(others.length / Math.max(1, opts.rounds))) % Math.max(1, others.length);
    const order = [...others.slice(shift), ...others.slice(0, shift)];
    runs.push(await measure(pass, round, "start"));
    for (const v of order) runs.push(await measure(v, round, "middle"));
    runs.push(await measure(pass, round, "end"));
  }

  // Per round: pass-through reference = mean of its start and end runs (or the run of the
  // variant's own reference, the article's pass-through).
  const passRef = (round: number, id: string): { rps: number; cpu: number } => {
    const p = runs.filter((r) => r.round === round && r.variant === id);
    return { rps: mean(p.map((x) => x.rps)), cpu: mean(p.map((x) => x.cpuUsPerReq)) };
  };
  const summaries: VariantSummary[] = variants.map((v) => {
    const mine = runs.filter((r) => r.variant === v.id);
    const refId = v.reference !== undefined && variants.some((x) => x.id === v.reference) ? v.reference : pass.id;
    const ref = (round: number) => passRef(round, refId);
    return {
      id: v.id,
      label: v.label,
      kind: v.kind,
      experiments: v.experiments,
      visitor: v.visitor,
      page: v.page ?? "main",
      diagnostic: v.diagnostic ?? null,
      rps: spread(mine.map((r) => r.rps)),
      ratio: spread(mine.map((r) => r.rps / ref(r.round).rps)),
      cpuRatio: spread(mine.map((r) => ref(r.round).cpu / r.cpuUsPerReq)),
      cpuUsPerReq: spread(mine.map((r) => r.cpuUsPerReq)),
      cpuOverPassUs: spread(mine.map((r) => r.cpuUsPerReq - ref(r.round).cpu)),
      p50Ms: spread(mine.map((r) => r.p50Ms)),
      p99Ms: spread(mine.map((r) => r.p99Ms)),
      errors: mine.reduce((a, r) => a + r.errors, 0),
    };
  });
  const drift: number[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const start = runs.find((r) => r.round === round && r.variant === pass.id && r.position === "start");
    const end = runs.find((r) => r.round === round && r.variant === pass.id && r.position === "end");
    if (start && end) drift.push(end.rps / start.rps);
  }
  return {
    generator: opts.generatorLabel,
    connections: opts.connections,
    seconds: opts.seconds,
    warmupSeconds: opts.warmupSeconds,
    rounds: opts.rounds,
    runs,
    summaries,
    drift,
    machine: { loadavg1: spread(runs.map((r) => r.loadavg1)), otherCores: spread(runs.map((r) => r.otherCores)) },
  };
}

/** `a`'s workerd CPU per request minus `b`'s, paired within each round (µs; median and range). */
export function pairedCpuDelta(phase: Pick<LoadPhase, "runs" | "rounds">, a: string, b: string): Spread {
  const values: number[] = [];
  for (let round = 0; round < phase.rounds; round++) {
    const ra = phase.runs.find((r) => r.round === round && r.variant === a);
    const rb = phase.runs.find((r) => r.round === round && r.variant === b);
    if (ra && rb) values.push(ra.cpuUsPerReq - rb.cpuUsPerReq);
  }
  return spread(values);
}

/** `b`'s workerd CPU per request ÷ `a`'s, paired within each round: the throughput ratio a ÷ b with a core to itself. */
export function pairedCpuRatio(phase: Pick<LoadPhase, "runs" | "rounds">, a: string, b: string): Spread {
  const values: number[] = [];
  for (let round = 0; round < phase.rounds; round++) {
    const ra = phase.runs.find((r) => r.round === round && r.variant === a);
    const rb = phase.runs.find((r) => r.round === round && r.variant === b);
    if (ra && rb) values.push(rb.cpuUsPerReq / ra.cpuUsPerReq);
  }
  return spread(values);
}

/** Ratio of two variants' throughput, paired within each round (median and range). */
export function pairedRatio(phase: Pick<LoadPhase, "runs" | "rounds">, a: string, b: string): Spread {
  const values: number[] = [];
  for (let round = 0; round < phase.rounds; round++) {
    const ra = phase.runs.find((r) => r.round === round && r.variant === a);
    const rb = phase.runs.find((r) => r.round === round && r.variant === b);
    if (ra && rb) values.push(ra.rps / rb.rps);
  }
  return spread(values);
}
