import { describe, expect, it } from "vitest";
import { nextPollAt, POLL_INTERVAL_MS, randomSplayMs } from "../../selfhost/workerd/schedule.js";

const MINUTE = POLL_INTERVAL_MS;
const T0 = Date.parse("2026-01-01T00:00:00Z");

describe("randomSplayMs", () => {
  it("is an offset within the minute", () => {
    expect(randomSplayMs(() => 0)).toBe(0);
    expect(randomSplayMs(() => 0.5)).toBe(30_000);
    expect(randomSplayMs(() => 0.9999999999)).toBe(MINUTE - 1);
    for (let i = 0; i < 1000; i++) {
      const s = randomSplayMs();
      expect(Number.isInteger(s) && s >= 0 && s < MINUTE).toBe(true);
    }
  });
});

describe("nextPollAt", () => {
  it("is this minute's slot when it is still ahead, else the next minute's", () => {
    expect(nextPollAt(T0 + 10_000, 40_000)).toBe(T0 + 40_000);
    expect(nextPollAt(T0 + 50_000, 40_000)).toBe(T0 + MINUTE + 40_000);
  });

  it("never schedules a poll within a second of now", () => {
    expect(nextPollAt(T0 + 39_500, 40_000)).toBe(T0 + MINUTE + 40_000);
    expect(nextPollAt(T0 + 40_000, 40_000)).toBe(T0 + MINUTE + 40_000);
    expect(nextPollAt(T0 + 38_999, 40_000)).toBe(T0 + 40_000);
  });

  it("re-armed from each firing (even a late one), keeps one poll a minute at the node's offset", () => {
    const splay = 12_345;
    let at = nextPollAt(T0, splay);
    const fired: number[] = [];
    for (let i = 0; i < 10; i++) {
      fired.push(at);
      at = nextPollAt(at + (i % 3) * 250, splay);
    }
    for (let i = 1; i < fired.length; i++) expect(fired[i]! - fired[i - 1]!).toBe(MINUTE);
    for (const t of fired) expect(t % MINUTE).toBe(splay);
  });
});
