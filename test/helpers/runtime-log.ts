import type { Readable } from "node:stream";

/**
 * What workerd writes (the worker's JSON log lines and the runtime's own messages),
 * captured instead of printed, so a passing test prints no worker error. A test that
 * provokes an error takes it (`await log.take("config.poll")`) and asserts it; whatever
 * error is left when the worker is disposed fails the suite, listing the lines:
 *
 * - a structured line with `"level": "error"` (our log.ts), or
 * - a runtime line about an uncaught exception or error (workerd's
 *   "workerd/...: error: Uncaught exception: ...", a JS "Uncaught ...").
 *
 * Info and warn lines are kept (all()) but never fail anything. Pass `handleRuntimeStdio`
 * to Miniflare's options; call `settled()` after mf.dispose(), then `assertClean()`.
 */

/** One line workerd wrote. */
export interface LogEntry {
  readonly stream: "stdout" | "stderr";
  readonly text: string;
  /** The parsed object when the line is one of our structured log lines. */
  readonly json: Record<string, unknown> | null;
}

/** A structured event name, a pattern on the raw text, or a predicate. */
export type LogMatch = string | RegExp | ((entry: LogEntry) => boolean);

const TAKE_TIMEOUT_MS = 5_000;

export class RuntimeLog {
  readonly #seen: LogEntry[] = [];
  readonly #pending: LogEntry[] = [];
  readonly #wake = new Set<() => void>();
  readonly #ended: Promise<void>[] = [];

  /** For Miniflare's `handleRuntimeStdio` option. */
  readonly handleRuntimeStdio = (stdout: Readable, stderr: Readable): void => {
    this.#ended.push(this.#follow(stdout, "stdout"), this.#follow(stderr, "stderr"));
  };

  /** Every line so far, taken or not, in order. */
  all(): readonly LogEntry[] {
    return this.#seen;
  }

  /** Event names of the structured lines so far, in order. */
  events(): string[] {
    return this.#seen.flatMap((e) => (typeof e.json?.event === "string" ? [e.json.event] : []));
  }

  /**
   * Waits until at least `atLeast` untaken lines match (at most 5 s: the lines arrive over
   * a pipe, a moment after the request that caused them), then removes every untaken
   * matching line and returns them. Fewer than `atLeast` after the wait: returns what there is.
   */
  async take(match: LogMatch, atLeast = 1): Promise<LogEntry[]> {
    const test = matcher(match);
    const deadline = Date.now() + TAKE_TIMEOUT_MS;
    while (this.#pending.filter(test).length < atLeast && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, deadline - Date.now()));
        this.#wake.add(done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    // A line written together with the last awaited one may still be in the pipe.
    await new Promise((r) => setTimeout(r, 20));
    const taken: LogEntry[] = [];
    for (let i = 0; i < this.#pending.length; ) {
      if (test(this.#pending[i]!)) taken.push(...this.#pending.splice(i, 1));
      else i++;
    }
    return taken;
  }

  /** Untaken lines that a passing test must not leave behind. */
  unexpected(): LogEntry[] {
    return this.#pending.filter(isError);
  }

  /** Resolves when workerd's streams have ended (after mf.dispose()), or after 2 s. */
  async settled(): Promise<void> {
    await Promise.race([Promise.all(this.#ended), new Promise((r) => setTimeout(r, 2_000))]);
  }

  /** Throws, listing them, when error lines were left untaken. */
  assertClean(): void {
    const left = this.unexpected();
    if (left.length === 0) return;
    const shown = left.slice(0, 10).map((e) => `  ${e.text.slice(0, 300)}`);
    throw new Error(
      `the worker logged ${left.length} error line${left.length === 1 ? "" : "s"} that no test took and asserted ` +
        `(await <harness>.log.take(event) where a test provokes one):\n${shown.join("\n")}`,
    );
  }

  #follow(stream: Readable, name: LogEntry["stream"]): Promise<void> {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) this.#add(line, name);
    });
    return new Promise((resolve) => {
      stream.on("end", () => {
        if (rest !== "") this.#add(rest, name);
        resolve();
      });
      stream.on("close", () => resolve());
    });
  }

  #add(line: string, stream: LogEntry["stream"]): void {
    // workerd follows an uncaught exception with a line of raw addresses: noise, not news.
    if (line.trim() === "" || /^stack:( \S+)+$/.test(line.trim())) return;
    if (process.env["WORKER_LOGS"] === "1") (stream === "stdout" ? process.stdout : process.stderr).write(`${line}\n`);
    let json: Record<string, unknown> | null = null;
    if (line.startsWith("{")) {
      try {
        const v: unknown = JSON.parse(line);
        if (typeof v === "object" && v !== null && !Array.isArray(v)) json = v as Record<string, unknown>;
      } catch {
        // not one of ours
      }
    }
    const entry = { stream, text: line, json };
    this.#seen.push(entry);
    this.#pending.push(entry);
    for (const wake of this.#wake) wake();
    this.#wake.clear();
  }
}

function matcher(match: LogMatch): (e: LogEntry) => boolean {
  if (typeof match === "string") return (e) => e.json?.event === match;
  if (match instanceof RegExp) return (e) => match.test(e.text);
  return match;
}

function isError(e: LogEntry): boolean {
  if (e.json !== null) return e.json.level === "error";
  return /\bUncaught\b/.test(e.text) || /^workerd\/\S+: error: /.test(e.text);
}
