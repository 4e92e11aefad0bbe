import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseOptions, wranglerCompatibility } from "../../selfhost/generate.js";
import { DEFAULTS, localUrl, nodeVars, renderCapnp, renderUnit, type ProfileOptions } from "../../selfhost/profile.js";
import { UsageError } from "../../tools/cli-io.js";

const REQUIRED = ["--out", "/srv/ee", "--origin", "http://127.0.0.1:3128"];
const parse = (...extra: string[]) => parseOptions([...REQUIRED, ...extra], "/home/op/edge")!;
const refused = (args: string[]) => {
  try {
    parseOptions(args, "/home/op/edge");
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${args.join(" ")}`);
};

describe("npm run selfhost: options", () => {
  it("needs --out and --origin and fills in the defaults", () => {
    expect(refused(["--origin", "http://x"])).toBe("--out DIR is required");
    expect(refused(["--out", "d"])).toBe("--origin URL is required");
    const o = parse();
    expect(o).toMatchObject({
      out: "/srv/ee",
      origin: "http://127.0.0.1:3128",
      listen: DEFAULTS.listen,
      admin: DEFAULTS.admin,
      state: DEFAULTS.state,
      configUrl: DEFAULTS.configUrl,
      keysFile: DEFAULTS.keysFile,
      countryHeader: null,
      compatibilityDate: wranglerCompatibility(readFileSync("wrangler.toml", "utf8")).date,
    });
    expect(o.workerd).toMatch(/\/workerd$/);
    expect(parseOptions(["--help"], "/")).toBeNull();
  });

  it("resolves relative paths against the folder it runs in", () => {
    expect(parse("--state", "state", "--keys-file", "../keys.env", "--out", "profile")).toMatchObject({
      out: "/home/op/edge/profile",
      state: "/home/op/edge/state",
      keysFile: "/home/op/keys.env",
    });
  });

  it("checks every value and says which flag is wrong", () => {
    expect(refused([...REQUIRED, "--listen", "8080"])).toMatch(/^--listen "8080": expected ADDR:PORT/);
    expect(refused([...REQUIRED, "--admin", "127.0.0.1:70000"])).toMatch(/^--admin/);
    expect(refused([...REQUIRED, "--listen", "127.0.0.1:9000", "--admin", "127.0.0.1:9000"])).toMatch(/must differ/);
    expect(refused(["--out", "d", "--origin", "http://x/?a=1"])).toMatch(/^--origin: must not have a query/);
    expect(refused(["--out", "d", "--origin", "ftp://x"])).toMatch(/^--origin: must be an http\(s\) URL/);
    expect(refused([...REQUIRED, "--config-url", "not a url"])).toMatch(/^--config-url/);
    expect(refused([...REQUIRED, "--country-header", "X Country"])).toMatch(/^--country-header/);
    expect(refused([...REQUIRED, "--state", "/var/lib/a b"])).toMatch(/^--state/);
    expect(refused([...REQUIRED, "--bogus"])).toMatch(/bogus/);
    expect(parse("--listen", "*:80", "--admin", "[::1]:9090").admin).toBe("[::1]:9090");
    expect(parse("--country-header", "X-GeoIP-Country").countryHeader).toBe("x-geoip-country");
  });
});

describe("the generated capnp and unit", () => {
  const options = (over: Partial<ProfileOptions> = {}): ProfileOptions => ({ ...parse(), workerd: "/opt/ee/workerd", ...over });

  it("sets the self-hosted vars, the country header only when given, and keys only from the environment", () => {
    expect(nodeVars(options())).toEqual({
      CONFIG_URL: DEFAULTS.configUrl,
      ORIGIN_URL: "http://127.0.0.1:3128",
      SPLIT_CACHE: "off",
      STATUS_ROUTE: "off",
    });
    expect(nodeVars(options({ countryHeader: "x-geo" })).COUNTRY_HEADER).toBe("x-geo");
    const capnp = renderCapnp(options());
    expect(capnp).toContain('(name = "UNIQ_KEYS", fromEnvironment = "UNIQ_KEYS")');
    expect(capnp).toContain('(name = "PREVIEW_KEYS", fromEnvironment = "PREVIEW_KEYS")');
    expect(capnp).not.toMatch(/KEYS", text/);
    expect(capnp).not.toContain("COUNTRY_HEADER");
    expect(capnp).toContain(`(name = "state", disk = (path = "${DEFAULTS.state}", writable = true))`);
    expect(capnp).toContain('service = (name = "node", entrypoint = "Admin")');
  });

  it("lets systemd create a state directory under /var/lib, and names any other one", () => {
    const unit = renderUnit(options(), "/srv/ee/edge-enrollment.capnp");
    expect(unit).toContain("ExecStart=/opt/ee/workerd serve /srv/ee/edge-enrollment.capnp\n");
    expect(unit).toContain(`EnvironmentFile=-${DEFAULTS.keysFile}\n`);
    expect(unit).toContain("StateDirectory=edge-enrollment\n");
    expect(unit).toMatch(/ExecStartPost=-\S*curl .* -X POST http:\/\/127\.0\.0\.1:9090\/_enrollment\/poll\n/);
    const other = renderUnit(options({ state: "/srv/ee-state" }), "/srv/ee/edge-enrollment.capnp");
    expect(other).not.toContain("StateDirectory=");
    expect(other).toContain("ReadWritePaths=/srv/ee-state\n");
  });

  it("reaches a wildcard admin listener on loopback", () => {
    expect(localUrl("0.0.0.0:9090")).toBe("http://127.0.0.1:9090");
    expect(localUrl("*:9090")).toBe("http://127.0.0.1:9090");
    expect(localUrl("[::]:9090")).toBe("http://[::1]:9090");
    expect(localUrl("10.0.0.5:9090")).toBe("http://10.0.0.5:9090");
  });
});
