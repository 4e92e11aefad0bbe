import { DurableObject } from "cloudflare:workers";

/**
 * The `CONFIG` KV namespace of a self-hosted node (contract §11), so the last good config
 * survives a restart with the config API down. workerd's KV binding (`kvNamespace =
 * "kv"`) speaks HTTP to this service; it keeps every key in one SQLite-backed Durable
 * Object whose storage is a directory on local disk (the capnp's `durableObjectStorage =
 * (localDisk = …)`), so persistence, atomic writes and crash safety are SQLite's, not ours.
 *
 * The protocol (what the binding sends, the one Miniflare also implements):
 *   GET    /<key>?urlencoded=true          value; CF-KV-Metadata, CF-Expiration headers; 404 = null
 *   PUT    /<key>?urlencoded=true[&expiration=S|&expiration_ttl=S]   body = value, CF-KV-Metadata
 *   DELETE /<key>?urlencoded=true
 *   GET    /?prefix=&key_count_limit=&cursor=   {keys: [{name, expiration?, metadata?}], list_complete, cursor?}
 *   POST   /bulk/get   {keys, type, withMetadata}  → {key: value | {value, metadata}}
 * The binding waits for its upload to be read before it takes an answer, so a PUT reads
 * its whole body first. SQLite rows hold at most 1 MiB, so a value is stored in parts.
 */

/** Storage layout version 1 (in the table names). */
const ENTRIES = "kv_v1_entries";
const PARTS = "kv_v1_parts";
/** Under the 1 MiB row limit with room for the key. */
const PART_BYTES = 512 * 1024;
/** Workers KV's limits. */
const MAX_VALUE_BYTES = 25 * 1024 * 1024;
const MAX_KEY_BYTES = 512;
const MAX_METADATA_BYTES = 1024;
const MAX_LIST_KEYS = 1000;
const MAX_BULK_KEYS = 100;
const MIN_EXPIRATION_TTL_S = 60;

interface KvEnv {
  STORE: DurableObjectNamespace<KvStore>;
}

/** The service the KV binding names: every request goes to the one store object. */
export default {
  fetch(request: Request, env: KvEnv): Promise<Response> {
    return env.STORE.get(env.STORE.idFromName("CONFIG")).fetch(request);
  },
} satisfies ExportedHandler<KvEnv>;

class KvError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Row = Record<string, SqlStorageValue>;

/** One KV namespace in one SQLite database. */
export class KvStore extends DurableObject {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(
      `CREATE TABLE IF NOT EXISTS ${ENTRIES} (key TEXT PRIMARY KEY, metadata TEXT, expiration INTEGER, parts INTEGER NOT NULL)`,
    );
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS ${PARTS} (key TEXT NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (key, n))`);
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      // Read any upload before answering: the binding waits for it to be consumed.
      const body = request.method === "PUT" || request.method === "POST" ? new Uint8Array(await request.arrayBuffer()) : null;
      const url = new URL(request.url);
      const nowS = Math.floor(Date.now() / 1000);
      if (request.method === "POST" && url.pathname === "/bulk/get") return this.#bulkGet(body!, nowS);
      if (request.method === "GET" && url.pathname === "/") return this.#list(url, nowS);
      const key = decodeKey(url);
      switch (request.method) {
        case "GET":
          return this.#get(key, nowS);
        case "PUT":
          return this.#put(key, body!, url, request.headers.get("cf-kv-metadata"), nowS);
        case "DELETE":
          this.#delete(key);
          return new Response(null);
        default:
          throw new KvError(405, `method ${request.method} not allowed`);
      }
    } catch (e) {
      if (e instanceof KvError) return new Response(e.message, { status: e.status });
      return new Response(`KV store error: ${(e as Error).message}`, { status: 500 });
    }
  }

  #entry(key: string, nowS: number): Row | null {
    const row = this.#sql.exec(`SELECT metadata, expiration, parts FROM ${ENTRIES} WHERE key = ?`, key).toArray()[0] ?? null;
    if (row === null) return null;
    if (row["expiration"] !== null && Number(row["expiration"]) <= nowS) {
      this.#delete(key);
      return null;
    }
    return row;
  }

  #value(key: string, parts: number): Uint8Array {
    const chunks = this.#sql.exec(`SELECT data FROM ${PARTS} WHERE key = ? ORDER BY n`, key).toArray();
    if (chunks.length !== parts) throw new Error(`value of ${JSON.stringify(key)} has ${chunks.length} of ${parts} parts`);
    if (parts === 1) return new Uint8Array(chunks[0]!["data"] as ArrayBuffer);
    const size = chunks.reduce((n, c) => n + (c["data"] as ArrayBuffer).byteLength, 0);
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      const part = new Uint8Array(c["data"] as ArrayBuffer);
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }

  #get(key: string, nowS: number): Response {
    const row = this.#entry(key, nowS);
    if (row === null) return new Response("Not Found", { status: 404 });
    const headers = new Headers();
    if (row["metadata"] !== null) headers.set("CF-KV-Metadata", String(row["metadata"]));
    if (row["expiration"] !== null) headers.set("CF-Expiration", String(row["expiration"]));
    return new Response(this.#value(key, Number(row["parts"])), { headers });
  }

  #put(key: string, value: Uint8Array, url: URL, metadata: string | null, nowS: number): Response {
    if (value.byteLength > MAX_VALUE_BYTES) throw new KvError(413, `value of ${value.byteLength} bytes exceeds ${MAX_VALUE_BYTES}`);
    if (metadata !== null) {
      if (new TextEncoder().encode(metadata).byteLength > MAX_METADATA_BYTES) throw new KvError(413, `metadata exceeds ${MAX_METADATA_BYTES} bytes`);
      try {
        JSON.parse(metadata);
      } catch {
        throw new KvError(400, "metadata is not JSON");
      }
    }
    const expiration = expirationOf(url, nowS);
    const parts = Math.max(1, Math.ceil(value.byteLength / PART_BYTES));
    // One transaction: a reader sees the old value or the new one, never a mix.
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec(`DELETE FROM ${PARTS} WHERE key = ?`, key);
      for (let n = 0; n < parts; n++) this.#sql.exec(`INSERT INTO ${PARTS} (key, n, data) VALUES (?, ?, ?)`, key, n, value.slice(n * PART_BYTES, (n + 1) * PART_BYTES).buffer);
      this.#sql.exec(`INSERT OR REPLACE INTO ${ENTRIES} (key, metadata, expiration, parts) VALUES (?, ?, ?, ?)`, key, metadata, expiration, parts);
    });
    return new Response(null);
  }

  #delete(key: string): void {
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec(`DELETE FROM ${PARTS} WHERE key = ?`, key);
      this.#sql.exec(`DELETE FROM ${ENTRIES} WHERE key = ?`, key);
    });
  }

  #list(url: URL, nowS: number): Response {
    const prefix = url.searchParams.get("prefix") ?? "";
    const limitText = url.searchParams.get("key_count_limit");
    const limit = limitText === null ? MAX_LIST_KEYS : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_KEYS) throw new KvError(400, `key_count_limit must be 1..${MAX_LIST_KEYS}`);
    const cursor = url.searchParams.get("cursor");
    const after = cursor === null || cursor === "" ? "" : decodeCursor(cursor);
    // Keys sort as SQLite compares TEXT (bytewise UTF-8), like KV's lexicographic order.
    const rows = this.#sql
      .exec(
        `SELECT key, metadata, expiration FROM ${ENTRIES} WHERE key > ? AND substr(key, 1, length(?)) = ? AND (expiration IS NULL OR expiration > ?) ORDER BY key LIMIT ?`,
        after,
        prefix,
        prefix,
        nowS,
        limit + 1,
      )
      .toArray();
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const keys = page.map((r) => ({
      name: String(r["key"]),
      ...(r["expiration"] === null ? {} : { expiration: Number(r["expiration"]) }),
      // The binding expects metadata as a JSON string and parses it itself.
      ...(r["metadata"] === null ? {} : { metadata: String(r["metadata"]) }),
    }));
    const body = more ? { keys, list_complete: false, cursor: encodeCursor(keys[keys.length - 1]!.name), cacheStatus: null } : { keys, list_complete: true, cacheStatus: null };
    return Response.json(body);
  }

  #bulkGet(body: Uint8Array, nowS: number): Response {
    let request: { keys?: unknown; type?: unknown; withMetadata?: unknown };
    try {
      request = JSON.parse(new TextDecoder().decode(body)) as typeof request;
    } catch {
      throw new KvError(400, "bulk get body is not JSON");
    }
    const keys = request.keys;
    if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_BULK_KEYS || !keys.every((k) => typeof k === "string")) {
      throw new KvError(400, `bulk get needs 1..${MAX_BULK_KEYS} string keys`);
    }
    const type = request.type ?? "text";
    if (type !== "text" && type !== "json") throw new KvError(400, `"${String(type)}" is not a valid type. Use "json" or "text"`);
    const out: Record<string, unknown> = {};
    for (const key of keys as string[]) {
      validateKey(key);
      const row = this.#entry(key, nowS);
      if (row === null) {
        out[key] = null;
        continue;
      }
      const text = new TextDecoder().decode(this.#value(key, Number(row["parts"])));
      let value: unknown = text;
      if (type === "json") {
        try {
          value = JSON.parse(text);
        } catch {
          throw new KvError(400, "At least one of the requested keys corresponds to a non-json value");
        }
      }
      out[key] = request.withMetadata === true ? { value, metadata: row["metadata"] === null ? null : JSON.parse(String(row["metadata"])) } : value;
    }
    return Response.json(out);
  }
}

function decodeKey(url: URL): string {
  const raw = url.pathname.slice(1);
  let key = raw;
  if (url.searchParams.get("urlencoded")?.toLowerCase() === "true") {
    try {
      key = decodeURIComponent(raw);
    } catch {
      throw new KvError(400, "Could not URL-decode key name");
    }
  }
  validateKey(key);
  return key;
}

function validateKey(key: string): void {
  if (key === "") throw new KvError(400, "Key names must not be empty");
  if (key === "." || key === "..") throw new KvError(400, `Illegal key name "${key}"`);
  const bytes = new TextEncoder().encode(key).byteLength;
  if (bytes > MAX_KEY_BYTES) throw new KvError(414, `key of ${bytes} bytes exceeds ${MAX_KEY_BYTES}`);
}

/** Absolute expiry in epoch seconds from `expiration` or `expiration_ttl`; null = never. */
function expirationOf(url: URL, nowS: number): number | null {
  const ttl = url.searchParams.get("expiration_ttl");
  const at = url.searchParams.get("expiration");
  if (ttl !== null) {
    const s = Number(ttl);
    if (!Number.isInteger(s) || s < MIN_EXPIRATION_TTL_S) throw new KvError(400, `expiration_ttl must be an integer >= ${MIN_EXPIRATION_TTL_S}`);
    return nowS + s;
  }
  if (at !== null) {
    const s = Number(at);
    if (!Number.isInteger(s) || s < nowS + MIN_EXPIRATION_TTL_S) throw new KvError(400, `expiration must be at least ${MIN_EXPIRATION_TTL_S} s in the future`);
    return s;
  }
  return null;
}

// The cursor is the last key of the page, opaque to callers.
function encodeCursor(key: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(key)));
}

function decodeCursor(cursor: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(cursor), (c) => c.charCodeAt(0)));
  } catch {
    throw new KvError(400, "invalid cursor");
  }
}
