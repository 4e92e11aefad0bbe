import { isAbsolute } from "node:path";
import { DEFAULT_CONFIG_URL } from "../src/contract.js";

/**
 * What a self-hosted node runs (contract §11), as text: the workerd config and the systemd
 * unit. Pure: options in, file contents out, so every choice here is unit-tested and the
 * generator (generate.ts) only bundles and writes.
 *
 * One worker service ("node") runs dist/worker.js unchanged beside selfhost/workerd/node.ts
 * (public and admin entrypoints) and the scheduler Durable Object, all in one isolate, so
 * the status page counts what the node served. A second service ("kv") is the CONFIG KV
 * namespace over SQLite on local disk. Key material is never written here: the capnp names
 * environment variables (`fromEnvironment`) and the unit reads them from the keys file.
 */

export const CAPNP_FILE = "edge-enrollment.capnp";
export const UNIT_FILE = "edge-enrollment.service";
/** Modules the capnp embeds, relative to it: the bundle as built, and the node's own. */
export const MODULE_FILES = { worker: "worker.js", node: "node.js", kv: "kv-store.js" } as const;

/** Environment variables that carry key material (read at start, never stored in files). */
export const KEY_VARIABLES = ["UNIQ_KEYS", "PREVIEW_KEYS"] as const;

export const DEFAULTS = {
  listen: "127.0.0.1:8080",
  admin: "127.0.0.1:9090",
  state: "/var/lib/edge-enrollment",
  configUrl: DEFAULT_CONFIG_URL,
  keysFile: "/etc/edge-enrollment/keys.env",
} as const;

/**
 * Durable Object unique keys: workerd names each class's directory under the state
 * directory after them, so changing one orphans the stored config. Versioned, never edited.
 */
const KV_UNIQUE_KEY = "edge-enrollment-kv-v1";
const SCHEDULER_UNIQUE_KEY = "edge-enrollment-scheduler-v1";

export interface ProfileOptions {
  /** Absolute directory the files are written to. */
  readonly out: string;
  /** Where proxied requests go: the site's cache frontend (ORIGIN_URL). */
  readonly origin: string;
  /** Public listener, ADDR:PORT: proxied traffic only. */
  readonly listen: string;
  /** Admin listener, ADDR:PORT: status page and poll trigger. */
  readonly admin: string;
  /** Absolute directory for the Durable Object storage (the KV namespace, the schedule). */
  readonly state: string;
  readonly configUrl: string;
  /** Absolute path of the EnvironmentFile holding UNIQ_KEYS (and PREVIEW_KEYS). */
  readonly keysFile: string;
  /** Trusted request header with the visitor's country; null = none. */
  readonly countryHeader: string | null;
  /** From wrangler.toml, so the node runs the bundle exactly as Cloudflare does. */
  readonly compatibilityDate: string;
  readonly compatibilityFlags: readonly string[];
  /** Absolute path of the workerd binary the unit starts. */
  readonly workerd: string;
}

/** A problem with the options, phrased for the operator (the CLI prints it as one line). */
export class ProfileError extends Error {
  override readonly name = "ProfileError";
}

// IPv4, a bracketed IPv6, `*` (every interface) or a host name; then a port.
const ADDRESS = /^(?:\*|\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z](?:[-.0-9A-Za-z]{0,252}[0-9A-Za-z])?):(\d{1,5})$/;
// RFC 9110 field name (token), as worker/settings.ts accepts for COUNTRY_HEADER.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
// What may appear in a quoted capnp string or unit line without escaping trouble.
const PLAIN_PATH = /^\/[^\s"'\\%$`;]*$/;

/** Checks an ADDR:PORT listener address. */
export function checkAddress(flag: string, value: string): string {
  const m = ADDRESS.exec(value);
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) throw new ProfileError(`${flag} ${JSON.stringify(value)}: expected ADDR:PORT, e.g. 127.0.0.1:8080, *:8080 or [::1]:8080`);
  return value;
}

/** Checks an http(s) URL; `base` also refuses a query or fragment (ORIGIN_URL's rule). */
export function checkUrl(flag: string, value: string, base: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProfileError(`${flag} ${JSON.stringify(value)}: not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ProfileError(`${flag}: must be an http(s) URL`);
  if (base && (url.search !== "" || url.hash !== "" || /[?#]/.test(value))) throw new ProfileError(`${flag}: must not have a query or fragment`);
  if (url.username !== "" || url.password !== "") throw new ProfileError(`${flag}: must not carry credentials`);
  return base ? value.replace(/\/+$/, "") : url.href;
}

/** Checks an absolute path that is safe to quote in the capnp and the unit. */
export function checkPath(flag: string, value: string): string {
  if (!isAbsolute(value) || !PLAIN_PATH.test(value)) {
    throw new ProfileError(`${flag} ${JSON.stringify(value)}: expected an absolute path without spaces, quotes, %, $ or ;`);
  }
  return value;
}

/** Checks a header name for --country-header; returns it lower-cased. */
export function checkHeaderName(flag: string, value: string): string {
  if (!HEADER_NAME.test(value)) throw new ProfileError(`${flag} ${JSON.stringify(value)}: not a header name`);
  return value.toLowerCase();
}

/** The text vars the node's worker gets; only what this profile changes from the defaults. */
export function nodeVars(o: ProfileOptions): Record<string, string> {
  return {
    CONFIG_URL: o.configUrl,
    ORIGIN_URL: o.origin,
    // Raw workerd has no Cache API: pages go to the origin, whose own cache splits on
    // Vary: X-Experiment-Enrollments.
    SPLIT_CACHE: "off",
    // The public listener proxies /_enrollment/status; the admin entrypoint turns it on.
    STATUS_ROUTE: "off",
    ...(o.countryHeader === null ? {} : { COUNTRY_HEADER: o.countryHeader }),
  };
}

const q = (s: string): string => JSON.stringify(s);

/** The workerd config (`workerd serve DIR/edge-enrollment.capnp`). */
export function renderCapnp(o: ProfileOptions): string {
  const flags = `[${o.compatibilityFlags.map(q).join(", ")}]`;
  const vars = Object.entries(nodeVars(o)).map(([k, v]) => `    (name = ${q(k)}, text = ${q(v)}),`);
  const keys = KEY_VARIABLES.map((k) => `    (name = ${q(k)}, fromEnvironment = ${q(k)}),`);
  return `# Edge Enrollment, self-hosted node. Generated by \`npm run selfhost\`; regenerate, do not edit.
# Run: workerd serve ${CAPNP_FILE}   (with ${KEY_VARIABLES.join(" and ")} in the environment)
# Module paths are relative to this file. No key material is written here.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "node", worker = .node),
    (name = "kv", worker = .kv),
    (name = "state", disk = (path = ${q(o.state)}, writable = true)),
    # The origin (the site's cache frontend) is usually local; the config API is public.
    (name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [
    # Public: proxied traffic only (from the TLS terminator).
    (name = "public", address = ${q(o.listen)}, http = (), service = "node"),
    # Admin: GET /_enrollment/status, POST /_enrollment/poll. Keep it off the public network.
    (name = "admin", address = ${q(o.admin)}, http = (), service = (name = "node", entrypoint = "Admin")),
  ],
);

# dist/worker.js unchanged, with the node's entrypoints and scheduler in the same isolate.
const node :Workerd.Worker = (
  modules = [
    (name = ${q(MODULE_FILES.node)}, esModule = embed ${q(MODULE_FILES.node)}),
    (name = ${q(MODULE_FILES.worker)}, esModule = embed ${q(MODULE_FILES.worker)}),
  ],
  compatibilityDate = ${q(o.compatibilityDate)},
  compatibilityFlags = ${flags},
  bindings = [
    (name = "CONFIG", kvNamespace = "kv"),
    (name = "SCHEDULER", durableObjectNamespace = "Scheduler"),
${keys.join("\n")}
${vars.join("\n")}
  ],
  durableObjectNamespaces = [
    (className = "Scheduler", uniqueKey = ${q(SCHEDULER_UNIQUE_KEY)}, enableSql = true),
  ],
  durableObjectStorage = (localDisk = "state"),
  globalOutbound = "internet",
);

# The CONFIG KV namespace: one SQLite-backed Durable Object under the state directory.
const kv :Workerd.Worker = (
  modules = [
    (name = ${q(MODULE_FILES.kv)}, esModule = embed ${q(MODULE_FILES.kv)}),
  ],
  compatibilityDate = ${q(o.compatibilityDate)},
  bindings = [
    (name = "STORE", durableObjectNamespace = "KvStore"),
  ],
  durableObjectNamespaces = [
    (className = "KvStore", uniqueKey = ${q(KV_UNIQUE_KEY)}, enableSql = true),
  ],
  durableObjectStorage = (localDisk = "state"),
);
`;
}

/** An address a local client can reach for a listener address (`*` and 0.0.0.0 mean loopback). */
export function localUrl(address: string): string {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i);
  const port = address.slice(i + 1);
  const local = host === "*" || host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" ? "[::1]" : host;
  return `http://${local}:${port}`;
}

/** True for a state directory systemd's StateDirectory= manages (one under /var/lib/). */
export function isSystemdStateDirectory(state: string): boolean {
  return /^\/var\/lib\/[^/]/.test(state);
}

/** The systemd unit: keys from the EnvironmentFile, state directory, the first poll. */
export function renderUnit(o: ProfileOptions, capnpPath: string): string {
  const underVarLib = isSystemdStateDirectory(o.state);
  const stateLines = underVarLib
    ? [`# systemd creates ${o.state} for the service user.`, `StateDirectory=${o.state.slice("/var/lib/".length).replace(/\/+$/, "")}`]
    : [
        `# ${o.state} must exist and be writable by the service user before the start`,
        `# (with DynamicUser, prefer a state directory under /var/lib/).`,
        `ReadWritePaths=${o.state}`,
      ];
  return `# Edge Enrollment, self-hosted node. Generated by \`npm run selfhost\`; regenerate, do not edit.
[Unit]
Description=Edge Enrollment node (workerd)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
# ${KEY_VARIABLES.join(" and ")} (the key rings) come from this file only, never from generated files.
# Without it the node still proxies, un-enrolled, and logs why.
EnvironmentFile=-${o.keysFile}
ExecStart=${o.workerd} serve ${capnpPath}
# workerd has no start-up hook: ask the admin listener for the first poll now (not fatal).
ExecStartPost=-/usr/bin/curl -fsS -o /dev/null -m 20 --retry 10 --retry-connrefused --retry-delay 1 -X POST ${localUrl(o.admin)}/_enrollment/poll
Restart=always
RestartSec=1
TimeoutStopSec=15
DynamicUser=yes
${stateLines.join("\n")}
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
NoNewPrivileges=yes
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}
