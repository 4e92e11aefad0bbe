/**
 * A/B of candidate builds: `npx tsx bench/ab.ts --variant=ours-10-first --target=a.js
 * --target=b.js [--rounds=5] [--seconds=3]` serves one load variant once per build
 * (dist/worker.js when no --target is given) plus the pass-through, all in one workerd
 * process, alternates short wrk runs over them for N rounds and prints each build's
 * workerd CPU per request and req/s (medians, and paired against the first build). For
 * pricing one change to the request path on a noisy machine: builds measured in the same
 * process, interleaved, share whatever else the machine was doing.
 */
import { mkdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { mintDevToken } from "./lib/fixtures.js";
import { runBenchEntry } from "./lib/entry.js";
import { probe } from "./lib/http.js";
import { pickLoadGenerator, runLoad } from "./lib/loadgen.js";
import { startMissCache } from "./lib/miss-cache.js";
import { startOrigin } from "./lib/origin.js";
import { onCleanup } from "./lib/processes.js";
import { prepareSetup } from "./lib/setup.js";
import { median } from "./lib/stats.js";
import { freePort, ROOT, startWorkerd, writeCapnpConfig, type ServiceSpec } from "./lib/workerd.js";

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const flags = (name: string): string[] => argv.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const variantId = flag("variant") ?? "ours-10-returning";
const targets = flags("target").map((t) => resolve(t));
if (targets.length === 0) targets.push(join(ROOT, "dist/worker.js"));
const rounds = Number(flag("rounds") ?? 5);
const seconds = Number(flag("seconds") ?? 3);
const RUN_TMP = join(ROOT, "bench/results/tmp", `ab-${process.pid}`);

async function main(): Promise<void> {
  mkdirSync(RUN_TMP, { recursive: true });
  const origin = await startOrigin();
  onCleanup(() => origin.close());
  const cache = await startMissCache();
  onCleanup(() => cache.close());
  const setup = await prepareSetup(RUN_TMP, origin, mintDevToken(), true);
  const variant = setup.variants.find((v) => v.id === variantId);
  if (!variant) throw new Error(`no variant ${variantId}; one of: ${setup.variants.map((v) => v.id).join(", ")}`);
  const pass = setup.variants[0]!;
  const base = setup.services.find((s) => s.port === variant.port)!;
  const services: ServiceSpec[] = [setup.services.find((s) => s.port === pass.port)!];
  const arms: { name: string; port: number }[] = [];
  for (const [i, t] of targets.entries()) {
    const port = await freePort();
    services.push({
      ...base,
      name: `${base.name}-ab${i}`,
      port,
      modules: base.modules.map((m) => (m.name === "target-worker.js" || base.modules.length === 1 ? { ...m, path: t } : m)),
    });
    arms.push({ name: `${i}:${basename(t)}`, port });
  }
  const capnp = join(RUN_TMP, "ab.capnp");
  writeCapnpConfig(capnp, RUN_TMP, services, cache.address);
  const workerd = await startWorkerd(capnp, services.map((s) => s.port));
  onCleanup(() => workerd.stop());
  const gen = pickLoadGenerator(flag("loadgen")).name;
  const all = [{ name: "passthrough", port: pass.port }, ...arms];
  for (const a of all) {
    const r = await probe(a.port, "/wiki/Main_Page", { ...variant.headers });
    if (r.status !== 200) throw new Error(`${a.name} answered ${r.status}`);
    await runLoad(gen, { port: a.port, path: "/wiki/Main_Page", headers: variant.headers, connections: 16, seconds: 2 });
  }
  const cpu = new Map<string, number[]>(all.map((a) => [a.name, []]));
  const rps = new Map<string, number[]>(all.map((a) => [a.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? all : [...all].reverse();
    for (const a of order) {
      const c0 = workerd.cpuMicros();
      const r = await runLoad(gen, { port: a.port, path: "/wiki/Main_Page", headers: a.name === "passthrough" ? pass.headers : variant.headers, connections: 16, seconds });
      const us = (workerd.cpuMicros() - c0) / Math.max(1, r.requests);
      cpu.get(a.name)!.push(us);
      rps.get(a.name)!.push(r.rps);
      console.log(`  round ${round + 1} ${a.name.padEnd(28)} ${r.rps.toFixed(0).padStart(6)} req/s ${us.toFixed(1).padStart(7)} µs CPU/req`);
    }
  }
  const first = arms[0]!.name;
  console.log(`\n${variantId}, ${rounds} rounds × ${seconds} s (medians; Δ = paired per round against ${first}):`);
  for (const a of all) {
    const c = cpu.get(a.name)!;
    const d = c.map((v, i) => v - cpu.get(first)![i]!);
    console.log(`  ${a.name.padEnd(28)} ${median(rps.get(a.name)!).toFixed(0).padStart(6)} req/s ${median(c).toFixed(1).padStart(7)} µs CPU/req  Δ ${median(d) >= 0 ? "+" : ""}${median(d).toFixed(1)} µs`);
  }
}

await runBenchEntry("ab", main, RUN_TMP);
