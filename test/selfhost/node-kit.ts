import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { request, type IncomingHttpHeaders } from "node:http";
import { connect, createServer } from "node:net";

/**
 * What the self-hosted suites share: free ports, plain HTTP/1.1 requests with any Host
 * header (fetch cannot set one), and a workerd process started the way systemd starts the
 * generated unit (its ExecStart, its EnvironmentFile), whose output is kept for asserts.
 */

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request to a URL on 127.0.0.1; a new connection each time. */
export function http(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** The systemd unit's ExecStart and ExecStartPost command lines and its EnvironmentFile. */
export function readUnit(unitPath: string): { execStart: string[]; execStartPost: string; environmentFile: string } {
  const text = readFileSync(unitPath, "utf8");
  const line = (key: string): string => {
    const m = new RegExp(`^${key}=(.*)$`, "m").exec(text);
    if (!m) throw new Error(`${unitPath} has no ${key}=`);
    return m[1]!;
  };
  return {
    execStart: line("ExecStart").split(" "),
    execStartPost: line("ExecStartPost"),
    environmentFile: line("EnvironmentFile").replace(/^-/, ""),
  };
}

/** KEY=VALUE lines of an EnvironmentFile (no quoting: our keys files need none). */
export function readEnvironmentFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export interface Node {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `command` (the unit's ExecStart) with `env` in `cwd`; waits until `ports` accept connections. */
export async function startNode(command: readonly string[], env: Record<string, string>, cwd: string, ports: readonly number[]): Promise<Node> {
  const child = spawn(command[0]!, command.slice(1), { cwd, env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const node: Node = {
    child,
    stdout: () => out,
    stderr: () => err,
    stop: () => stopChild(child),
  };
  const deadline = Date.now() + 30_000;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode}) before listening:\n${err}`);
      if (await accepts(port)) break;
      if (Date.now() > deadline) {
        await node.stop();
        throw new Error(`workerd did not listen on ${port}:\n${err}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return node;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** SIGTERM, then SIGKILL if it lingers; resolves when the process has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
