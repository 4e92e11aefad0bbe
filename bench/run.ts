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
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { runConfigChange, type ConfigChangeResult } from "./lib/config-change.js";
import type { ScaleResult } from "./lib/config-scale.js";
import { mintDevToken } from "./lib/fixtures.js";
import { readableBuild, runBenchEntry } from "./lib/entry.js";
import { checkVariants, pairedCpuDelta, pairedCpuRatio, pairedRatio, runLoadPhase, visitorHeaders, type LoadPhase } from "./lib/load.js";
import { pickLoadGenerator } from "./lib/loadgen.js";
import { loadavg } from "./lib/machine.js";
import { runWorkerdMicro, type MicroResult } from "./lib/micro-workerd.js";
import { nsPerOp } from "./lib/ns-reporter.js";
import { startMissCache } from "./lib/miss-cache.js";
import { startOrigin } from "./lib/origin.js";
import { SELF_HOSTED_ID, startSelfHosted } from "./lib/selfhosted.js";
import { collectOutput, onCleanup, startProcess, waitForExit } from "./lib/processes.js";
import { renderMarkdown, ns, type BenchResults, type MicroRow, type MissProfile, type Target } from "./lib/report.js";
import { CHANGE_REFRESH_MS, DIST, prepareSetup } from "./lib/setup.js";
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
      const pair = (id: string, what: string, a: string, b: string) => ({ id, what, ratio: pairedRatio(phase, a, b), cpuRatio: pairedCpuRatio(phase, a, b) });
      peers = [
        pair("floor-vs-pass", "platform floor ÷ pass-through", "floor", "passthrough"),
        pair("contract-vs-floor", "contract floor (the floor + the contract's header work, no enrollment) ÷ platform floor", "floor-contract", "floor"),
        ...FLOOR_TARGETS.map(([id, what]) => pair(`${id}-vs-floor`, `edge enrollment ÷ platform floor: ${what}`, id, "floor")),
        pair("ours-10-vs-contract", "edge enrollment ÷ contract floor, returning visitors, 10 experiments", "ours-10-returning", "floor-contract"),
        pair("vs-gb-fair-10", "edge enrollment ÷ contract-equivalent GrowthBook peer, 10 experiments", "ours-10-returning", "gb-fair-10"),
        pair("vs-gb-fair-100", "edge enrollment ÷ contract-equivalent GrowthBook peer, 100 experiments", "ours-100-returning", "gb-fair-100"),
        pair("vs-gb-edge-10", "edge enrollment ÷ GrowthBook edge worker, 10 experiments, small page", "ours-10-returning", "gb-edge-10"),
        pair("vs-gb-edge-100", "edge enrollment ÷ GrowthBook edge worker, 100 experiments, small page", "ours-100-returning", "gb-edge-100"),
        pair("vs-gb-edge-article", "edge enrollment ÷ GrowthBook edge worker, 10 experiments, article page", "ours-10-returning-article", "gb-edge-10-article"),
        pair("vs-gb-fair-article", "edge enrollment ÷ contract-equivalent GrowthBook peer, 10 experiments, article page", "ours-10-returning-article", "gb-fair-10-article"),
        pair("article-vs-floor", "edge enrollment ÷ platform floor, 10 experiments, article page", "ours-10-returning-article", "floor-article"),
        pair("vs-gb-direct-10", "edge enrollment ÷ assignment-only peer (less work than ours), 10 experiments", "ours-10-returning", "gb-direct-10"),
        pair("selfhosted-vs-hosted-10", "self-hosted profile ÷ the bundle in the bench host (with its Cache API lookup), 10 experiments", SELF_HOSTED_ID, "ours-10-returning"),
      ].filter((p) => p.ratio.n > 0);
    }

    if (only.has("change")) {
      log("config change (workerd) …");
      change = await runConfigChange(changePort, visitorHeaders("ours-returning", token), CHANGE_REFRESH_MS, quick);
      for (const c of change) log(`  ${c.experiments} × ${c.hosts}: steady ${c.steadyMs.toFixed(2)} ms, worst ${c.worstMs.toFixed(2)} ms (steady worst ${c.steadyWorstMs.toFixed(2)} ms), adopted ${c.adopted ? `after ${c.adoptionMs.toFixed(0)} ms` : "never"}`);
    }
  }

  // Merge micro rows (same case names in both runtimes).
  const micro: MicroRow[] = [];
  const names = new Set([...nodeMicro.keys(), ...workerdMicro.map((m) => m.name)]);
  for (const name of names) {
    const w = workerdMicro.find((m) => m.name === name);
    micro.push({ name, group: w?.group ?? "", experiments: w?.experiments ?? null, nodeNs: nodeMicro.get(name) ?? null, workerdNs: w?.ns ?? null });
  }

  const targets = computeTargets({ micro, load, scale, change, bundle });
  // Each miss with where the time goes (full runs, or --profile-misses).
  let missProfiles: MissProfile[] = [];
  if (load && (argv.includes("--profile-misses") || (!quick && !argv.includes("--no-profile-misses")))) {
    log("profiles of the variants that missed a target …");
    missProfiles = await profileMisses(targets, load, quick ? 3 : 6);
  }
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
    missProfiles,
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

/** The load targets of issue 14: ours ÷ the platform floor, same round. */
const FLOOR_TARGETS = [
  ["ours-10-returning", "returning visitors, 10 experiments", 0.95],
  ["ours-10-first", "first visits, 10 experiments", 0.95],
  ["ours-100-returning", "returning visitors, 100 experiments", 0.8],
  ["ours-10-rules-returning", "returning visitors, 10 experiments each with an eligibility and an allocation rule", 0.95],
] as const;

function computeTargets(r: {
  micro: MicroRow[];
  load: LoadPhase | null;
  scale: ScaleResult[];
  change: ConfigChangeResult[];
  bundle: BenchResults["bundle"];
}): Target[] {
  const t: Target[] = [];
  const microCase = (prefix: string): MicroRow | undefined => r.micro.find((m) => m.name.startsWith(prefix));
  for (const [id, prefix, what, limit] of [
    ["core-10", "enroll page, 10 exp", "core per page request in workerd, 10 experiments (decide: verify + enroll + headers)", 3000],
    ["core-100", "enroll page, 100 exp", "core per page request in workerd, 100 experiments", 20000],
    ["core-rules-10", "enroll page with rules, 10 exp", "core per page request in workerd, 10 experiments each with an eligibility and an allocation rule", 3500],
    ["core-rules-100", "enroll page with rules, 100 exp", "the same at 100 experiments", 25000],
  ] as const) {
    const m = microCase(prefix);
    const v = m?.workerdNs ?? null;
    t.push({ id, what, target: `≤ ${ns(limit)}`, value: v === null ? "not measured" : `${ns(v)} (Node ${ns(m?.nodeNs ?? null)})`, pass: v === null ? null : v <= limit });
  }
  const load = r.load;
  const fmt = (s: Spread | undefined, digits = 3, unit = "×"): string =>
    s && s.n > 0 ? `${s.median.toFixed(digits)} ${unit}${s.n > 1 ? ` (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : ""}` : "not measured";
  const measured = (s: Spread | undefined): s is Spread => s !== undefined && s.n > 0;
  for (const [id, what, limit] of FLOOR_TARGETS) {
    const ratio = load ? pairedRatio(load, id, "floor") : undefined;
    const cpu = load ? pairedCpuRatio(load, id, "floor") : undefined;
    const delta = load ? pairedCpuDelta(load, id, "floor") : undefined;
    t.push({
      id: `floor-${id}`,
      what: `${what}: throughput ÷ the platform floor`,
      target: `≥ ${limit.toFixed(2)} ×`,
      value: measured(ratio) ? `${fmt(ratio)}; CPU ratio ${fmt(cpu)}; CPU/req ${fmt(delta, 1, "µs")} over the floor's` : "not measured",
      pass: measured(ratio) ? ratio.median >= limit : null,
      variant: id,
    });
  }
  // Proposed: the same limits against the contract floor (the platform floor plus the header
  // work the contract asks of any enrollment proxy, bench/workers/ladder.ts), where the
  // platform floor sets a target no contract-keeping worker can reach.
  for (const [id, what, limit] of FLOOR_TARGETS) {
    const ratio = load ? pairedRatio(load, id, "floor-contract") : undefined;
    const cpu = load ? pairedCpuRatio(load, id, "floor-contract") : undefined;
    const delta = load ? pairedCpuDelta(load, id, "floor-contract") : undefined;
    if (!measured(ratio)) continue;
    t.push({
      id: `contract-floor-${id}`,
      what: `(proposed) ${what}: throughput ÷ the contract floor`,
      target: `≥ ${limit.toFixed(2)} ×`,
      value: `${fmt(ratio)}; CPU ratio ${fmt(cpu)}; CPU/req ${fmt(delta, 1, "µs")} over the contract floor's`,
      pass: ratio.median >= limit,
    });
  }
  const first = load ? pairedCpuDelta(load, "ours-10-first", "ours-10-returning") : undefined;
  t.push({
    id: "first-visit-cpu",
    what: "a first visit's workerd CPU over a returning visitor's, 10 experiments",
    target: "≤ 8 µs",
    value: fmt(first, 1, "µs"),
    pass: measured(first) ? first.median <= 8 : null,
    variant: "ours-10-first",
  });
  const big = r.scale.find((s) => s.experiments === 1000 && s.hosts === 20);
  t.push({ id: "compile-time", what: "compile 1,000 experiments × 20 hosts: time (Node)", target: "≤ 50 ms", value: big ? `${big.ms.toFixed(1)} ms` : "not measured", pass: big ? big.ms <= 50 : null });
  t.push({
    id: "compile-memory",
    what: "compile 1,000 experiments × 20 hosts: heap retained",
    target: "≤ 20 MiB",
    value: big ? `${(big.retainedBytes / 1048576).toFixed(1)} MiB (growth during parse ${(big.transientBytes / 1048576).toFixed(1)} MiB)` : "not measured",
    pass: big ? big.retainedBytes <= 20 * 1048576 : null,
  });
  const change = r.change.find((c) => c.experiments === 1000 && c.hosts === 20);
  t.push({
    id: "config-change",
    what: "slowest request while a 1,000 × 20 config is adopted, over the slowest of as many steady requests (workerd)",
    target: "≤ 20 ms",
    value: change
      ? `+${change.extraMs.toFixed(1)} ms (slowest ${change.worstMs.toFixed(1)} ms; steady: slowest ${change.steadyWorstMs.toFixed(1)} ms, median ${change.steadyMs.toFixed(2)} ms; over the median +${change.extraOverMedianMs.toFixed(1)} ms)`
      : "not measured",
    pass: change ? change.extraMs <= 20 : null,
  });
  for (const [n, limit] of [
    [10, 1.2],
    [100, 1.5],
  ] as const) {
    const ratio = load ? pairedRatio(load, `ours-${n}-returning`, `gb-fair-${n}`) : undefined;
    const cpu = load ? pairedCpuRatio(load, `ours-${n}-returning`, `gb-fair-${n}`) : undefined;
    t.push({
      id: `vs-gb-fair-${n}`,
      what: `throughput ÷ the contract-equivalent GrowthBook peer, ${n} experiments`,
      target: `≥ ${limit.toFixed(1)} ×`,
      value: measured(ratio) ? `${fmt(ratio, 2)}; CPU ratio ${fmt(cpu, 2)}` : "not measured",
      pass: measured(ratio) ? ratio.median >= limit : null,
      variant: `ours-${n}-returning`,
    });
  }
  const article = load ? pairedRatio(load, "ours-10-returning-article", "gb-edge-10-article") : undefined;
  const articleCpu = load ? pairedCpuRatio(load, "ours-10-returning-article", "gb-edge-10-article") : undefined;
  t.push({
    id: "vs-gb-edge-article",
    what: "throughput ÷ the GrowthBook edge worker on the article page (81 KB HTML), 10 experiments",
    target: "≥ 3 ×",
    value: measured(article) ? `${fmt(article, 2)}; CPU ratio ${fmt(articleCpu, 2)}` : "not measured",
    pass: measured(article) ? article.median >= 3 : null,
    variant: "ours-10-returning-article",
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

/**
 * For each load target that missed: a CPU profile of its variant (bench/profile.ts in a
 * child process, its own workerd with the inspector), as shares of the busy samples
 * scaled to the variant's measured CPU per request.
 */
async function profileMisses(targets: Target[], load: LoadPhase, seconds: number): Promise<MissProfile[]> {
  const out: MissProfile[] = [];
  const variants = [...new Set(targets.filter((t) => t.pass === false && t.variant !== undefined).map((t) => t.variant!))];
  // One unminified build for every profile (profile.ts would make one each).
  const target = variants.length > 0 ? readableBuild(RUN_TMP) : "";
  for (const variant of variants) {
    const file = join(RUN_TMP, `profile-${variant}.json`);
    const args = ["--import", "tsx", "bench/profile.ts", `--variant=${variant}`, `--seconds=${seconds}`, `--target=${target}`, `--json=${file}`];
    const child = startProcess(process.execPath, args, { cwd: ROOT });
    const output = collectOutput(child);
    const code = await waitForExit(child, `profile ${variant}`, true);
    if (code !== 0 || !existsSync(file)) {
      log(`  profile of ${variant} failed (${code}): ${output.stderr().slice(-500)}`);
      continue;
    }
    const p = JSON.parse(readFileSync(file, "utf8")) as { rps: number; wallUs: number; rows: { fn: string; selfUs: number; totalUs: number }[] };
    const idle = p.rows.find((x) => x.fn.startsWith("(idle)"))?.selfUs ?? 0;
    const busy = Math.max(1e-9, p.wallUs - idle);
    const cpu = load.summaries.find((s) => s.id === variant)?.cpuUsPerReq.median ?? NaN;
    const rows = p.rows
      .filter((x) => !x.fn.startsWith("(idle)"))
      .sort((a, b) => b.selfUs - a.selfUs)
      .slice(0, 14)
      .map((x) => ({ fn: x.fn, share: x.selfUs / busy, us: (x.selfUs / busy) * cpu, totalShare: x.totalUs / busy }));
    out.push({ variant, cpuUsPerReq: cpu, rows });
    log(`  profiled ${variant}: top ${rows.slice(0, 3).map((x) => `${x.fn} ${(x.share * 100).toFixed(0)} %`).join(", ")}`);
  }
  return out;
}

await runBenchEntry("bench", main, RUN_TMP, true);
