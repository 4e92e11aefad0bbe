import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * Two projects: "node" (core units in plain Node, behaviour suites driving the built bundle
 * in Miniflare, tools, emulation) and "workers" (worker modules on their own, inside the
 * Workers runtime, with isolated KV and Cache). vitest.unit.config.ts is test/src alone.
 */
// The workers pool (0.15.1) prints workerd's note that its runner's WebSocket closed, once
// per test file at teardown; it already drops the same note worded "aborted". Not ours and
// not an error: dropped too, so that a passing run prints no workerd exception line.
const TEARDOWN_NOTE = "workerd/api/web-socket.c++:821: disconnected: WebSocket peer disconnected";
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
    String(chunk).includes(TEARDOWN_NOTE) ? true : write(chunk, ...rest)) as typeof stream.write;
}

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/worker/unit/**"],
          // The behaviour suites run dist/worker.js: refuse a bundle older than its sources.
          globalSetup: ["test/helpers/fresh-bundle.ts"],
        },
      },
      {
        extends: true,
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: { name: "workers", include: ["test/worker/unit/**/*.test.ts"] },
      },
    ],
  },
});
