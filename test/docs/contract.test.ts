import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The contract lives in the project (docs/contract.md), and what cites it can trust it:
 * every "§n" that a comment, test or document in the project cites is a section heading of
 * docs/contract.md ("## n. Title"), and nothing points outside the repository for it.
 * A "§" after "RFC <number>" cites that RFC, not the contract.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CONTRACT = "docs/contract.md";
const SCANNED = ["src", "worker", "tools", "emulation", "test", "bench", "docs", "README.md", "SECURITY.md", "wrangler.toml", ".ci", "package.json", ".dev.vars.example"];
const SKIP_DIRS = new Set(["node_modules", "dist", ".wrangler", "results"]);
const TEXT = /\.(ts|js|mjs|json|md|toml|txt|html|sh)$|^run$|^\.dev\.vars\.example$/;

function files(): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info) return;
    if (info.isDirectory()) {
      for (const name of readdirSync(path)) if (!SKIP_DIRS.has(name)) walk(join(path, name));
    } else if (TEXT.test(path.split("/").pop()!)) {
      out.push(relative(ROOT, path));
    }
  };
  for (const entry of SCANNED) walk(join(ROOT, entry));
  return out.sort();
}

/** The section numbers docs/contract.md has as `## n. Title` headings. */
function sections(): Set<number> {
  const text = readFileSync(join(ROOT, CONTRACT), "utf8");
  return new Set([...text.matchAll(/^## (\d+)\. \S/gm)].map((m) => Number(m[1])));
}

/** Every contract section a text cites: each "§n" not preceded by "RFC <number>". */
export function citedSections(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/§\s?(\d+)/g)) {
    if (/RFC\s?\d+\s*$/.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
    out.push(Number(m[1]));
  }
  return out;
}

describe("docs/contract.md", () => {
  it("has sections §1–§7, numbered in order, each with a title", () => {
    const have = [...sections()];
    expect(have.slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(have).toEqual([...have].sort((a, b) => a - b));
  });

  it("every §n the project cites exists as a heading of docs/contract.md", () => {
    const have = sections();
    const missing: string[] = [];
    let citations = 0;
    for (const file of files()) {
      const text = readFileSync(join(ROOT, file), "utf8");
      text.split("\n").forEach((line, i) => {
        for (const n of citedSections(line)) {
          citations++;
          if (!have.has(n)) missing.push(`${file}:${i + 1}: §${n}`);
        }
      });
    }
    expect(missing).toEqual([]);
    expect(citations).toBeGreaterThan(40);
  });

  it("nothing in the project points outside it for the contract", () => {
    // Built from parts, so this file does not match itself.
    const outside = [["..", "shared"].join("/"), ["", "work", ""].join("/"), ["DESIGN", "md"].join("."), ["MEASURED", "md"].join("."), ["STYLE", "md"].join("."), ["DESIGN", "§"].join(" ")];
    const found: string[] = [];
    for (const file of files()) {
      const text = readFileSync(join(ROOT, file), "utf8");
      text.split("\n").forEach((line, i) => {
        for (const o of outside) if (line.includes(o)) found.push(`${file}:${i + 1}: ${o}`);
      });
    }
    expect(found).toEqual([]);
  });

  it("the citation scanner tells contract citations from RFC ones, and would catch a missing section", () => {
    expect(citedSections("see contract §4, §5 and RFC 9110 §7.6.1; RFC 4648 §5")).toEqual([4, 5]);
    expect(citedSections("docs/contract.md §1, §7")).toEqual([1, 7]);
    expect(sections().has(99)).toBe(false);
  });
});
