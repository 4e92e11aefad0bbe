import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { projectCompatibility } from "../../emulation/compatibility.js";

describe("projectCompatibility (wrangler.toml, read once for the emulation, tests and bench)", () => {
  it("reads the project's own compatibility date", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const date = /^compatibility_date = "([^"]+)"/m.exec(toml)![1];
    expect(projectCompatibility()).toEqual({ date, flags: [] });
  });

  it("reads the top level only: an environment's table cannot change it", () => {
    const toml = 'name = "x"\ncompatibility_date = "2026-01-02"\ncompatibility_flags = ["a", "b_c"]\n\n[env.staging]\ncompatibility_date = "2020-01-01"\n';
    expect(projectCompatibility(toml)).toEqual({ date: "2026-01-02", flags: ["a", "b_c"] });
  });

  it("no date is an error, not a silent default", () => {
    expect(() => projectCompatibility('name = "x"\n[env.staging]\ncompatibility_date = "2020-01-01"\n')).toThrow("wrangler.toml has no top-level compatibility_date");
  });
});
