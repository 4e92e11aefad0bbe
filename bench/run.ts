/**
 * `npm run bench` / `npm run bench:quick`: what does enrollment cost compared with not
 * enrolling at all, and compared with what a site would otherwise pick? Runs, in order:
 * bundle size, config scale (Node), the core micro-benchmarks (Node via vitest bench, then
 * inside workerd), the load comparison on raw workerd, and the cost of a config change on
 * the request path; writes bench/results/latest.{json,md} (partial runs: results/tmp/partial.*).
 * See bench/README.md.
 *
 * Flags: --quick (CI-sized: ~3 s runs, 1 round, no diagnostics),
 * --only=bundle,scale,micro,load,change, --seconds=N, --rounds=N, --loadgen=autocannon,
 * --diagnostics / --no-diagnostics (cost-attribution variants; default on in full runs),
 * --variants=id,id (only these load variants plus the pass-through; ids as in the report). Every process it starts is stopped at the
 * end, on errors and on Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { runConfigChange, type ConfigChangeResult } from "./lib/config-change.js";
import type { ScaleResult } from "./lib/config-scale.js";
import { mintDevToken } from "./lib/fixtures.js";
import { closeProbes } from "./lib/http.js";
import { checkVariants, pairedRatio, runLoadPhase, visitorHeaders, type LoadPhase } from "./lib/load.js";
import { pickLoadGenerator } from "./lib/loadgen.js";
import { loadavg } from "./lib/machine.js";
import { runWorkerdMicro, type MicroResult } from "./lib/micro-workerd.js";
import { nsPerOp } from "./lib/ns-reporter.js";
import { startMissCache } from "./lib/miss-cache.js";
import { startOrigin } from "./lib/origin.js";
import { SELF_HOSTED_ID, startSelfHosted } from "./lib/selfhosted.js";
import { collectOutput, isStopping, onCleanup, startProcess, stopAll, waitForExit } from "./lib/processes.js";
import { renderMarkdown, ns, type BenchResults, type MicroRow, type Target } from "./lib/report.js";
import { CHANGE_REFRESH_MS, DIST, EXPERIMENTS, prepareSetup } from "./lib/setup.js";
import { measureStartup } from "./lib/startup.js";
import { ROOT, startWorkerd, workerdVersion, writeCapnpConfig } from "./lib/workerd.js";
import type { Spread } from "./lib/stats.js";

const PHASES = ["bundle", "scale", "micro", "load", "change"] as const;
type Phase = (typeof PHASES)[number];

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = argv.includes("--quick");
const only = new Set<Phase>((flag("only")?.split(",") as Phase[] | undefined) ?? PHASES);
const seconds = Number(flag("seconds") ?? (quick ? 3 : 10));
const rounds = Number(flag("rounds") ?? (quick ? 1 : 3));
const warmupSeconds = quick ? 0 : 1;
// Cost-attribution variants: on in full runs, off in quick ones (--diagnostics / --no-diagnostics).
const diagnostics = argv.includes("--diagnostics") || (!quick && !argv.includes("--no-diagnostics"));

const RESULTS = join(ROOT, "bench/results");
const TMP = join(RESULTS, "tmp");
// This run's own scratch (bundles, capnp, logs), so concurrent runs never share files;
// removed after a successful run, kept for inspection after a failure.
const RUN_TMP = join(TMP, `run-${process.pid}`);

const log = (line: string): void => console.log(line);

function git(...args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    return "";
  }
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

async function microNode(): Promise<Map<string, number>> {
  const out = join(RUN_TMP, "core-node.json");
  const child = startProcess(join(ROOT, "node_modules/.bin/vitest"), ["bench", "--run", "--config", "bench/vitest.bench.config.ts", "--outputJson", out], {
    cwd: ROOT,
    env: { ...process.env, BENCH_QUICK: quick ? "1" : "0", FORCE_COLOR: "0" },
  });
  const output = collectOutput(child);
  const code = await waitForExit(child, "vitest bench", true);
  writeFileSync(join(RUN_TMP, "core-node.log"), output.stdout() + output.stderr());
  if (code !== 0) throw new Error(`vitest bench failed (${code}):\n${(output.stdout() + output.stderr()).slice(-3000)}`);
  const json = JSON.parse(readFileSync(out, "utf8")) as { files: { groups: { benchmarks: { name: string; median: number }[] }[] }[] };
  const map = new Map<string, number>();
  for (const f of json.files) for (const g of f.groups) for (const b of g.benchmarks) map.set(b.name.replace(/ \[×\d+\]$/, ""), nsPerOp(b.name, b.median));
  return map;
}

async function configScale(): Promise<ScaleResult[]> {
  const child = startProcess(process.execPath, ["--expose-gc", "--import", "tsx", "bench/lib/config-scale.ts", ...(quick ? ["--quick"] : [])], { cwd: ROOT });
  const output = collectOutput(child);
  const code = await waitForExit(child, "config-scale", true);
  if (code !== 0) throw new Error(`config-scale failed (${code}):\n${output.stderr().slice(-3000)}`);
  return JSON.parse(output.stdout()) as ScaleResult[];
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(RUN_TMP, { recursive: true });
  if (!existsSync(DIST)) throw new Error("dist/worker.js is missing: run `npm run build` (npm run bench does)");
  // Provenance is taken at the start: dist/worker.js is built and src/ bundled from this tree.
  const startCommit = git("rev-parse", "HEAD");
  const startSubject = git("log", "-1", "--format=%s");
  const startDirty = git("status", "--porcelain", "--", "src", "worker") !== "";
  const loadGen = pickLoadGenerator(flag("loadgen"));
  const workerCommit = git("log", "--format=%h %s", "--grep=^worker:", "-n", "1") || null;
  const notes: string[] = [];
  const loadavgStart = loadavg();
  log(`bench: ${quick ? "quick" : "full"} run; phases ${[...only].join(", ")}; loadavg ${loadavgStart.join(" ")}`);
  if (!workerCommit) notes.push("No `worker:` commit yet: dist/worker.js is the placeholder pass-through, so the enrollment figures only exercise the plumbing.");

  // 1. Bundle size, and what it costs a fresh isolate before the first request.
  let bundle: BenchResults["bundle"] = null;
  let startup: BenchResults["startup"] = null;
  if (only.has("bundle")) {
    const bytes = readFileSync(DIST);
    bundle = { bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
    log(`bundle: dist/worker.js ${bytes.length} B, ${bundle.gzipBytes} B gzipped`);
    startup = await measureStartup(DIST, RUN_TMP, quick ? 5 : 15);
    log(`start-up: dist/worker.js evaluates in ${startup.workerEvalMs.median.toFixed(1)} ms; first registrableDomain ${startup.firstLookupUs.median.toFixed(0)} µs`);
  }

  // 2. Config scale, in its own Node process (--expose-gc for heap figures).
  let scale: ScaleResult[] = [];
  if (only.has("scale")) {
    log("config scale: parseConfigText of 10/100/1000 experiments × 20 hosts …");
    scale = await configScale();
    for (const s of scale) log(`  ${s.experiments} × ${s.hosts}: ${s.ms.toFixed(2)} ms, retained ${(s.retainedBytes / 1048576).toFixed(2)} MiB`);
  }

  // 3. Micro in Node.
  let nodeMicro = new Map<string, number>();
  if (only.has("micro")) {
    log("micro (Node, vitest bench) …");
    nodeMicro = await microNode();
  }

  // 4. workerd: bundle the bench workers, one config, one process.
  let workerdMicro: MicroResult[] = [];
  let load: LoadPhase | null = null;
  let change: ConfigChangeResult[] = [];
  let peers: BenchResults["peers"] = [];
  const needWorkerd = only.has("micro") || only.has("load") || only.has("change");
  if (needWorkerd) {
    const origin = await startOrigin();
    onCleanup(() => origin.close());
    const cache = await startMissCache();
    onCleanup(() => cache.close());
    const token = mintDevToken();
    const { services, variants, microPort, changePort } = await prepareSetup(RUN_TMP, origin, token, diagnostics);
    const capnp = join(RUN_TMP, "bench.capnp");
    writeCapnpConfig(capnp, RUN_TMP, services, cache.address);
    log(`workerd: ${services.length} services on 127.0.0.1, origin ${origin.url}`);
    const workerd = await startWorkerd(capnp, services.map((s) => s.port));
    onCleanup(() => workerd.stop());
    onCleanup(() => writeFileSync(join(RUN_TMP, "workerd.log"), workerd.log()));

    if (only.has("micro")) {
      log("micro (workerd) …");
      workerdMicro = await runWorkerdMicro(microPort, quick);
    }

    if (only.has("load")) {
      // --variants=a,b: only these (plus the pass-through), for quick A/B comparisons.
      const wanted = flag("variants")?.split(",");
      if (wanted) variants.splice(0, variants.length, ...variants.filter((v) => v.kind === "passthrough" || wanted.includes(v.id)));
      // The self-hosted profile runs in its own workerd process, started only when measured.
      if (!wanted || wanted.includes(SELF_HOSTED_ID)) {
        const selfHosted = await startSelfHosted(RUN_TMP, origin, token);
        onCleanup(() => selfHosted.close());
        variants.push(selfHosted.variant);
      }
      log(`load: ${loadGen.name}, ${variants.length} variants, ${rounds} round(s) × ${seconds} s`);
      const checks = await checkVariants(variants, origin, () => cache.lookups());
      for (const c of checks) log(`  check ${c.ok ? "ok    " : "FAILED"} ${c.variant}: ${c.detail}`);
      const phase = await runLoadPhase(workerd, origin, variants, {
        generator: loadGen.name,
        generatorLabel: `${loadGen.version} (-t1 -c16)`,
        seconds,
        warmupSeconds,
        rounds,
        connections: 16,
        log,
      });
      load = { ...phase, checks };
      peers = EXPERIMENTS.flatMap((n) => [
        { id: `vs-gb-edge-${n}`, what: `edge enrollment ÷ GrowthBook edge worker, ${n} experiments`, ratio: pairedRatio(phase, `ours-${n}-returning`, `gb-edge-${n}`) },
        { id: `vs-gb-direct-${n}`, what: `edge enrollment ÷ assignment-only peer, ${n} experiments`, ratio: pairedRatio(phase, `ours-${n}-returning`, `gb-direct-${n}`) },
      ]);
      peers.push({ id: "selfhosted-vs-hosted-10", what: "self-hosted profile ÷ the bundle in the bench host (with its Cache API lookup), 10 experiments", ratio: pairedRatio(phase, SELF_HOSTED_ID, "ours-10-returning") });
    }

    if (only.has("change")) {
      log("config change (workerd) …");
      change = await runConfigChange(changePort, visitorHeaders("ours-returning", token), CHANGE_REFRESH_MS, quick);
      for (const c of change) log(`  ${c.experiments} × ${c.hosts}: steady ${c.steadyMs.toFixed(2)} ms, worst ${c.worstMs.toFixed(2)} ms, adopted ${c.adopted ? `after ${c.adoptionMs.toFixed(0)} ms` : "never"}`);
    }
  }

  // Merge micro rows (same case names in both runtimes).
  const micro: MicroRow[] = [];
  const names = new Set([...nodeMicro.keys(), ...workerdMicro.map((m) => m.name)]);
  for (const name of names) {
    const w = workerdMicro.find((m) => m.name === name);
    micro.push({ name, group: w?.group ?? "", experiments: w?.experiments ?? null, nodeNs: nodeMicro.get(name) ?? null, workerdNs: w?.ns ?? null });
  }

  const targets = computeTargets({ micro, load, peers, scale, bundle });
  const results: BenchResults = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    durationSeconds: (Date.now() - started) / 1000,
    environment: {
      node: process.version,
      workerd: workerdVersion(),
      workerdPackage: packageVersion("workerd"),
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      loadGenerator: load ? load.generator : loadGen.version,
      loadavgStart,
      loadavgEnd: loadavg(),
      git: { commit: startCommit, subject: startSubject, dirty: startDirty, workerCommit },
      growthbook: { sdk: packageVersion("@growthbook/growthbook"), edge: packageVersion("@growthbook/edge-cloudflare") },
    },
    bundle,
    startup,
    micro,
    load,
    configScale: scale,
    configChange: change,
    peers,
    targets,
    notes: [
      ...notes,
      ...(git("rev-parse", "HEAD") !== startCommit
        ? [`HEAD moved during the run (to ${git("rev-parse", "--short", "HEAD")}); the figures are for ${startCommit.slice(0, 10)}, except that phases after a change to src/ may have read newer sources (Node micro and config scale load src/ when they start).`]
        : []),
      "Absolute req/s depend on what else runs on this 2-core machine; compare ratios within a round.",
      "Micro figures are ns per operation; the enrollment rows are the whole per-request core (token check + enrollment + header strings).",
    ],
  };
  // Only complete runs replace latest.*; partial ones (--only, --variants) go to tmp/.
  const partial = only.size < PHASES.length || flag("variants") !== undefined;
  const [dir, base] = partial ? [TMP, "partial"] : [RESULTS, "latest"];
  writeFileSync(join(dir, `${base}.json`), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(join(dir, `${base}.md`), renderMarkdown(results));
  log("");
  log(renderMarkdown(results).split("\n## Load")[0]!);
  log(`wrote ${join(dir, base).slice(ROOT.length)}.json and .md (${Math.round(results.durationSeconds)} s)`);
}

function computeTargets(r: {
  micro: MicroRow[];
  load: LoadPhase | null;
  peers: BenchResults["peers"];
  scale: ScaleResult[];
  bundle: BenchResults["bundle"];
}): Target[] {
  const t: Target[] = [];
  const microCase = (n: number): MicroRow | undefined => r.micro.find((m) => m.name.startsWith(`enroll page, ${n} exp`));
  for (const [n, limit] of [
    [10, 3000],
    [100, 20000],
  ] as const) {
    const m = microCase(n);
    const v = m?.workerdNs ?? null;
    t.push({
      id: `core-${n}`,
      what: `core per page request in workerd, ${n} experiments (verify + enroll + headers)`,
      target: `≤ ${ns(limit)}`,
      value: v === null ? "not measured" : `${ns(v)} (Node ${ns(m?.nodeNs ?? null)})`,
      pass: v === null ? null : v <= limit,
    });
  }
  for (const [n, limit] of [
    [10, 3500],
    [100, 25000],
  ] as const) {
    const m = r.micro.find((x) => x.name.startsWith(`enroll page with rules, ${n} exp`));
    const v = m?.workerdNs ?? null;
    t.push({
      id: `core-rules-${n}`,
      what: `core per page request in workerd, ${n} experiments each with an eligibility and an allocation rule`,
      target: `≤ ${ns(limit)}`,
      value: v === null ? "not measured" : `${ns(v)} (Node ${ns(m?.nodeNs ?? null)})`,
      pass: v === null ? null : v <= limit,
    });
  }
  const summary = (id: string) => r.load?.summaries.find((s) => s.id === id);
  const fmt = (s: Spread | undefined, unit = "×"): string => (s && s.n > 0 ? `${s.median.toFixed(3)} ${unit}${s.n > 1 ? ` (${s.min.toFixed(3)}–${s.max.toFixed(3)})` : ""}` : "not measured");
  for (const [id, what, limit] of [
    ["ours-10-returning", "returning visitors, 10 experiments: throughput vs pass-through", 0.9],
    ["ours-100-returning", "returning visitors, 100 experiments: throughput vs pass-through", 0.75],
    ["ours-10-first", "first visits, 10 experiments: throughput vs pass-through", 0.85],
  ] as const) {
    const s = summary(id);
    const value = s ? `${fmt(s.ratio)}; CPU ratio ${s.cpuRatio.median.toFixed(3)}, Δ CPU +${s.cpuOverPassUs.median.toFixed(0)} µs/req` : "not measured";
    t.push({ id, what, target: `≥ ${limit.toFixed(2)} ×`, value, pass: s && s.ratio.n > 0 ? s.ratio.median >= limit : null });
  }
  const edge = r.peers.find((p) => p.id === "vs-gb-edge-10")?.ratio;
  // What even a free worker could reach: the pass-through's own lead over the GrowthBook edge app.
  const gbEdge = summary("gb-edge-10")?.ratio;
  const ceiling = gbEdge && gbEdge.n > 0 ? `; the pass-through itself is ${(1 / gbEdge.median).toFixed(1)} × it` : "";
  t.push({ id: "vs-gb-edge-10", what: "throughput vs GrowthBook edge worker, 10 experiments", target: "≥ 7 ×", value: fmt(edge) + ceiling, pass: edge && edge.n > 0 ? edge.median >= 7 : null });
  const direct = r.peers.find((p) => p.id === "vs-gb-direct-10")?.ratio;
  t.push({ id: "vs-gb-direct-10", what: "throughput vs assignment-only peer, 10 experiments", target: "> 1 ×", value: fmt(direct), pass: direct && direct.n > 0 ? direct.median > 1 : null });
  const big = r.scale.find((s) => s.experiments === 1000 && s.hosts === 20);
  t.push({ id: "compile-time", what: "compile 1,000 experiments × 20 hosts: time", target: "≤ 50 ms", value: big ? `${big.ms.toFixed(1)} ms` : "not measured", pass: big ? big.ms <= 50 : null });
  t.push({
    id: "compile-memory",
    what: "compile 1,000 experiments × 20 hosts: heap retained",
    target: "≤ 20 MiB",
    value: big ? `${(big.retainedBytes / 1048576).toFixed(1)} MiB (growth during parse ${(big.transientBytes / 1048576).toFixed(1)} MiB)` : "not measured",
    pass: big ? big.retainedBytes <= 20 * 1048576 : null,
  });
  t.push({
    id: "bundle",
    what: "dist/worker.js gzipped",
    // 64 KiB until the Public Suffix List came in (~52 KiB of it gzipped).
    target: "≤ 96 KiB",
    value: r.bundle ? `${(r.bundle.gzipBytes / 1024).toFixed(1)} KiB` : "not measured",
    pass: r.bundle ? r.bundle.gzipBytes <= 96 * 1024 : null,
  });
  return t;
}

try {
  await main();
} catch (e) {
  if (!isStopping()) console.error(`bench failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
} finally {
  closeProbes();
  await stopAll();
  if (process.exitCode === undefined || process.exitCode === 0) rmSync(RUN_TMP, { recursive: true, force: true });
  else console.error(`bench: scratch kept in ${RUN_TMP}`);
}
