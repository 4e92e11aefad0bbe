import { createInterface } from "node:readline";
import { CONFIG_API_MODES } from "./config-api.js";
import { DEFAULT_KV_PERSIST } from "./edge-worker.js";
import { bannerPreviewPairs, DEFAULT_PORTS, startEmulation, type Emulation } from "./emulation.js";
import { formatInstant } from "../tools/cli-args.js";
import { formatTtl } from "../tools/preview-mint.js";

/**
 * `npm start`: the whole system on this machine with zero configuration. Ports can be
 * moved with EMULATION_WORKER_PORT, EMULATION_CONFIG_PORT, EMULATION_ORIGIN_PORT and
 * EMULATION_CONTROL_PORT; EMULATION_MEMORY_KV=1 keeps KV in memory instead of
 * .wrangler/state; EMULATION_COOKIE_DOMAIN overrides the cookie Domain ("" = host-only).
 * Ctrl-C stops everything.
 */

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name}=${raw} is not a port number`);
    process.exit(2);
  }
  return n;
}

const ports = {
  worker: portFromEnv("EMULATION_WORKER_PORT", DEFAULT_PORTS.worker),
  configApi: portFromEnv("EMULATION_CONFIG_PORT", DEFAULT_PORTS.configApi),
  origin: portFromEnv("EMULATION_ORIGIN_PORT", DEFAULT_PORTS.origin),
  control: portFromEnv("EMULATION_CONTROL_PORT", DEFAULT_PORTS.control),
};
const memoryKv = process.env["EMULATION_MEMORY_KV"] === "1";
// Unset: one cookie for every wiki host (their common parent domain); "" = host-only cookies.
const cookieDomain = process.env["EMULATION_COOKIE_DOMAIN"];

const log = (line: string) => console.log(line);

let emulation: Emulation;
try {
  emulation = await startEmulation({
    ports,
    kvPersist: memoryKv ? false : DEFAULT_KV_PERSIST,
    log,
    ...(cookieDomain === undefined ? {} : { cookieDomain }),
  });
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  console.error(`\nThe emulation did not start: ${err.message}`);
  if (err.code === "EADDRINUSE" || /address already in use/i.test(err.message)) {
    console.error("A port is taken; move it with EMULATION_WORKER_PORT / _CONFIG_PORT / _ORIGIN_PORT / _CONTROL_PORT.");
  }
  process.exit(1);
}

const e = emulation;
// Enter polls only when stdin is a terminal; redirected or closed input offers nothing to press.
const interactive = process.stdin.isTTY === true;
const [first = "en.wikipedia.localhost", second] = e.hosts;

// A working preview link (contract §10), made by the preview-link tool's own code.
function previewBanner(): string {
  if (e.previewKeysSource === null) return "Preview links: off (no PREVIEW_KEYS)\n";
  const pairs = bannerPreviewPairs(e.configApi.file, first);
  if (pairs.length === 0) return `Preview links: on, but ${first} has no live cache-split experiment to show\n`;
  try {
    const l = e.previewLink(first, pairs);
    const keysFile = e.previewKeysSource.startsWith(".dev.vars") ? ` --keys-file ${e.previewKeysSource}` : "";
    return `Preview link (PREVIEW_KEYS from ${e.previewKeysSource}${l.developmentKey ? ": the DEVELOPMENT preview key, never for production" : ""}):
  ${l.link}
  forces ${l.pairs.map((p) => `${p.experiment}=${p.group}`).join(", ")} until ${formatInstant(l.expiresAtMs)} (${formatTtl(l.ttlMs)}); events leave them out
  make another: npm run preview-link -- --host ${first} --pair EXPERIMENT=GROUP --base http://${first}:${e.port} \\
                  --path /wiki/Main_Page${keysFile} --config '${e.configApi.configUrl}'
`;
  } catch (err) {
    return `Preview links: on, but no link could be made: ${(err as Error).message}\n`;
  }
}
console.log(`
Edge Enrollment emulation is running (worker in workerd via Miniflare, keys: ${e.uniqKeysSource}).

Open in a browser (Chromium resolves *.localhost to this machine by itself):
  ${e.pageUrl(first)}
${second === undefined ? "" : `  ${e.pageUrl(second)}\n`}  ${e.pageUrl(first, "/_enrollment/status")}   the worker's status (a page; JSON for curl)
  ${e.controlUrl}/_emulation/map                    the bucket map of the config the worker holds
  ${e.origin.url}/_emulation/events                 events the origin received
With curl, name the host's address: curl --resolve ${first}:${e.port}:127.0.0.1 ${e.pageUrl(first)}

${previewBanner()}
Behind it:
  config API   ${e.configApi.configUrl}
               serving ${e.configApi.file} (edit it; it is re-read on every poll)
  wiki origin  ${e.origin.url}
  control      ${e.controlUrl}/
KV: ${memoryKv ? "in memory" : DEFAULT_KV_PERSIST}
Cookie: WMF-Uniq ${e.cookieDomain === "" ? "host-only (the worker's rule for *.localhost)" : `with Domain=${e.cookieDomain}, shared by every wiki host`}

Try:
  - reload a page: same groups; a new private window: a new WMF-Uniq cookie, maybe new groups
  - press "Send a test event" and look at the events page (subject IDs added by the edge)
  - choose a country:        the buttons on the page, or curl -H 'X-Emulation-Country: DE' with a browser's -A
                             (curl's own User-Agent counts as a crawler: no cookie, no enrollment)
  - poll the config now:     curl -X POST ${e.controlUrl}/_emulation/poll${interactive ? "   (or press Enter here)" : ""}
  - break the config API:    curl -X POST '${e.controlUrl}/_emulation/mode?mode=error500'
                             modes: ${CONFIG_API_MODES.join(", ")}
The config is polled at start-up and every minute. Ctrl-C stops everything.
`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the emulation...`);
  const force = setTimeout(() => {
    console.error("did not stop within 10 s; exiting anyway");
    process.exit(1);
  }, 10_000);
  force.unref();
  try {
    await e.close();
    console.log("stopped.");
    process.exit(0);
  } catch (err) {
    console.error(`error while stopping: ${(err as Error).message}`);
    process.exit(1);
  }
}
// Miniflare's exit hook answers SIGINT/SIGTERM by killing workerd and exiting at once, before
// any other listener can finish; take the signals over so close() stops everything in order.
// (tsx's own relay listener is hidden from process.listeners() and stays; Miniflare's
// "exit" hook stays too, as a safety net that kills workerd if we exit some other way.)
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
  process.on(signal, () => void stop(signal));
}

if (interactive) {
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on("line", () => {
    e.poll("Enter key").then(
      () => console.log(`see ${e.pageUrl(first, "/_enrollment/status")}`),
      (err: Error) => console.error(`poll failed: ${err.message}`),
    );
  });
  rl.on("close", () => void stop("stdin closed"));
}
