import type { ConfigChangeResult } from "./config-change.js";
import type { ScaleResult } from "./config-scale.js";
import type { LoadPhase } from "./load.js";
import type { StartupResult } from "./startup.js";
import type { Spread } from "./stats.js";

/**
 * The bench's output: one JSON document (bench/results/latest.json) and a markdown
 * rendering of every figure with PASS/MISS against each target (latest.md).
 */

export interface MicroRow {
  readonly name: string;
  readonly group: string;
  readonly experiments: number | null;
  readonly nodeNs: number | null;
  readonly workerdNs: number | null;
}

export interface Target {
  readonly id: string;
  readonly what: string;
  readonly target: string;
  readonly value: string;
  /** null: not measured in this run. */
  readonly pass: boolean | null;
  /** The load variant the target is about (profiled when it misses). */
  readonly variant?: string;
}

/** Where a variant that missed a target spends its CPU: a V8 profile's self time. */
export interface MissProfile {
  readonly variant: string;
  /** The variant's workerd CPU per request in the load phase (the rows' µs are shares of it). */
  readonly cpuUsPerReq: number;
  readonly rows: readonly { fn: string; share: number; us: number; totalShare: number }[];
}

export interface BenchResults {
  readonly date: string;
  readonly mode: "full" | "quick";
  readonly durationSeconds: number;
  readonly environment: {
    readonly node: string;
    readonly workerd: string;
    readonly workerdPackage: string;
    readonly cpu: string;
    readonly cores: number;
    readonly loadGenerator: string;
    readonly loadavgStart: number[];
    readonly loadavgEnd: number[];
    readonly git: { commit: string; subject: string; dirty: boolean; workerCommit: string | null };
    readonly growthbook: { sdk: string; edge: string };
  };
  readonly bundle: { bytes: number; gzipBytes: number } | null;
  readonly startup: StartupResult | null;
  readonly micro: MicroRow[];
  readonly load: LoadPhase | null;
  readonly configScale: ScaleResult[];
  readonly configChange: ConfigChangeResult[];
  readonly peers: { id: string; what: string; ratio: Spread; cpuRatio?: Spread }[];
  readonly targets: Target[];
  readonly missProfiles?: MissProfile[];
  readonly notes: string[];
}

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "–");
const f3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : "–");
const range = (s: Spread, f: (n: number) => string): string => (s.n > 1 ? `${f(s.min)}–${f(s.max)}` : "");
const withRange = (s: Spread, f: (n: number) => string): string => (s.n > 1 ? `${f(s.median)} (${range(s, f)})` : f(s.median));

/** Formats nanoseconds for humans (ns below 10 µs, µs above). */
export function ns(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "–";
  if (v < 0) return "≈0";
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} µs` : `${Math.round(v).toLocaleString("en-US")} ns`;
}

const mark = (p: boolean | null): string => (p === null ? "–" : p ? "PASS" : "**MISS**");

/** Renders the markdown report. */
export function renderMarkdown(r: BenchResults): string {
  const e = r.environment;
  const out: string[] = [];
  out.push(`# Edge Enrollment bench (${r.mode})`);
  out.push("");
  out.push(`- Date: ${r.date} (took ${Math.round(r.durationSeconds)} s)`);
  out.push(`- Code: ${e.git.commit.slice(0, 10)} "${e.git.subject}"${e.git.dirty ? " (working tree had uncommitted changes)" : ""}; worker commit: ${e.git.workerCommit ?? "none yet (dist/worker.js is the placeholder)"}`);
  out.push(`- Node ${e.node}; workerd ${e.workerd} (npm workerd ${e.workerdPackage}); ${e.cores} × ${e.cpu}`);
  out.push(`- Load generator: ${e.loadGenerator}`);
  out.push(`- GrowthBook: @growthbook/growthbook ${e.growthbook.sdk}, @growthbook/edge-cloudflare ${e.growthbook.edge}`);
  out.push(
    `- Machine load (1-min loadavg): ${e.loadavgStart[0]} at start, ${e.loadavgEnd[0]} at end` +
      (r.load
        ? `; during load runs ${withRange(r.load.machine.loadavg1, f2)}, and the rest of the machine (wrk, kernel networking, other processes) kept ` +
          `${withRange(r.load.machine.otherCores, f2)} of the 2 cores busy besides workerd and the origin`
        : ""),
  );
  out.push("");

  out.push("## Targets");
  out.push("");
  out.push("| target | goal | measured | result |");
  out.push("|---|---|---|---|");
  for (const t of r.targets) out.push(`| ${t.what} | ${t.target} | ${t.value} | ${mark(t.pass)} |`);
  out.push("");
  const floorPeers = r.peers.filter((p) => p.id === "floor-vs-pass" || p.id === "contract-vs-floor" || p.id === "ours-10-vs-contract");
  if (floorPeers.length > 0) {
    out.push("The floors (paired within each round; CPU ratio = the inverse ratio of workerd CPU per request):");
    out.push("");
    for (const p of floorPeers) out.push(`- ${p.what}: ${withRange(p.ratio, f3)} × throughput, ${p.cpuRatio ? withRange(p.cpuRatio, f3) : "–"} × by CPU`);
    out.push("");
  }
  const profiles = r.missProfiles ?? [];
  if (profiles.length > 0) {
    out.push("### Where the time goes in each miss");
    out.push("");
    out.push(
      "A V8 CPU profile of the variant under the same load (bench/profile.ts, its own workerd with the inspector): each function's share of the busy samples " +
        "(self time; native calls such as `fetch`, `Headers` and `Response` are their own rows), and that share of the variant's workerd CPU per request in the load phase. " +
        "`(program)` is time outside JavaScript (the runtime's own C++: HTTP, streams, the request's I/O); `(garbage collector)` is V8's.",
    );
    out.push("");
    for (const m of profiles) {
      out.push(`**${m.variant}** (${f1(m.cpuUsPerReq)} µs CPU per request):`);
      out.push("");
      out.push("| function (self) | share | µs/req | with callees |");
      out.push("|---|---|---|---|");
      for (const row of m.rows) out.push(`| \`${row.fn}\` | ${(row.share * 100).toFixed(1)} % | ${f1(row.us)} | ${(row.totalShare * 100).toFixed(1)} % |`);
      out.push("");
    }
  }

  if (r.load) {
    const l = r.load;
    out.push("## Load: raw workerd on 127.0.0.1");
    out.push("");
    out.push(
      `${l.generator}, ${l.connections} connections, ${l.rounds} round(s) of ${l.seconds} s per variant after a warm-up, variants rotated per round, ` +
        `pass-through at the start and end of each round (its drift end/start: ${l.drift.map(f3).join(", ") || "–"}). ` +
        `Medians over rounds, min–max in brackets. Ratio = req/s ÷ the same round's pass-through (mean of its two runs); ` +
        `CPU = workerd user+system CPU per request from /proc/PID/stat; Δ CPU = minus the pass-through's; ` +
        `CPU ratio = the pass-through's CPU per request ÷ the variant's (the throughput ratio workerd would show with a core to itself, a cross-check that other load disturbs much less).`,
    );
    const disturbed = l.drift.filter((d) => Math.abs(d - 1) > 0.15).length;
    if (disturbed > 0) {
      out.push("");
      out.push(`**${disturbed} of ${l.rounds} round(s) drifted by more than 15 %** (other load changed during the round): trust the CPU columns more than req/s.`);
    }
    out.push("");
    for (const page of ["main", "article"] as const) {
      const rows = l.summaries.filter((s) => (s.page ?? "main") === page);
      if (rows.length === 0) continue;
      if (page === "article") {
        out.push("The realistic page (an 81 KB article from the origin), each row against the pass-through on the same page:");
        out.push("");
      }
      out.push("| variant | id | experiments | visitor | req/s | ratio to pass-through | CPU ratio | workerd CPU µs/req | Δ CPU µs/req | p50 ms | p99 ms | errors |");
      out.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
      for (const s of rows) {
        out.push(
          `| ${s.label}${s.diagnostic ? ` (diagnostic: ${s.diagnostic})` : ""} | ${s.id} | ${s.experiments ?? "–"} | ${s.visitor ?? "–"} | ${withRange(s.rps, f0)} | ${withRange(s.ratio, f3)} | ${withRange(s.cpuRatio, f3)} | ${withRange(s.cpuUsPerReq, f1)} | ` +
            `${s.kind === "passthrough" ? "0" : withRange(s.cpuOverPassUs, f1)} | ${f2(s.p50Ms.median)} | ${f2(s.p99Ms.median)} | ${s.errors} |`,
        );
      }
      out.push("");
    }
    if (r.peers.length > 0) {
      out.push("Head to head (paired within each round):");
      out.push("");
      out.push("| comparison | throughput ratio | CPU ratio |");
      out.push("|---|---|---|");
      for (const p of r.peers) out.push(`| ${p.what} | ${withRange(p.ratio, f2)} × | ${p.cpuRatio ? `${withRange(p.cpuRatio, f2)} ×` : "–"} |`);
      out.push("");
    }
    out.push("Sanity checks (one request per variant before the load):");
    out.push("");
    for (const c of l.checks) out.push(`- ${c.ok ? "ok" : "**FAILED**"} ${c.variant}: ${c.detail}`);
    out.push("");
  }

  if (r.micro.length > 0) {
    out.push("## Micro: the core per operation");
    out.push("");
    out.push("Node: vitest bench, median per call ÷ batch. workerd: the same closures run K times in one request, timed from outside, minus an empty loop of K.");
    out.push("");
    out.push("| operation | Node | workerd |");
    out.push("|---|---|---|");
    for (const m of r.micro) out.push(`| ${m.name} | ${ns(m.nodeNs)} | ${ns(m.workerdNs)} |`);
    out.push("");
  }

  if (r.configScale.length > 0) {
    out.push("## Config scale: parseConfigText (parse + validate + compile), Node");
    out.push("");
    out.push("| experiments × hosts | JSON size | time (median, min–max) | heap retained | heap growth during parse |");
    out.push("|---|---|---|---|---|");
    for (const c of r.configScale) {
      out.push(
        `| ${c.experiments} × ${c.hosts} | ${(c.textBytes / 1024).toFixed(0)} KiB | ${f2(c.ms)} ms (${f2(c.msMin)}–${f2(c.msMax)}) | ` +
          `${(c.retainedBytes / 1048576).toFixed(2)} MiB | ${(c.transientBytes / 1048576).toFixed(2)} MiB |`,
      );
    }
    out.push("");
  }

  if (r.configChange.length > 0) {
    out.push("## Config change on the request path (workerd, sequential requests)");
    out.push("");
    out.push("Extra = the change window's slowest request − the slowest of a steady window of as many requests right after it (medians over trials); the last column but two is the slowest over the median request, which also holds this machine's own tail.");
    out.push("");
    out.push("| new config | steady request (median) | slowest steady request (equal window) | slowest request after the change | extra | slowest − median | change → first response using it | requests until then |");
    out.push("|---|---|---|---|---|---|---|---|");
    for (const c of r.configChange) {
      out.push(
        `| ${c.experiments} × ${c.hosts} | ${f2(c.steadyMs)} ms | ${f2(c.steadyWorstMs)} ms | ${f2(c.worstMs)} ms | ${f2(c.extraMs)} ms | ${f2(c.extraOverMedianMs)} ms | ` +
          `${c.adopted ? `${f0(c.adoptionMs)} ms` : "not adopted"} | ${c.adopted ? c.requestsUntilAdoption : "–"} |`,
      );
    }
    out.push("");
  }

  if (r.bundle) {
    out.push("## Bundle");
    out.push("");
    out.push(`dist/worker.js: ${(r.bundle.bytes / 1024).toFixed(1)} KiB, ${(r.bundle.gzipBytes / 1024).toFixed(1)} KiB gzipped (level 9).`);
    out.push("");
  }
  if (r.startup) {
    const s = r.startup;
    out.push(
      `Before the first request (fresh Node processes, ${s.runs} each; median, min–max): evaluating dist/worker.js ` +
        `${withRange(s.workerEvalMs, f1)} ms; src/host.ts with its Public Suffix List alone ${withRange(s.hostEvalMs, f1)} ms; ` +
        `the first registrableDomain call (cold code) ${withRange(s.firstLookupUs, f0)} µs, the second ${withRange(s.secondLookupUs, f0)} µs.`,
    );
    out.push("");
  }
  if (r.notes.length > 0) {
    out.push("## Notes");
    out.push("");
    for (const n of r.notes) out.push(`- ${n}`);
    out.push("");
  }
  return out.join("\n");
}
