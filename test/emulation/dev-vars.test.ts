import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEVELOPMENT_KEY, DEVELOPMENT_PREVIEW_KEY } from "../../src/keyring.js";
import { parseDevVars, readPreviewKeys, readUniqKeys } from "../../emulation/dev-vars.js";

describe("dev vars", () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), "devvars-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("parses quoted, unquoted, commented and exported lines", () => {
    const vars = parseDevVars(`# comment\nA="x y"\nexport B=plain # trailing\nC='q'\n  D = spaced  \nnot a line\n`);
    expect(Object.fromEntries(vars)).toEqual({ A: "x y", B: "plain", C: "q", D: "spaced" });
  });

  it("prefers .dev.vars, then .dev.vars.example, then the development key", () => {
    const root = tmp();
    expect(readUniqKeys(root)).toEqual({ value: `0:${DEVELOPMENT_KEY}`, source: "built-in development key" });
    writeFileSync(join(root, ".dev.vars.example"), `UNIQ_KEYS="0:${DEVELOPMENT_KEY}"\n`);
    expect(readUniqKeys(root).source).toBe(".dev.vars.example");
    writeFileSync(join(root, ".dev.vars"), `UNIQ_KEYS="7:mine"\n`);
    expect(readUniqKeys(root)).toEqual({ value: "7:mine", source: ".dev.vars" });
  });

  it("skips a .dev.vars without UNIQ_KEYS", () => {
    const root = tmp();
    writeFileSync(join(root, ".dev.vars"), `OTHER=1\n`);
    writeFileSync(join(root, ".dev.vars.example"), `UNIQ_KEYS=1:example\n`);
    expect(readUniqKeys(root)).toEqual({ value: "1:example", source: ".dev.vars.example" });
  });

  it("reads PREVIEW_KEYS the same way, each file asked for it on its own", () => {
    const root = tmp();
    expect(readPreviewKeys(root)).toEqual({ value: `0:${DEVELOPMENT_PREVIEW_KEY}`, source: "built-in development preview key" });
    writeFileSync(join(root, ".dev.vars.example"), `UNIQ_KEYS="0:${DEVELOPMENT_KEY}"\nPREVIEW_KEYS="0:${DEVELOPMENT_PREVIEW_KEY}"\n`);
    writeFileSync(join(root, ".dev.vars"), `UNIQ_KEYS="7:mine"\n`);
    expect(readPreviewKeys(root)).toEqual({ value: `0:${DEVELOPMENT_PREVIEW_KEY}`, source: ".dev.vars.example" });
    expect(readUniqKeys(root).source).toBe(".dev.vars");
    writeFileSync(join(root, ".dev.vars"), `PREVIEW_KEYS=3:own\n`);
    expect(readPreviewKeys(root)).toEqual({ value: "3:own", source: ".dev.vars" });
  });
});
