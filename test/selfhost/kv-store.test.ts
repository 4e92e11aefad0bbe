import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleModule, workerdBinary } from "../../selfhost/generate.js";
import { freePort, http, startNode, type Node } from "./node-kit.js";

// selfhost/workerd/kv-store.ts behind workerd's real KV binding: a probe worker bound to it
// writes through the binding's whole API, workerd restarts, and the probe reads it all
// back from the SQLite files on disk.

const PROBE = `
export default {
  async fetch(request, env) {
    const kv = env.KV;
    const path = new URL(request.url).pathname;
    if (path === "/write") {
      await kv.put("config/v1/document", "doc text \\u00fc", { metadata: { version: "abc", acceptedAt: 1 } });
      for (const k of ["a/1", "a/2", "a/3", "b/1"]) await kv.put(k, "value of " + k);
      await kv.put("big", "x".repeat(5 * 1024 * 1024) + "end");
      await kv.put("ttl", "later", { expirationTtl: 3600 });
      await kv.put("gone", "x");
      await kv.delete("gone");
      await kv.put("odd/\\u{1F600} key?&=%2F", "odd");
      await kv.put("json", JSON.stringify({ n: 1 }));
      await kv.put("replaced", "x".repeat(2 * 1024 * 1024));
      await kv.put("replaced", "short");
      return Response.json({ ok: true });
    }
    const out = {};
    out.doc = await kv.getWithMetadata("config/v1/document", "text");
    out.json = await kv.get("json", "json");
    out.missing = await kv.get("nope");
    out.gone = await kv.get("gone");
    const big = await kv.get("big");
    out.big = [big.length, big.slice(-3)];
    out.replaced = await kv.get("replaced");
    out.page1 = await kv.list({ prefix: "a/", limit: 2 });
    out.page2 = await kv.list({ prefix: "a/", limit: 2, cursor: out.page1.cursor });
    out.all = (await kv.list()).keys.map((k) => k.name);
    out.withMetadata = (await kv.list({ prefix: "config/" })).keys;
    out.ttl = (await kv.list({ prefix: "ttl" })).keys[0];
    out.odd = await kv.get("odd/\\u{1F600} key?&=%2F");
    out.bulk = Object.fromEntries(await kv.get(["a/1", "nope", "b/1"]));
    out.arrayBuffer = new TextDecoder().decode(await kv.get("a/1", "arrayBuffer"));
    out.stream = await new Response(await kv.get("a/2", "stream")).text();
    try { await kv.put("", "x"); out.emptyKey = "accepted"; } catch (e) { out.emptyKey = "refused"; }
    try { await kv.put("huge", "x".repeat(26 * 1024 * 1024)); out.huge = "accepted"; } catch (e) { out.huge = "refused"; }
    return Response.json(out);
  },
};
`;

let dir: string;
let port: number;
let node: Node | null = null;
let capnp: string;

async function start(): Promise<Node> {
  return startNode([workerdBinary(), "serve", capnp], {}, dir, [port]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ee-kv-"));
  mkdirSync(join(dir, "state"));
  await bundleModule("kv-store.ts", join(dir, "kv-store.js"));
  writeFileSync(join(dir, "probe.js"), PROBE);
  port = await freePort();
  capnp = join(dir, "kv-test.capnp");
  writeFileSync(
    capnp,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "probe", worker = (
      modules = [(name = "probe.js", esModule = embed "probe.js")],
      compatibilityDate = "2026-04-26",
      bindings = [(name = "KV", kvNamespace = "kv")],
    )),
    (name = "kv", worker = (
      modules = [(name = "kv-store.js", esModule = embed "kv-store.js")],
      compatibilityDate = "2026-04-26",
      bindings = [(name = "STORE", durableObjectNamespace = "KvStore")],
      durableObjectNamespaces = [(className = "KvStore", uniqueKey = "kv-test", enableSql = true)],
      durableObjectStorage = (localDisk = "state"),
    )),
    (name = "state", disk = (path = "${join(dir, "state")}", writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "probe")],
);
`,
  );
});

afterAll(async () => {
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("KV namespace over a SQLite Durable Object (selfhost/workerd/kv-store.ts)", () => {
  it("keeps everything the binding wrote across a restart", async () => {
    node = await start();
    const write = await http(`http://127.0.0.1:${port}/write`);
    expect(write.status, write.body).toBe(200);
    await node.stop();
    node = await start();
    const res = await http(`http://127.0.0.1:${port}/read`);
    expect(res.status, res.body).toBe(200);
    const r = JSON.parse(res.body);

    expect(r.doc).toMatchObject({ value: "doc text ü", metadata: { version: "abc", acceptedAt: 1 } });
    expect(r.json).toEqual({ n: 1 });
    expect(r.missing).toBeNull();
    expect(r.gone).toBeNull();
    // 5 MB in one value: stored in parts (SQLite rows hold at most 1 MiB).
    expect(r.big).toEqual([5 * 1024 * 1024 + 3, "end"]);
    expect(r.replaced).toBe("short");
    expect(r.page1.keys.map((k: { name: string }) => k.name)).toEqual(["a/1", "a/2"]);
    expect(r.page1.list_complete).toBe(false);
    expect(r.page2.keys.map((k: { name: string }) => k.name)).toEqual(["a/3"]);
    expect(r.page2.list_complete).toBe(true);
    expect(r.all).toEqual(["a/1", "a/2", "a/3", "b/1", "big", "config/v1/document", "json", "odd/\u{1F600} key?&=%2F", "replaced", "ttl"]);
    expect(r.withMetadata).toEqual([{ name: "config/v1/document", metadata: { version: "abc", acceptedAt: 1 } }]);
    expect(r.ttl.expiration).toBeGreaterThan(Date.now() / 1000 + 3500);
    expect(r.odd).toBe("odd");
    expect(r.bulk).toEqual({ "a/1": "value of a/1", nope: null, "b/1": "value of b/1" });
    expect(r.arrayBuffer).toBe("value of a/1");
    expect(r.stream).toBe("value of a/2");
    expect(r.emptyKey).toBe("refused");
    expect(r.huge).toBe("refused");
  }, 60_000);
});
