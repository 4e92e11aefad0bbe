import { readFile } from "node:fs/promises";
import { parseKeyRing, type KeyRing } from "../src/keyring.js";
import { UsageError } from "./cli-io.js";

/**
 * Where an operator tool gets the `UNIQ_KEYS` key ring: a `--keys-file` (the ring itself,
 * or a `.dev.vars`-style file with a `UNIQ_KEYS=` line) or the `UNIQ_KEYS` environment
 * variable. Key material is never printed: every error names the source, not its content
 * (parseKeyRing's messages are already safe to show).
 */

/** Extracts the ring text from a key file's content. */
export function keyRingTextFromFile(content: string): string {
  const line = content.split(/\r?\n/).find((l) => /^\s*(?:export\s+)?UNIQ_KEYS\s*=/.test(l));
  if (line === undefined) return content.trim();
  const value = line.slice(line.indexOf("=") + 1).trim();
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** The parsed ring; throws a UsageError (never containing key material) when it is unusable. */
export async function loadKeyRing(keysFile: string | undefined, env: Readonly<Record<string, string | undefined>>): Promise<KeyRing> {
  let text: string;
  let from: string;
  if (keysFile !== undefined) {
    from = `--keys-file ${keysFile}`;
    try {
      text = keyRingTextFromFile(await readFile(keysFile, "utf8"));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`${from}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : "cannot be read"}`);
    }
  } else {
    const fromEnv = env["UNIQ_KEYS"];
    if (fromEnv === undefined || fromEnv.trim() === "") {
      throw new UsageError("no key ring: set UNIQ_KEYS in the environment or pass --keys-file FILE");
    }
    from = "UNIQ_KEYS";
    text = fromEnv;
  }
  const parsed = parseKeyRing(text);
  if (!parsed.ok) throw new UsageError(`${from}: ${parsed.error}`);
  return parsed.ring;
}
