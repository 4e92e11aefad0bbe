import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/**
 * Every process the bench starts is registered here and stopped when the bench ends,
 * fails, or is interrupted (Ctrl-C, SIGTERM): by its own pid, SIGTERM first, SIGKILL if it
 * lingers. Nothing is ever killed by name.
 */

const children = new Set<ChildProcess>();
const cleanups: (() => void | Promise<void>)[] = [];
let installed = false;
let stopping = false;

/** True once a signal asked the bench to stop (failures after that are expected). */
export function isStopping(): boolean {
  return stopping;
}

/** Spawns and registers a child process. */
export function startProcess(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  installHandlers();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Registers something else to undo at the end (servers, temp state). */
export function onCleanup(fn: () => void | Promise<void>): void {
  installHandlers();
  cleanups.push(fn);
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every registered child and runs every cleanup; safe to call more than once. */
export async function stopAll(): Promise<void> {
  const pending = [...children].map((c) => stopProcess(c));
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch {
      // best effort: keep stopping the rest
    }
  }
  await Promise.all(pending);
}

/** Waits for a child to exit; rejects on a non-zero exit unless `allowFailure`. */
export function waitForExit(child: ChildProcess, what: string, allowFailure = false): Promise<number> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      const c = code ?? 128;
      if (c !== 0 && !allowFailure) reject(new Error(`${what} exited with ${code ?? signal}`));
      else resolve(c);
    });
  });
}

/** Collects a child's stdout and stderr as text. */
export function collectOutput(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
  return { stdout: () => out, stderr: () => err };
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.error(`\nbench: ${signal}, stopping every process it started…`);
    void stopAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // Last resort on a synchronous exit: children we still know about get SIGKILL.
  process.on("exit", () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });
}
