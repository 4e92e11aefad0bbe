import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../emulation/edge-worker.js";

/**
 * `npm start`'s script (emulation/main.ts) as a user runs it, on free ports and in-memory
 * KV, with its input redirected (not a terminal): the banner offers no "press Enter", and
 * SIGTERM stops everything.
 */
describe("npm start (emulation/main.ts)", () => {
  it("with input that is not a terminal: no 'press Enter' offered; the curl hint names --resolve; SIGTERM stops it", async () => {
    const child = spawn("node_modules/.bin/tsx", ["emulation/main.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, EMULATION_WORKER_PORT: "0", EMULATION_CONFIG_PORT: "0", EMULATION_ORIGIN_PORT: "0", EMULATION_CONTROL_PORT: "0", EMULATION_MEMORY_KV: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 45_000;
      while (!out.includes("Ctrl-C stops everything") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain("Edge Enrollment emulation is running");
      expect(out).toMatch(/curl -X POST http:\/\/127\.0\.0\.1:\d+\/_emulation\/poll\n/);
      expect(out).not.toMatch(/press Enter/i);
      expect(out).toMatch(/curl --resolve en\.wikipedia\.localhost:\d+:127\.0\.0\.1 http:\/\/en\.wikipedia\.localhost:\d+\/wiki\/Main_Page/);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(out).toContain("stopped.");
  }, 60_000);
});
