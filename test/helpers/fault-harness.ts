import { connect } from "node:net";
import { seededRandom } from "./random.js";
import { startStub, type StubHandler, type StubServer } from "./stub-server.js";
import { startWorker, type Harness } from "./worker-harness.js";

/**
 * The built bundle (dist/worker.js, unmodified) inside workerd, behind a test-only wrapper
 * entry module that can inject faults the platform cannot produce on demand:
 *
 * - KV: every method of the `CONFIG` binding is a proxy over the real Miniflare KV that
 *   can throw, answer late, or never answer, per operation kind (reads / writes).
 * - `crypto.getRandomValues` can throw (so minting a cookie throws inside enrollment).
 *
 * What the worker logs is captured from workerd's output, not printed (`log`, see
 * runtime-log.ts): a test takes the error lines it provokes, and dispose() fails when an
 * error line was left untaken.
 *
 * The fault mode is set through a wrapper-only route (`POST /__fault-harness/faults`, any
 * host); nothing of it reaches the worker. The wrapper calls the real worker's `fetch` and
 * `scheduled` with the same (wrapped) env object every time, so the worker's per-env
 * settings memo behaves as in production.
 *
 * The worker also listens on a real 127.0.0.1 port, so tests can send raw HTTP/1.1 that a
 * fetch client would refuse to produce (header lines, Connection tokens, odd targets).
 */

export type KvFault = "ok" | "throw" | "hang";

export interface FaultMode {
  /** KV reads (get, getWithMetadata, list). */
  kvRead: KvFault;
  /** Delay before each KV read, ms (applied before the fault, "ok" included). */
  kvReadDelayMs: number;
  /** KV writes (put, delete). */
  kvWrite: KvFault;
  kvWriteDelayMs: number;
  /** `crypto.getRandomValues` throws while set. */
  randomThrows: boolean;
  /**
   * Not a fault: a seed makes `crypto.getRandomValues` the tests' seeded PRNG (random.ts) so that
   * statistical tests see the same cookie IDs on every run; null = the real CSPRNG.
   */
  randomSeed: number | null;
}

const NO_FAULTS: FaultMode = { kvRead: "ok", kvReadDelayMs: 0, kvWrite: "ok", kvWriteDelayMs: 0, randomThrows: false, randomSeed: null };

export interface FaultStats {
  kvReads: number;
  kvWrites: number;
  kvFaults: number;
  randomFaults: number;
}

const HARNESS_PATH = "/__fault-harness";

const WRAPPER = String.raw`
import worker from "./worker.js";

const NO_FAULTS = ${JSON.stringify(NO_FAULTS)};
let mode = { ...NO_FAULTS };
const stats = { kvReads: 0, kvWrites: 0, kvFaults: 0, randomFaults: 0 };

// crypto.getRandomValues, failing on demand, or seeded (test/helpers/random.ts, by its source).
const realRandom = crypto.getRandomValues.bind(crypto);
const seededRandom = ${seededRandom.toString()};
let seeded = null;
Object.defineProperty(crypto, "getRandomValues", {
  configurable: true,
  writable: true,
  value: (buf) => {
    if (mode.randomThrows) {
      stats.randomFaults++;
      throw new Error("fault-harness: getRandomValues failed");
    }
    if (mode.randomSeed !== null) {
      if (seeded === null || seeded.seed !== mode.randomSeed) seeded = { seed: mode.randomSeed, rnd: seededRandom(mode.randomSeed) };
      return seeded.rnd.fill(buf);
    }
    return realRandom(buf);
  },
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const READS = new Set(["get", "getWithMetadata", "list"]);
const WRITES = new Set(["put", "delete"]);

async function gate(kind) {
  const fault = kind === "read" ? mode.kvRead : mode.kvWrite;
  const delay = kind === "read" ? mode.kvReadDelayMs : mode.kvWriteDelayMs;
  if (kind === "read") stats.kvReads++;
  else stats.kvWrites++;
  if (delay > 0) await sleep(delay);
  if (fault === "throw") {
    stats.kvFaults++;
    throw new Error("fault-harness: KV " + kind + " failed");
  }
  if (fault === "hang") {
    stats.kvFaults++;
    await new Promise(() => {});
  }
}

function faultyKv(kv) {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const kind = READS.has(prop) ? "read" : WRITES.has(prop) ? "write" : null;
      if (kind === null) return value.bind(target);
      return async (...args) => {
        await gate(kind);
        return value.apply(target, args);
      };
    },
  });
}

let wrappedEnv = null;
function envFor(env) {
  if (wrappedEnv === null) wrappedEnv = { ...env, CONFIG: faultyKv(env.CONFIG) };
  return wrappedEnv;
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("${HARNESS_PATH}/")) {
      const what = url.pathname.slice("${HARNESS_PATH}/".length);
      if (what === "faults" && request.method === "POST") {
        mode = { ...NO_FAULTS, ...(await request.json()) };
        return json({ mode });
      }
      if (what === "faults") return json({ mode, stats });
      return json({ error: "unknown harness route" }, 404);
    }
    return worker.fetch(request, envFor(env), ctx);
  },
  async scheduled(controller, env, ctx) {
    return worker.scheduled(controller, envFor(env), ctx);
  },
};
`;

/** A raw HTTP/1.1 exchange: the status line, the headers, and the body bytes as received. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
  readonly text: string;
}

/** The harness's worker behind the fault wrapper, on a real port. */
export interface WrappedWorker extends Harness {
  /** Sends raw bytes (one request, `Connection: close` expected) and parses the answer. */
  raw(request: string | Buffer): Promise<RawResponse>;
  setFaults(mode: Partial<FaultMode>): Promise<void>;
  faultStats(): Promise<FaultStats>;
  /** GET /_enrollment/status through the worker. */
  status(host?: string): Promise<any>;
}

/** Starts dist/worker.js behind the fault wrapper, with a real port. */
export async function startWrappedWorker(bindings: Record<string, string>): Promise<WrappedWorker> {
  const worker = await startWorker(bindings, { wrapper: WRAPPER, port: true });
  const dispatch = worker.fetch;
  const harness = async (what: string, init?: RequestInit): Promise<unknown> => {
    const res = await dispatch(`http://harness.invalid${HARNESS_PATH}/${what}`, init);
    if (res.status !== 200) throw new Error(`harness ${what}: ${res.status}`);
    return res.json();
  };
  return {
    ...worker,
    raw: (request) => rawExchange(Number(worker.url.port), request),
    async setFaults(mode) {
      await harness("faults", { method: "POST", body: JSON.stringify(mode) });
    },
    async faultStats() {
      return ((await harness("faults")) as { stats: FaultStats }).stats;
    },

    async status(host = "en.wikipedia.org") {
      const res = await dispatch(`https://${host}/_enrollment/status`);
      if (res.status !== 200) throw new Error(`status endpoint answered ${res.status}`);
      return res.json();
    },
  };
}

/** One raw request over a fresh connection; resolves when the server closes or after `timeoutMs`. */
function rawExchange(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(typeof request === "string" ? Buffer.from(request, "latin1") : request));
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        resolve(parseRawResponse(Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, timeoutMs);
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      // Done as soon as one complete response is in (the server may keep the socket open).
      if (completeResponse(Buffer.concat(chunks))) {
        socket.destroy();
        finish();
      }
    });
    socket.on("error", () => finish());
    socket.on("close", () => finish());
  });
}

function splitHead(buf: Buffer): { head: string; rest: Buffer } | null {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  return { head: buf.subarray(0, end).toString("latin1"), rest: buf.subarray(end + 4) };
}

function headersOf(head: string): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return headers;
}

function completeResponse(buf: Buffer): boolean {
  const parts = splitHead(buf);
  if (parts === null) return false;
  const headers = headersOf(parts.head);
  const length = headers["content-length"]?.[0];
  if (length !== undefined) return parts.rest.length >= Number(length);
  if ((headers["transfer-encoding"]?.[0] ?? "").toLowerCase().includes("chunked")) return parts.rest.includes("0\r\n\r\n");
  return false;
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Parses one HTTP/1.1 response (status 0 when nothing came back). */
function parseRawResponse(buf: Buffer): RawResponse {
  const parts = splitHead(buf);
  if (parts === null) return { status: 0, headers: {}, body: buf, text: buf.toString("latin1") };
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(parts.head)?.[1] ?? 0);
  const headers = headersOf(parts.head);
  const chunked = (headers["transfer-encoding"]?.[0] ?? "").toLowerCase().includes("chunked");
  const body = chunked ? dechunk(parts.rest) : parts.rest;
  return { status, headers, body, text: body.toString("utf8") };
}

/**
 * The origin stub for fault and adversarial tests: startStub with a 64 KB header limit
 * (Node's default 16 KB would answer 431 itself to the big-Cookie cases). Handlers reach
 * the raw socket through `res.socket` for faults (reset mid-body, never answer).
 */
export function startOriginStub(handler: StubHandler, options: { maxHeaderSize?: number } = {}): Promise<StubServer> {
  return startStub(handler, { maxHeaderSize: options.maxHeaderSize ?? 64 * 1024 });
}
