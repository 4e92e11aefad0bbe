import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * What the operator tools share: the exit-code convention, the error type that means "the
 * operator got something wrong" (printed as one line, never a stack trace), and the small
 * I/O surface `main(argv, io)` writes to, so tests can run a tool without spawning it.
 */

/** 0 valid / ok, 1 the input does not validate or verify, 2 usage, fetch or key-ring error. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** An operator error (bad flag, unreadable file, failed fetch): one line on stderr, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Where a tool writes and what it may read from its environment. */
export interface CliIo {
  /** Writes text to stdout as given (callers add newlines). */
  readonly out: (text: string) => void;
  /** Writes text to stderr as given. */
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The clock used when no `--at` is given. */
  readonly now: () => number;
}

/** The real process as a CliIo. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    now: () => Date.now(),
  };
}

/** A CliIo that records output, for tests and for embedding the tools. */
export function bufferIo(env: Record<string, string | undefined> = {}, nowMs = Date.now()): CliIo & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    env,
    now: () => nowMs,
    stdout: () => out,
    stderr: () => err,
  };
}

/** True when the module at `metaUrl` is the script node (or tsx) was started with. */
export function isEntryPoint(metaUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(metaUrl));
  } catch {
    return false;
  }
}

/**
 * Runs a tool's main against the real process and sets the exit code. A UsageError that
 * escapes is printed as one line; anything else is a bug in the tool and keeps its stack.
 */
export async function runAsScript(main: (argv: readonly string[], io: CliIo) => Promise<number>): Promise<void> {
  const io = processIo();
  try {
    process.exitCode = await main(process.argv.slice(2), io);
  } catch (e) {
    if (e instanceof UsageError) io.err(`error: ${e.message}\n`);
    else io.err(`internal error (a bug in this tool): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT_USAGE;
  }
}
