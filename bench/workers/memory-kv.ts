/**
 * An in-memory stand-in for a Workers KV namespace: the subset of the binding's API the
 * worker and the GrowthBook edge app use (get/getWithMetadata with a type or options,
 * put with metadata, delete, list). Bench-only; it makes reads as cheap as a KV cache hit
 * for every variant alike.
 */

type ValueType = "text" | "json" | "arrayBuffer" | "stream";
type GetOptions = ValueType | { type?: ValueType; cacheTtl?: number } | undefined;

interface Entry {
  value: string;
  metadata: unknown;
}

const encoder = new TextEncoder();

/** A KV namespace over a Map. */
export class MemoryKV {
  readonly #data = new Map<string, Entry>();

  /** Creates it pre-filled (key -> value, or [value, metadata]). */
  constructor(initial: Record<string, string | [string, unknown]> = {}) {
    for (const [k, v] of Object.entries(initial)) {
      this.#data.set(k, typeof v === "string" ? { value: v, metadata: null } : { value: v[0], metadata: v[1] });
    }
  }

  async get(key: string, options?: GetOptions): Promise<unknown> {
    const e = this.#data.get(key);
    return e === undefined ? null : convert(e.value, typeOf(options));
  }

  async getWithMetadata(key: string, options?: GetOptions): Promise<{ value: unknown; metadata: unknown; cacheStatus: null }> {
    const e = this.#data.get(key);
    if (e === undefined) return { value: null, metadata: null, cacheStatus: null };
    return { value: convert(e.value, typeOf(options)), metadata: e.metadata, cacheStatus: null };
  }

  async put(key: string, value: string | ArrayBuffer | Uint8Array, options?: { metadata?: unknown }): Promise<void> {
    const text = typeof value === "string" ? value : new TextDecoder().decode(value);
    this.#data.set(key, { value: text, metadata: options?.metadata ?? null });
  }

  async delete(key: string): Promise<void> {
    this.#data.delete(key);
  }

  async list(options?: { prefix?: string }): Promise<{ keys: { name: string; metadata?: unknown }[]; list_complete: true; cacheStatus: null }> {
    const prefix = options?.prefix ?? "";
    const keys = [...this.#data.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, e]) => (e.metadata === null ? { name } : { name, metadata: e.metadata }));
    return { keys, list_complete: true, cacheStatus: null };
  }
}

function typeOf(options: GetOptions): ValueType {
  if (options === undefined) return "text";
  if (typeof options === "string") return options;
  return options.type ?? "text";
}

function convert(value: string, type: ValueType): unknown {
  switch (type) {
    case "text":
      return value;
    case "json":
      return JSON.parse(value) as unknown;
    case "arrayBuffer":
      return encoder.encode(value).buffer;
    case "stream":
      return new Response(value).body;
  }
}
