/**
 * Where does the time go? `npx tsx bench/profile.ts [--variant=ours-10-returning]
 * [--seconds=5]` serves the same workers as the bench (raw workerd with --inspector-addr),
 * puts the variant under wrk load, records a V8 CPU profile of its isolate over the
 * Chrome DevTools protocol, writes bench/results/tmp/<variant>.cpuprofile (open it in
 * Chrome DevTools) and prints where the time goes, also as µs per request.
 * By default it profiles an unminified build of the same sources (dist/worker.js is
 * minified, and its function names would not say where the time goes);
 * `--target=path/to/worker.js` profiles another build of the worker (a candidate change). `--json=file` also writes the rows as JSON (bench/run.ts
 * profiles each variant that missed its target this way, for the report).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { mintDevToken } from "./lib/fixtures.js";
import { readableBuild, runBenchEntry } from "./lib/entry.js";
import { pickLoadGenerator, runLoad } from "./lib/loadgen.js";
import { startMissCache } from "./lib/miss-cache.js";
import { startOrigin } from "./lib/origin.js";
import { onCleanup } from "./lib/processes.js";
import { prepareSetup } from "./lib/setup.js";
import { freePort, ROOT, startWorkerd, writeCapnpConfig } from "./lib/workerd.js";

// Node 20 needs a flag for the global WebSocket: re-run ourselves with it.
if (typeof WebSocket === "undefined") {
  const r = spawnSync(process.execPath, ["--experimental-websocket", "--import", "tsx", ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const variantId = flag("variant") ?? "ours-10-returning";
const seconds = Number(flag("seconds") ?? 5);
const TMP = join(ROOT, "bench/results/tmp");
const RUN_TMP = join(TMP, `profile-${process.pid}`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A tiny Chrome DevTools protocol client. */
async function connect(url: string): Promise<{ send: (method: string, params?: object) => Promise<unknown>; close: () => void }> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)));
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/**
 * Self and total (inclusive) time per function, largest first, as a share of the samples
 * and as µs per request (profile duration × share ÷ requests served meanwhile).
 */
/** One function's share of a profile, in µs per request. */
export interface ProfileRow {
  readonly fn: string;
  readonly selfUs: number;
  readonly totalUs: number;
}

function summarise(profile: Profile, requests: number, limit = 45): { text: string; rows: ProfileRow[]; wallUs: number } {
  const total = (profile.samples ?? []).length || 1;
  const usPerReq = (profile.endTime - profile.startTime) / Math.max(1, requests);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const keyOf = (n: ProfileNode): string => {
    const f = n.callFrame;
    const file = f.url.split("/").pop() ?? "";
    return `${f.functionName || "(anonymous)"}  ${file}${file ? `:${f.lineNumber + 1}` : ""}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  // Inclusive time: walk the tree, counting each function once per stack (recursion).
  const walk = (id: number, onStack: Set<string>): number => {
    const n = byId.get(id)!;
    const key = keyOf(n);
    let sum = n.hitCount ?? 0;
    self.set(key, (self.get(key) ?? 0) + sum);
    const added = !onStack.has(key);
    if (added) onStack.add(key);
    for (const c of n.children ?? []) sum += walk(c, onStack);
    if (added) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
    }
    return sum;
  };
  const root = profile.nodes[0];
  if (root) walk(root.id, new Set());
  const pct = (v: number): string => `${((v / total) * 100).toFixed(1).padStart(5)} %`;
  const us = (v: number): string => `${((v / total) * usPerReq).toFixed(1).padStart(6)}`;
  const rows = [...inclusive.entries()].filter(([k]) => k !== keyOf(root!)).sort((a, b) => b[1] - a[1]).slice(0, limit);
  const text = [
    `  total  (µs/req)    self  (µs/req)  function      [wall ${usPerReq.toFixed(1)} µs per request]`,
    ...rows.map(([k, v]) => `${pct(v)} ${us(v)}  ${pct(self.get(k) ?? 0)} ${us(self.get(k) ?? 0)}  ${k}`),
  ].join("\n");
  const perReq = (v: number): number => (v / total) * usPerReq;
  return { text, rows: rows.map(([k, v]) => ({ fn: k.replace(/\s+/g, " "), selfUs: perReq(self.get(k) ?? 0), totalUs: perReq(v) })), wallUs: usPerReq };
}

async function main(): Promise<void> {
  mkdirSync(RUN_TMP, { recursive: true });
  const origin = await startOrigin();
  onCleanup(() => origin.close());
  const cache = await startMissCache();
  onCleanup(() => cache.close());
  const setup = await prepareSetup(RUN_TMP, origin, mintDevToken());
  const variant = setup.variants.find((v) => v.id === variantId);
  if (!variant) throw new Error(`no variant ${variantId}; one of: ${setup.variants.map((v) => v.id).join(", ")}`);
  const found = setup.services.find((s) => s.port === variant.port)!;
  const target = flag("target") ?? readableBuild(RUN_TMP);
  const service = target ? { ...found, modules: found.modules.map((m) => (m.name === "target-worker.js" ? { ...m, path: resolve(target) } : m)) } : found;
  const capnp = join(RUN_TMP, "profile.capnp");
  writeCapnpConfig(capnp, RUN_TMP, [service], cache.address);
  const inspectorPort = await freePort();
  const workerd = await startWorkerd(capnp, [service.port], [`--inspector-addr=127.0.0.1:${inspectorPort}`]);
  onCleanup(() => workerd.stop());
  const gen = pickLoadGenerator(flag("loadgen")).name;
  const spec = { port: variant.port, path: "/wiki/Main_Page", headers: variant.headers, connections: 16 };
  await runLoad(gen, { ...spec, seconds: 2 });

  const inspectable = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl: string; title?: string; id: string }[];
  const isolate = inspectable.find((t) => (t.title ?? t.id).includes(service.name)) ?? inspectable[0];
  if (!isolate) throw new Error("workerd lists no inspector targets");
  const cdp = await connect(isolate.webSocketDebuggerUrl.replace("localhost", "127.0.0.1"));
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
  await cdp.send("Profiler.start");
  const load = await runLoad(gen, { ...spec, seconds });
  const { profile } = (await cdp.send("Profiler.stop")) as { profile: Profile };
  cdp.close();
  const file = join(TMP, `${variantId}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`${variantId}: ${load.rps.toFixed(0)} req/s under the profiler; profile written to ${file}\n`);
  console.log("share of samples (total = with callees, self = in the function itself):");
  const summary = summarise(profile, load.requests);
  console.log(summary.text);
  const json = flag("json");
  if (json) writeFileSync(json, JSON.stringify({ variant: variantId, rps: load.rps, wallUs: summary.wallUs, rows: summary.rows }));
}

await runBenchEntry("profile", main, RUN_TMP);
