/**
 * A memo that starts over when it is full, for values derived from what clients send (a
 * User-Agent): a made-up key costs one computation, and no stream of them can grow the memo
 * past its bound. Starting over is cheaper than tracking use, and the few keys that matter
 * (visitors share few User-Agents) are back after one computation each.
 */
export class BoundedMemo<T extends NonNullable<unknown>> {
  private readonly values = new Map<string, T>();

  constructor(
    private readonly limit: number,
    private readonly compute: (key: string) => T,
  ) {}

  /** The remembered value for `key`, computed on first use and after each start-over. */
  get(key: string): T {
    let value = this.values.get(key);
    if (value === undefined) {
      if (this.values.size >= this.limit) this.values.clear();
      value = this.compute(key);
      this.values.set(key, value);
    }
    return value;
  }

  /** How many keys it holds now: never more than the limit. */
  get size(): number {
    return this.values.size;
  }
}
