import { execFileSync } from "node:child_process";
import { collectOutput, startProcess, waitForExit } from "./processes.js";

/**
 * The load generator: wrk from Debian (`apt-get install -y wrk`), one thread, 16
 * connections, bounded by duration. If wrk is missing, autocannon through npx (more of its
 * own CPU per request, millisecond latency resolution); the report says which was used.
 */

export interface LoadSpec {
  readonly port: number;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly seconds: number;
  readonly connections: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  /** Responses outside 2xx/3xx plus socket errors: must be 0 for a valid run. */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export type LoadGenerator = "wrk" | "autocannon";

/** wrk if installed (or forced), else autocannon. */
export function pickLoadGenerator(forced?: string): { name: LoadGenerator; version: string } {
  if (forced !== "autocannon") {
    try {
      const v = execFileSync("wrk", ["--version"], { stdio: ["ignore", "pipe", "pipe"] }).toString();
      return { name: "wrk", version: v.split("\n")[0]!.trim() };
    } catch (e) {
      // wrk --version exits 1 but prints its banner
      const out = String((e as { stdout?: Buffer }).stdout ?? "");
      if (out.startsWith("wrk")) return { name: "wrk", version: out.split("\n")[0]!.trim() };
    }
  }
  return { name: "autocannon", version: "autocannon@8 (npx)" };
}

/** Runs one bounded load test. */
export async function runLoad(gen: LoadGenerator, spec: LoadSpec): Promise<LoadResult> {
  return gen === "wrk" ? runWrk(spec) : runAutocannon(spec);
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const args = ["-t1", `-c${spec.connections}`, `-d${spec.seconds}s`, "--latency", "--timeout", "5s"];
  for (const [k, v] of Object.entries(spec.headers)) args.push("-H", `${k}: ${v}`);
  args.push(`http://127.0.0.1:${spec.port}${spec.path}`);
  const child = startProcess("wrk", args);
  const out = collectOutput(child);
  await waitForExit(child, "wrk");
  return parseWrk(out.stdout());
}

/** Parses wrk's text report. */
function parseWrk(text: string): LoadResult {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  if (!done) throw new Error(`unexpected wrk output:\n${text}`);
  const requests = Number(done[1]);
  const seconds = toMs(Number(done[2]), done[3]!) / 1000;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]) : 0;
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(text);
    return m ? toMs(Number(m[1]), m[2]!) : NaN;
  };
  return { requests, seconds, rps: requests / seconds, errors: non2xx + socketErrors, p50Ms: pct("50"), p99Ms: pct("99") };
}

function toMs(v: number, unit: string): number {
  switch (unit) {
    case "us":
      return v / 1000;
    case "ms":
      return v;
    case "s":
      return v * 1000;
    case "m":
      return v * 60_000;
    default:
      return NaN;
  }
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const args = ["--yes", "autocannon@8", "-j", "-c", String(spec.connections), "-d", String(spec.seconds)];
  for (const [k, v] of Object.entries(spec.headers)) args.push("-H", `${k}=${v}`);
  args.push(`http://127.0.0.1:${spec.port}${spec.path}`);
  const child = startProcess("npx", args);
  const out = collectOutput(child);
  await waitForExit(child, "autocannon");
  const r = JSON.parse(out.stdout()) as {
    requests: { total: number };
    duration: number;
    non2xx: number;
    errors: number;
    timeouts: number;
    latency: { p50: number; p99: number };
  };
  return {
    requests: r.requests.total,
    seconds: r.duration,
    rps: r.requests.total / r.duration,
    errors: r.non2xx + r.errors + r.timeouts,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
  };
}
