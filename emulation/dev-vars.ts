import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEVELOPMENT_KEY, DEVELOPMENT_PREVIEW_KEY } from "../src/keyring.js";

/**
 * Local secrets the way wrangler reads them: `.dev.vars` (never committed) wins, then the
 * committed `.dev.vars.example`, then the built-in development key, so the emulation runs
 * with zero configuration yet honours a developer's own key ring.
 */

/** Where a value came from, so the start-up banner can say so. */
export interface DevVar {
  readonly value: string;
  readonly source: string;
}

/** Parses a dotenv-style file: `KEY=value`, `KEY="value"`, `# comments`. */
export function parseDevVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, "");
    vars.set(m[1]!, value);
  }
  return vars;
}

/** UNIQ_KEYS from `.dev.vars`, else `.dev.vars.example`, else `0:<development key>`. */
export function readUniqKeys(root: string): DevVar {
  return readDevVar(root, "UNIQ_KEYS", { value: `0:${DEVELOPMENT_KEY}`, source: "built-in development key" });
}

/** PREVIEW_KEYS (contract §10) the same way, else `0:<development preview key>`. */
export function readPreviewKeys(root: string): DevVar {
  return readDevVar(root, "PREVIEW_KEYS", { value: `0:${DEVELOPMENT_PREVIEW_KEY}`, source: "built-in development preview key" });
}

/** One variable from `.dev.vars`, else `.dev.vars.example`, else `fallback`; each file is asked for it on its own. */
export function readDevVar(root: string, name: string, fallback: DevVar): DevVar {
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const value = parseDevVars(readFileSync(path, "utf8")).get(name);
    if (value !== undefined && value !== "") return { value, source: file };
  }
  return fallback;
}
