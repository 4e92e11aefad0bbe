import { readFile } from "node:fs/promises";
import { parseKeyRing, type KeyRing } from "../src/keyring.js";
import { UsageError } from "./cli-io.js";

/**
 * Where an operator tool gets a key ring (`UNIQ_KEYS`, or `PREVIEW_KEYS` for preview links):
 * a `--keys-file` (the ring itself, or a `.dev.vars`-style file with a `NAME=` line) or the
 * environment variable of that name. Key material is never printed: every error names the
 * source, not its content (parseKeyRing's messages are already safe to show).
 */

/** The secrets that hold key rings. */
export type KeyRingName = "UNIQ_KEYS" | "PREVIEW_KEYS";

// A dotenv assignment; a bare ring (`0:<key>,1:<key>`) never matches (unpadded base64url has no `=`).
const ASSIGNMENT = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/;

/**
 * Extracts the ring text from a key file's content: the value of the `name=` line, or the
 * whole (trimmed) content when the file is a bare ring; null for a `.dev.vars`-style file
 * that assigns other variables but not this one.
 */
export function keyRingTextFromFile(content: string, name: KeyRingName = "UNIQ_KEYS"): string | null {
  const assigned = assignedIn(content, name);
  if (assigned !== null) return assigned;
  return content.split(/\r?\n/).some((l) => ASSIGNMENT.test(l)) ? null : content.trim();
}

/** The value a `.dev.vars`-style file assigns to `name` (quotes removed), or null when no line does. */
export function assignedIn(content: string, name: KeyRingName): string | null {
  const pattern = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=`);
  const line = content.split(/\r?\n/).find((l) => pattern.test(l));
  if (line === undefined) return null;
  const value = line.slice(line.indexOf("=") + 1).trim();
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** The parsed ring; throws a UsageError (never containing key material) when it is unusable. */
export async function loadKeyRing(keysFile: string | undefined, env: Readonly<Record<string, string | undefined>>, name: KeyRingName = "UNIQ_KEYS"): Promise<KeyRing> {
  const source = await keyRingText(keysFile, env, name);
  if (source === null) throw new UsageError(`no key ring: set ${name} in the environment or pass --keys-file FILE`);
  const parsed = parseKeyRing(source.text);
  if (!parsed.ok) throw new UsageError(`${source.from}: ${parsed.error}`);
  return parsed.ring;
}

/**
 * The ring's text and where it came from, or null when neither the file nor the environment
 * has one; a file that cannot be read is a UsageError.
 */
export async function keyRingText(
  keysFile: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  name: KeyRingName,
): Promise<{ text: string; from: string } | null> {
  if (keysFile !== undefined) {
    const from = `--keys-file ${keysFile}`;
    let content: string;
    try {
      content = await readFile(keysFile, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`${from}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : "cannot be read"}`);
    }
    const text = keyRingTextFromFile(content, name);
    if (text === null) throw new UsageError(`${from}: has no ${name}= line`);
    return { text, from };
  }
  const fromEnv = env[name];
  if (fromEnv === undefined || fromEnv.trim() === "") return null;
  return { text: fromEnv, from: name };
}
