import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { Agent, createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CompiledConfig } from "../../src/config-compile.js";
import { parseConfigText } from "../../src/config-parse.js";
import { decodeEnrollmentHeader } from "../../src/enrollment-header.js";
import { parseKeyRing, type KeyRing } from "../../src/keyring.js";
import { verifyToken } from "../../src/token.js";
import { expectedHeaders } from "../helpers/expect-enrollment.js";
import { DEV_KEYS } from "../fixtures/config.js";
import { startWorker } from "../helpers/worker-harness.js";

/**
 * A bounded soak of the built worker (dist/worker.js in workerd via Miniflare, real KV and
 * Cache API), loopback only:
 *
 * - a fixed pool of keep-alive client loops (default 8) sends pages (half of them cacheable
 *   and varying on the enrollments, so the split cache is exercised), first visits and
 *   event-intake POSTs, for a fixed time;
 * - a population of returning visitors (minted through the worker at start), each owned by
 *   one loop, so one visitor's requests are sequential;
 * - the config changes every few seconds (a new version is served by the config stub and
 *   the scheduled poll is run), cycling: unchanged experiments (a new version all the
 *   same), one ramping experiment whose treatment range widens step by step, one
 *   experiment added / removed.
 *
 * Checked on every response: no 5xx (the origin never sends one), the enrollment header
 * the origin saw is exactly what the core computes for one of the recent config versions
 * (never a mix), Server-Timing agrees with it, a returning visitor is never re-minted, the
 * origin never sees WMF-Uniq or a subject ID on a page; per visitor: the groups of
 * experiments that never change never change, and once in a group of the ramping
 * experiment a visitor stays in it. Memory: workerd's RSS (/proc/PID/status) and the
 * user isolate's heap after GC (V8 inspector) at start and end.
 */

export interface SoakOptions {
  readonly seconds: number;
  readonly concurrency: number;
  readonly visitors: number;
  /** How often the config changes, ms. */
  readonly changeEveryMs: number;
  /** Share of requests that are first visits (no cookie). */
  readonly firstVisitShare: number;
  /** Share of requests that are event-intake POSTs. */
  readonly eventShare: number;
  /**
   * workerd's RSS climbs for the first minute or two under Miniflare whatever the worker
   * (a bare pass-through worker does the same: V8 heaps of its isolates and the allocator
   * warming up), then plateaus. So RSS is judged by its trend over the second half of a
   * run of at least `rssMinSeconds`: a least-squares slope above this many MB/min is a
   * violation (a 1 KB-per-request leak at ~600 requests/s is ~35 MB/min).
   */
  readonly rssSlopeMbPerMin: number;
  readonly rssMinSeconds: number;
  /** Allowed growth of the user isolate's heap after GC: floor of the last 3 samples minus the first, MB. */
  readonly heapGrowthMb: number;
  readonly log: (line: string) => void;
}

export const DEFAULT_SOAK: SoakOptions = {
  seconds: 300,
  concurrency: 8,
  visitors: 400,
  changeEveryMs: 4000,
  firstVisitShare: 0.1,
  eventShare: 0.05,
  rssSlopeMbPerMin: 30,
  rssMinSeconds: 120,
  heapGrowthMb: 16,
  log: (line) => console.log(line),
};

export interface MemorySample {
  readonly atSeconds: number;
  readonly rssMb: number | null;
  readonly heapUsedMb: number | null;
}

export interface SoakSummary {
  readonly seconds: number;
  readonly requests: number;
  readonly byKind: Record<string, number>;
  readonly requestsPerSecond: number;
  readonly configVersions: number;
  readonly rampFinalTreatmentEnd: number;
  readonly statusCounts: Record<string, number>;
  readonly cache: Record<string, number> | null;
  readonly memory: readonly MemorySample[];
  readonly workerdPid: number | null;
  readonly rssSlopeMbPerMin: number | null;
  readonly violations: readonly string[];
  /** Count per violation kind (the list above keeps the first few of each). */
  readonly violationCounts: Record<string, number>;
}

const HOSTS = ["en.wikipedia.org", "de.wikipedia.org"] as const;
const EVENTS = "/evt-103e/v2/events";
const DAY = 86_400_000;
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/** Experiments that never change during the soak: a visitor's group in them is fixed. */
const STABLE = ["soak-stable-fifty", "soak-stable-shared-a", "soak-stable-shared-b", "soak-stable-unique", "soak-client-only"] as const;
const RAMP = "soak-ramp-experiment";
const TOGGLE = "soak-toggled-experiment";

/** The config at step `step` (see the schedule in the file comment). */
function soakConfig(step: number, now: number): { doc: Record<string, unknown>; rampEnd: number; toggled: boolean } {
  const window = { start: iso(now - DAY), end: iso(now + 30 * DAY) };
  const both = (groups: Record<string, [number, number]>, extra: Record<string, unknown> = {}) =>
    Object.fromEntries(HOSTS.map((h) => [h, { ...extra, groups }]));
  const ramps = Math.floor((step + 2) / 3); // ramp steps taken so far
  const rampEnd = Math.min(99_999, 9_999 + ramps * 4_000);
  const toggles = Math.floor((step + 1) / 3);
  const toggled = toggles % 2 === 1;
  const doc: Record<string, unknown> = {
    _comment: `soak step ${step}`,
    "soak-stable-fifty": { ...window, domains: both({ control: [0, 49_999], treatment: [50_000, 99_999] }) },
    [RAMP]: { ...window, domains: { "en.wikipedia.org": { groups: { control: [0, 4_999], treatment: [5_000, rampEnd] } } } },
    "soak-stable-shared-a": { ...window, shared_selector: "soak-shared-selector", domains: both({ a: [0, 32_999], b: [33_000, 65_999], c: [66_000, 99_999] }) },
    "soak-stable-shared-b": { ...window, shared_selector: "soak-shared-selector", domains: both({ low: [0, 49_999] }) },
    "soak-stable-unique": { ...window, domains: both({ u: [0, 49_999], v: [50_000, 99_999] }, { unique_domain: true }) },
    "soak-client-only": { ...window, cache_split: false, domains: both({ off: [0, 49_999], on: [50_000, 99_999] }) },
  };
  if (toggled) doc[TOGGLE] = { ...window, domains: both({ x: [0, 29_999], y: [30_000, 59_999] }) };
  return { doc, rampEnd, toggled };
}

interface Version {
  readonly step: number;
  readonly text: string;
  readonly config: CompiledConfig;
}

/** Child processes of this process called `comm`, by pid. */
function childPids(comm: string): Set<number> {
  const out = new Set<number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      const name = st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"));
      const ppid = Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && name === comm) out.add(Number(d));
    } catch {
      // raced with an exiting process
    }
  }
  return out;
}

function rssMb(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** The user worker's heap after a full GC, via the V8 inspector (null if unavailable). */
async function isolateHeapMb(inspector: URL | null): Promise<number | null> {
  if (inspector === null) return null;
  let WebSocketImpl: any;
  try {
    WebSocketImpl = (await import("ws" as string)).default;
  } catch {
    WebSocketImpl = (globalThis as { WebSocket?: unknown }).WebSocket;
  }
  if (!WebSocketImpl) return null;
  return new Promise((resolve) => {
    let ws: any;
    try {
      // The user worker's target (Miniflare names it "core:user:<name>", the name is empty).
      ws = new WebSocketImpl(`ws://${inspector.host}/core:user:`);
    } catch {
      resolve(null);
      return;
    }
    const done = (v: number | null) => {
      clearTimeout(timer);
      try {
        ws.close();
      } catch {
        // already closed
      }
      resolve(v);
    };
    const timer = setTimeout(() => done(null), 10_000);
    ws.onerror = () => done(null);
    ws.onopen = () => {
      ws.send(JSON.stringify({ id: 1, method: "HeapProfiler.collectGarbage" }));
      ws.send(JSON.stringify({ id: 2, method: "Runtime.getHeapUsage" }));
    };
    ws.onmessage = (ev: { data: unknown }) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: { usedSize?: number } };
      if (msg.id === 2) done(msg.result?.usedSize === undefined ? null : Math.round(msg.result.usedSize / 104_857.6) / 10);
    };
  });
}

/** Runs one soak; never throws for a violation (they are in the summary). */
export async function runSoak(partial: Partial<SoakOptions> = {}): Promise<SoakSummary> {
  const o: SoakOptions = { ...DEFAULT_SOAK, ...partial };
  const violations: string[] = [];
  const violationCounts: Record<string, number> = {};
  const violate = (kind: string, detail: string) => {
    violationCounts[kind] = (violationCounts[kind] ?? 0) + 1;
    if (violationCounts[kind]! <= 5) violations.push(`${kind}: ${detail}`);
  };

  const ringResult = parseKeyRing(DEV_KEYS);
  if (!ringResult.ok) throw new Error(ringResult.error);
  const ring: KeyRing = ringResult.ring;

  // --- config stub -------------------------------------------------------------------
  let step = 0;
  const startedAt = Date.now();
  const versions: Version[] = [];
  const publish = (s: number) => {
    const { doc } = soakConfig(s, startedAt);
    const text = JSON.stringify(doc);
    const parsed = parseConfigText(text);
    if (!parsed.ok) throw new Error(`soak config step ${s} is invalid: ${JSON.stringify(parsed.issues)}`);
    versions.push({ step: s, text, config: parsed.config });
  };
  publish(0);
  const configServer = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(versions.at(-1)!.text);
  });

  // --- origin: echoes what it got, flags what it must never get ------------------------
  const origin: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    const enrollments = req.headers["x-experiment-enrollments"] as string | undefined;
    const path = (req.url ?? "").split("?")[0];
    if (/(^|;\s*)wmf-uniq=/i.test(req.headers.cookie ?? "")) violate("cookie-at-origin", `${req.method} ${req.url}`);
    if (path !== EVENTS && enrollments?.includes("/")) violate("subject-id-on-page", `${req.url}: ${enrollments}`);
    const cacheable = (req.url ?? "").includes("/wiki/Cached_");
    const headers: Record<string, string> = {
      "content-type": "text/plain",
      "x-echo-enrollments": enrollments ?? "",
      "cache-control": cacheable ? "public, s-maxage=60" : "private",
    };
    if (cacheable) headers.vary = "X-Experiment-Enrollments, Accept-Encoding";
    res.writeHead(200, headers);
    res.end(`e=${enrollments ?? ""}`);
  });
  await new Promise<void>((r) => configServer.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  const configUrl = `http://127.0.0.1:${(configServer.address() as AddressInfo).port}/api`;
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;

  // --- the worker --------------------------------------------------------------------
  const before = childPids("workerd");
  // The worker's log is captured; an error line it writes during the soak is a violation.
  const { mf, url: workerUrl, log: workerLog } = await startWorker({ CONFIG_URL: configUrl, ORIGIN_URL: originUrl }, { port: true, inspector: true });
  let inspector: URL | null = null;
  try {
    inspector = await mf.getInspectorURL();
  } catch {
    inspector = null;
  }
  const workerdPid = [...childPids("workerd")].find((p) => !before.has(p)) ?? null;
  const port = Number(workerUrl.port);
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency * 2 });
  const poll = async () => (await mf.getWorker()).scheduled({ cron: "* * * * *" });

  interface Reply {
    status: number;
    headers: IncomingMessage["headers"];
  }
  const send = (method: string, host: string, path: string, cookie: string | null, body?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const headers: Record<string, string> = { host };
      if (cookie !== null) headers.cookie = `theme=dark; WMF-Uniq=${cookie}; lang=en`;
      const req = request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });

  const cookieOf = (r: Reply): string | null => {
    for (const line of r.headers["set-cookie"] ?? []) {
      const m = /^WMF-Uniq=([^;]*)/.exec(line);
      if (m) return m[1]!;
    }
    return null;
  };

  // What the core computes for a cookie under each recent version.
  const expectations = (cookie: string, host: string, recent: readonly Version[]) => {
    if (!verifyToken(cookie, ring).ok) return null;
    const now = Date.now();
    return recent.map((ver) => ({ step: ver.step, ...expectedHeaders(ver.config, ring, cookie, host, now) }));
  };

  // --- start: config, warm isolate, returning visitors ----------------------------------
  await poll();
  const statusOnce = async () => {
    const r = await fetch(`${workerUrl.origin}/_enrollment/status`, { headers: { host: "en.wikipedia.org" } }).catch(() => null);
    return r && r.ok ? ((await r.json()) as any) : null;
  };
  for (let i = 0; i < 50; i++) {
    const s = await statusOnce();
    if (s?.config?.loadedInIsolateAt) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const visitors: string[] = [];
  while (visitors.length < o.visitors) {
    const r = await send("GET", HOSTS[visitors.length % 2]!, "/wiki/Welcome", null);
    const c = cookieOf(r);
    if (r.status !== 200 || c === null) throw new Error(`could not mint visitor ${visitors.length}: HTTP ${r.status}`);
    visitors.push(c);
  }

  const memory: MemorySample[] = [];
  const sampleMemory = async (heap: boolean) => {
    memory.push({ atSeconds: Math.round((Date.now() - startedAt) / 100) / 10, rssMb: rssMb(workerdPid), heapUsedMb: heap ? await isolateHeapMb(inspector) : null });
  };
  await sampleMemory(true);

  // --- per-visitor memory for the stickiness checks ---------------------------------------
  const stableSeen = new Map<string, string>(); // `${visitor}|${host}|${exp}` → group
  const rampSeen = new Map<number, string>(); // visitor → ramp group once enrolled
  const toggleSeen = new Map<string, string>();
  const byKind: Record<string, number> = { page: 0, cachedPage: 0, firstVisit: 0, event: 0 };
  const statusCounts: Record<string, number> = {};
  let requests = 0;

  const recent = () => versions.slice(-3);
  const groupsOf = (header: string) => new Map((decodeEnrollmentHeader(header) ?? []).map((p) => [p.experiment, p.group]));
  const timingOf = (r: Reply) => /WMF-Uniq;desc="([^"]*)"/.exec(String(r.headers["server-timing"] ?? ""))?.[1] ?? "";

  const checkPage = (visitor: number | null, cookie: string, host: string, r: Reply, label: string) => {
    const echo = String(r.headers["x-echo-enrollments"] ?? "");
    const exp = expectations(cookie, host, recent());
    if (exp === null) return violate("cookie-does-not-verify", label);
    const match = exp.find((e) => e.page === echo);
    if (!match) return violate("enrollment-not-of-any-recent-version", `${label} got ${JSON.stringify(echo)}; expected one of ${JSON.stringify(exp.map((e) => e.page))}`);
    const timing = timingOf(r);
    if (!exp.some((e) => e.timing === timing)) violate("server-timing-mismatch", `${label} ${timing}`);
    if (visitor === null) return;
    // Stickiness: experiments that never change; the ramp; the toggled experiment while present.
    const all = groupsOf(timing);
    for (const name of STABLE) {
      const key = `${visitor}|${host}|${name}`;
      const g = all.get(name) ?? "none";
      const seen = stableSeen.get(key);
      if (seen === undefined) stableSeen.set(key, g);
      else if (seen !== g) violate("stable-group-changed", `${key}: ${seen} -> ${g}`);
    }
    if (host === "en.wikipedia.org") {
      const g = all.get(RAMP);
      const seen = rampSeen.get(visitor);
      if (seen !== undefined && g !== seen) violate("ramp-moved-enrolled-visitor", `visitor ${visitor}: ${seen} -> ${g ?? "none"}`);
      if (seen === undefined && g !== undefined) rampSeen.set(visitor, g);
    }
    const t = all.get(TOGGLE);
    if (t !== undefined) {
      const key = `${visitor}|${host}`;
      const seen = toggleSeen.get(key);
      if (seen === undefined) toggleSeen.set(key, t);
      else if (seen !== t) violate("toggled-experiment-group-changed", `${key}: ${seen} -> ${t}`);
    }
  };

  // --- the load -----------------------------------------------------------------------
  const deadline = startedAt + o.seconds * 1000;
  let seed = 0x2545f491;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4_294_967_296;
  };
  const loop = async (lane: number) => {
    const mine = visitors.map((_, i) => i).filter((i) => i % o.concurrency === lane);
    let n = 0;
    while (Date.now() < deadline) {
      n++;
      const roll = rand();
      const host = HOSTS[Math.floor(rand() * HOSTS.length)]!;
      try {
        if (roll < o.firstVisitShare) {
          byKind.firstVisit!++;
          const r = await send("GET", host, `/wiki/First_${lane}_${n}`, null);
          requests++;
          statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
          if (r.status >= 500) violate("5xx", `first visit ${host}: ${r.status}`);
          const c = cookieOf(r);
          if (c === null) violate("first-visit-not-minted", host);
          else checkPage(null, c, host, r, `first visit ${host}`);
          continue;
        }
        const visitor = mine[Math.floor(rand() * mine.length)]!;
        const cookie = visitors[visitor]!;
        if (roll < o.firstVisitShare + o.eventShare) {
          byKind.event!++;
          const r = await send("POST", host, EVENTS, cookie, '{"action":"soak"}');
          requests++;
          statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
          if (r.status >= 500) violate("5xx", `event ${host}: ${r.status}`);
          if (cookieOf(r) !== null) violate("event-minted", host);
          const echo = String(r.headers["x-echo-enrollments"] ?? "");
          const exp = expectations(cookie, host, recent())!;
          if (r.status === 204) {
            if (!exp.some((e) => e.events === "")) violate("event-204-while-enrolled", host);
          } else if (!exp.some((e) => e.events === echo)) violate("event-enrollment-mismatch", `${host}: ${echo}`);
          continue;
        }
        const cached = rand() < 0.5;
        byKind[cached ? "cachedPage" : "page"]!++;
        const path = cached ? `/wiki/Cached_${Math.floor(rand() * 40)}` : `/wiki/Page_${lane}_${n}`;
        const r = await send(rand() < 0.05 ? "HEAD" : "GET", host, path, cookie);
        requests++;
        statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
        if (r.status >= 500) {
          violate("5xx", `${host}${path}: ${r.status}`);
          continue;
        }
        if (cookieOf(r) !== null) violate("returning-visitor-re-minted", `visitor ${visitor}`);
        checkPage(visitor, cookie, host, r, `visitor ${visitor} ${host}${path}`);
      } catch (e) {
        requests++;
        violate("request-failed", (e as Error).message);
      }
    }
  };

  const changer = (async () => {
    let nextMemory = Date.now() + 10_000;
    while (Date.now() + o.changeEveryMs < deadline) {
      await new Promise((r) => setTimeout(r, o.changeEveryMs));
      step++;
      publish(step);
      try {
        await poll();
      } catch (e) {
        violate("poll-failed", (e as Error).message);
      }
      if (Date.now() > nextMemory) {
        await sampleMemory(true);
        nextMemory = Date.now() + 10_000;
      }
    }
  })();

  await Promise.all([...Array.from({ length: o.concurrency }, (_, lane) => loop(lane)), changer]);
  const elapsed = (Date.now() - startedAt) / 1000;
  await sampleMemory(true);

  // The isolate picks the last version up within one refresh period.
  const lastVersion = createHash("sha256").update(versions.at(-1)!.text).digest("hex");
  let status = await statusOnce();
  for (let i = 0; i < 40 && status?.config?.version !== lastVersion; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = await statusOnce();
  }
  if (status === null) violate("status-endpoint", "no answer at the end");
  else if (status.config?.version !== lastVersion) violate("last-version-not-loaded", `${status.config?.version} != ${lastVersion}`);
  else {
    const lastStored = versions.at(-1)!;
    if (status.poll?.outcome !== "updated" && status.poll?.outcome !== "unchanged") violate("last-poll", JSON.stringify(status.poll));
    if (status.config?.experiments !== lastStored.config.experiments.length) violate("status-config", `${status.config?.experiments} experiments`);
    if ((status.counters?.passThrough?.enrollmentError ?? 0) > 0) violate("enrollment-errors", JSON.stringify(status.counters.passThrough));
    if ((status.counters?.originErrors ?? 0) > 0) violate("origin-errors", String(status.counters.originErrors));
  }

  // Memory. Heap: the floor of the last three samples (after GC) against the first (warm,
  // visitors minted); in-flight requests make single samples noisy, a leak raises the floor.
  const heaps = memory.flatMap((m) => (m.heapUsedMb === null ? [] : [m.heapUsedMb]));
  if (heaps.length >= 2) {
    const floor = Math.min(...heaps.slice(-3));
    if (floor - heaps[0]! > o.heapGrowthMb) violate("heap-growth", `${heaps[0]} MB -> floor ${floor} MB over the last samples (after GC)`);
  }
  const rssSlope = rssTrend(memory);
  if (elapsed >= o.rssMinSeconds && rssSlope !== null && rssSlope > o.rssSlopeMbPerMin) {
    violate("rss-growth", `RSS still rising ${rssSlope.toFixed(1)} MB/min over the second half (${memory.map((m) => m.rssMb).join(", ")})`);
  }
  const rampTaken = soakConfig(step, startedAt).rampEnd;
  if (stableSeen.size === 0 || rampSeen.size === 0) violate("no-coverage", "no returning visitor was checked");
  if (versions.length < 3) violate("no-config-changes", `${versions.length} versions`);

  agent.destroy();
  await mf.dispose();
  await workerLog.settled();
  for (const line of workerLog.unexpected()) violate("worker-error", line.text.slice(0, 300));
  await new Promise<void>((r) => origin.close(() => r()));
  await new Promise<void>((r) => configServer.close(() => r()));

  return {
    seconds: Math.round(elapsed * 10) / 10,
    requests,
    byKind,
    requestsPerSecond: Math.round(requests / elapsed),
    configVersions: versions.length,
    rampFinalTreatmentEnd: rampTaken,
    statusCounts,
    cache: status?.counters?.cache ?? null,
    memory,
    workerdPid,
    rssSlopeMbPerMin: rssSlope,
    violations,
    violationCounts,
  };
}

/** Least-squares slope of RSS over the second half of the samples, MB per minute (null: too few). */
function rssTrend(memory: readonly MemorySample[]): number | null {
  const end = memory.at(-1)?.atSeconds ?? 0;
  const pts = memory.filter((m) => m.rssMb !== null && m.atSeconds >= end / 2).map((m) => [m.atSeconds, m.rssMb!] as const);
  if (pts.length < 4) return null;
  const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length;
  const my = pts.reduce((a, [, y]) => a + y, 0) / pts.length;
  const sxy = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = pts.reduce((a, [x]) => a + (x - mx) * (x - mx), 0);
  return sxx === 0 ? null : (sxy / sxx) * 60;
}

/** A human summary of a soak. */
export function formatSummary(s: SoakSummary): string {
  const mem = s.memory.map((m) => `  t=${m.atSeconds}s rss=${m.rssMb ?? "n/a"} MB${m.heapUsedMb === null ? "" : ` heap(after GC)=${m.heapUsedMb} MB`}`).join("\n");
  return [
    `soak: ${s.seconds} s, ${s.requests} requests (${s.requestsPerSecond}/s): ${JSON.stringify(s.byKind)}`,
    `statuses: ${JSON.stringify(s.statusCounts)}; split cache: ${JSON.stringify(s.cache)}`,
    `config versions published: ${s.configVersions}; ramp treatment now [5000, ${s.rampFinalTreatmentEnd}]`,
    `workerd pid ${s.workerdPid ?? "n/a"}; RSS trend over the second half: ${s.rssSlopeMbPerMin === null ? "n/a (too short)" : `${s.rssSlopeMbPerMin.toFixed(1)} MB/min`}; memory:\n${mem}`,
    s.violations.length === 0 ? "violations: none" : `violations (${JSON.stringify(s.violationCounts)}):\n  ${s.violations.join("\n  ")}`,
  ].join("\n");
}
