import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The compatibility date and flags the worker is deployed with, read from wrangler.toml's
 * top level: one reading for everything that runs the bundle outside wrangler (this
 * emulation, the test harness, the bench), so a bump of the date reaches all of them.
 */
export interface Compatibility {
  readonly date: string;
  readonly flags: string[];
}

const WRANGLER_TOML = fileURLToPath(new URL("../wrangler.toml", import.meta.url));

/** Reads wrangler.toml (the top-level table only: environments cannot change these). */
export function projectCompatibility(toml = readFileSync(WRANGLER_TOML, "utf8")): Compatibility {
  const top = toml.split(/^\[/m)[0] ?? toml;
  const date = /^compatibility_date\s*=\s*"(\d{4}-\d{2}-\d{2})"/m.exec(top)?.[1];
  if (date === undefined) throw new Error("wrangler.toml has no top-level compatibility_date");
  const flagsText = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(top)?.[1] ?? "";
  const flags = [...flagsText.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  return { date, flags };
}
