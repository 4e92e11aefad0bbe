import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { writeProfile } from "../../selfhost/generate.js";
import { CAPNP_FILE } from "../../selfhost/profile.js";
import { configText, DEV_KEY_RING } from "./fixtures.js";
import { probe } from "./http.js";
import { visitorHeaders, type Variant } from "./load.js";
import type { Origin } from "./origin.js";
import { projectCompatibility } from "../../emulation/compatibility.js";
import { freePort, startWorkerd, WORKERD, type Workerd } from "./workerd.js";

/**
 * The self-hosted profile as a load variant, so its figures describe what an operator
 * runs: the files `npm run selfhost` writes (selfhost/generate.ts, the same code) served by
 * their own `workerd serve` process, KV on disk in the run's scratch, no Cache API, the
 * config loaded by the admin listener's poll trigger from a local config API, exactly as
 * the unit's ExecStartPost does. CPU per request is that process's.
 */

export const SELF_HOSTED_EXPERIMENTS = 10;
export const SELF_HOSTED_ID = `selfhosted-${SELF_HOSTED_EXPERIMENTS}-returning`;

export interface SelfHosted {
  readonly variant: Variant;
  close(): Promise<void>;
}

/** Writes the profile into `tmp`, starts it, polls once, and returns its variant. */
export async function startSelfHosted(tmp: string, origin: Origin, token: string): Promise<SelfHosted> {
  const config = await startConfigApi(configText(SELF_HOSTED_EXPERIMENTS));
  const listen = await freePort();
  const admin = await freePort();
  const out = join(tmp, "selfhosted");
  const state = join(tmp, "selfhosted-state");
  mkdirSync(state, { recursive: true });
  const compat = projectCompatibility();
  await writeProfile({
    out,
    origin: origin.url,
    listen: `127.0.0.1:${listen}`,
    admin: `127.0.0.1:${admin}`,
    state,
    configUrl: config.url,
    keysFile: join(tmp, "selfhosted-keys.env"),
    countryHeader: null,
    compatibilityDate: compat.date,
    compatibilityFlags: compat.flags,
    workerd: WORKERD,
  });
  let workerd: Workerd | null = null;
  try {
    workerd = await startWorkerd(join(out, CAPNP_FILE), [admin, listen], [], { UNIQ_KEYS: DEV_KEY_RING });
    const polled = await probe(admin, "/_enrollment/poll", { Host: "127.0.0.1" }, "POST");
    const outcome = polled.status === 200 ? (JSON.parse(polled.body) as { poll?: { outcome?: string } }).poll?.outcome : null;
    if (outcome !== "updated" && outcome !== "unchanged") throw new Error(`self-hosted node's first poll: ${polled.status} ${polled.body.slice(0, 300)}`);
    // The isolate picks the stored config up within its refresh period (5 s by default).
    await untilEnrolled(listen, visitorHeaders("ours-returning", token));
  } catch (e) {
    await workerd?.stop();
    await closeServer(config.server);
    throw e;
  }
  const node = workerd;
  return {
    variant: {
      id: SELF_HOSTED_ID,
      label: "self-hosted profile (`npm run selfhost`, own workerd process, no Cache API)",
      kind: "ours",
      experiments: SELF_HOSTED_EXPERIMENTS,
      visitor: "returning",
      port: listen,
      headers: visitorHeaders("ours-returning", token),
      workerd: node,
    },
    async close() {
      await node.stop();
      await closeServer(config.server);
    },
  };
}

async function untilEnrolled(port: number, headers: Record<string, string>): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await probe(port, "/wiki/Main_Page", headers);
    if (/WMF-Uniq;desc="[^"]+"/.test(String(r.headers["server-timing"] ?? ""))) return;
    if (Date.now() > deadline) throw new Error("the self-hosted node did not enroll within 15 s of its first poll");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A local config API answering one fixed document. */
async function startConfigApi(text: string): Promise<{ url: string; server: Server }> {
  const body = Buffer.from(text);
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": body.length });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/experiments?format=config&authority=varnish`, server };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
