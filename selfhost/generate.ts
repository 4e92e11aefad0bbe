import { build, type Plugin } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCliArgs } from "../tools/cli-args.js";
import { EXIT_OK, isEntryPoint, runAsScript, UsageError, type CliIo } from "../tools/cli-io.js";
import {
  CAPNP_FILE,
  checkAddress,
  checkHeaderName,
  checkPath,
  checkUrl,
  DEFAULTS,
  isSystemdStateDirectory,
  KEY_VARIABLES,
  localUrl,
  MODULE_FILES,
  ProfileError,
  renderCapnp,
  renderUnit,
  UNIT_FILE,
  type ProfileOptions,
} from "./profile.js";

/**
 * `npm run selfhost -- --out DIR --origin URL [...]`: writes everything one cache node needs
 * to run the same dist/worker.js as Cloudflare on plain `workerd serve` (contract §11): the
 * capnp config, the modules it embeds (the bundle copied unchanged, the node's own modules
 * bundled from selfhost/workerd/) and a systemd unit. Never writes key material.
 */

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DIST = join(ROOT, "dist/worker.js");

export const SELFHOST_USAGE = `Usage: npm run selfhost -- --out DIR --origin URL [options]

Writes a self-hosted node profile: DIR/${CAPNP_FILE} (run it with
\`npx workerd serve DIR/${CAPNP_FILE}\`), the modules it loads, and DIR/${UNIT_FILE}.

  --out DIR              where to write the profile (created if missing)
  --origin URL           where proxied requests go: the site's cache frontend,
                         e.g. http://127.0.0.1:3128 (ORIGIN_URL)
  --listen ADDR:PORT     public listener, proxied traffic only (default ${DEFAULTS.listen})
  --admin ADDR:PORT      admin listener: GET /_enrollment/status, POST /_enrollment/poll
                         (default ${DEFAULTS.admin}; keep it off the public network)
  --state DIR            Durable Object storage: the last good config, the schedule
                         (default ${DEFAULTS.state}; created when possible)
  --config-url URL       the experiment config API (default: Test Kitchen)
  --keys-file FILE       the unit's EnvironmentFile with ${KEY_VARIABLES.join(" and ")}
                         (default ${DEFAULTS.keysFile})
  --country-header NAME  trusted request header with the visitor's country (the CDN's
                         GeoIP); the TLS terminator must set or remove it on every request
  -h, --help             show this help

No key material is written: ${KEY_VARIABLES[0]} reaches workerd from its environment.
`;

/** compatibility_date and compatibility_flags of the top level of wrangler.toml. */
export function wranglerCompatibility(toml: string): { date: string; flags: string[] } {
  const top = toml.split(/^\[/m)[0] ?? toml;
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(top)?.[1];
  if (date === undefined) throw new Error("wrangler.toml has no top-level compatibility_date");
  const flagsText = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(top)?.[1] ?? "";
  return { date, flags: [...flagsText.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) };
}

/** The workerd binary of the project's pinned npm package. */
export function workerdBinary(): string {
  const require = createRequire(join(ROOT, "package.json"));
  return (require("workerd") as { default: string }).default;
}

/** Options from argv (defaults filled in, everything checked); null = --help. */
export function parseOptions(argv: readonly string[], cwd: string): ProfileOptions | null {
  const { values, positionals } = parseCliArgs(argv, {
    out: { type: "string" },
    origin: { type: "string" },
    listen: { type: "string" },
    admin: { type: "string" },
    state: { type: "string" },
    "config-url": { type: "string" },
    "keys-file": { type: "string" },
    "country-header": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return null;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.out === undefined) throw new UsageError("--out DIR is required");
  if (values.origin === undefined) throw new UsageError("--origin URL is required");
  const compat = wranglerCompatibility(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
  try {
    const listen = checkAddress("--listen", values.listen ?? DEFAULTS.listen);
    const admin = checkAddress("--admin", values.admin ?? DEFAULTS.admin);
    if (listen === admin) throw new ProfileError("--listen and --admin must differ: the admin listener is not public");
    return {
      out: checkPath("--out", resolve(cwd, values.out)),
      origin: checkUrl("--origin", values.origin, true),
      listen,
      admin,
      state: checkPath("--state", resolve(cwd, values.state ?? DEFAULTS.state)),
      configUrl: checkUrl("--config-url", values["config-url"] ?? DEFAULTS.configUrl, false),
      keysFile: checkPath("--keys-file", resolve(cwd, values["keys-file"] ?? DEFAULTS.keysFile)),
      countryHeader: values["country-header"] === undefined ? null : checkHeaderName("--country-header", values["country-header"]),
      compatibilityDate: compat.date,
      compatibilityFlags: compat.flags,
      workerd: checkPath("workerd binary", workerdBinary()),
    };
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(e.message);
    throw e;
  }
}

/** Leaves the node modules' `./worker.js` import to workerd, which loads the copied bundle. */
const bundleExternal: Plugin = {
  name: "worker-bundle-external",
  setup(b) {
    b.onResolve({ filter: /^\.\/worker\.js$/ }, () => ({ path: `./${MODULE_FILES.worker}`, external: true }));
  },
};

/** Bundles one selfhost/workerd/ module into a single ES module for workerd. */
export async function bundleModule(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, "selfhost/workerd", entry)],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    external: ["cloudflare:workers"],
    logLevel: "warning",
    plugins: [bundleExternal],
  });
}

/** Writes the profile; returns the files written (absolute paths). */
export async function writeProfile(o: ProfileOptions): Promise<string[]> {
  if (!existsSync(DIST)) throw new UsageError("dist/worker.js is missing: run `npm run build` first (`npm run selfhost` does)");
  mkdirSync(o.out, { recursive: true });
  const path = (name: string): string => join(o.out, name);
  copyFileSync(DIST, path(MODULE_FILES.worker));
  await bundleModule("node.ts", path(MODULE_FILES.node));
  await bundleModule("kv-store.ts", path(MODULE_FILES.kv));
  writeFileSync(path(CAPNP_FILE), renderCapnp(o));
  writeFileSync(path(UNIT_FILE), renderUnit(o, path(CAPNP_FILE)));
  return [CAPNP_FILE, MODULE_FILES.worker, MODULE_FILES.node, MODULE_FILES.kv, UNIT_FILE].map(path);
}

/** The command: argv without node and script; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions(argv, process.cwd());
  if (options === null) {
    io.out(SELFHOST_USAGE);
    return EXIT_OK;
  }
  const files = await writeProfile(options);
  // workerd refuses to start without its state directory. Under /var/lib the unit's
  // StateDirectory= creates it (owned by the service's dynamic user): leave it to systemd.
  let stateNote = "";
  if (isSystemdStateDirectory(options.state)) {
    stateNote = `\n                (the unit's StateDirectory= creates it; for a start by hand: mkdir -p ${options.state})`;
  } else {
    try {
      mkdirSync(options.state, { recursive: true });
    } catch (e) {
      stateNote = `\nnote: could not create ${options.state} (${(e as NodeJS.ErrnoException).code}); create it before starting workerd.`;
    }
  }
  io.out(`wrote ${files.length} files to ${options.out}:
${files.map((f) => `  ${f.slice(options.out.length + 1)}`).join("\n")}

public listener ${options.listen} -> origin ${options.origin}
admin listener  ${localUrl(options.admin)}/_enrollment/status
state           ${options.state}${stateNote}

start by hand:  ${KEY_VARIABLES[0]}=… npx workerd serve ${join(options.out, CAPNP_FILE)}
or as a unit:   put ${KEY_VARIABLES[0]}=… in ${options.keysFile} (mode 0600), then
                cp ${join(options.out, UNIT_FILE)} /etc/systemd/system/ && systemctl enable --now ${UNIT_FILE}
`);
  return EXIT_OK;
}

if (isEntryPoint(import.meta.url)) void runAsScript(main);
