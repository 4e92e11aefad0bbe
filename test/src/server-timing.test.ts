import { describe, expect, it } from "vitest";
import { appendServerTiming, serverTimingEntry } from "../../src/server-timing.js";

describe("Server-Timing", () => {
  it("wraps the pairs in the WMF-Uniq entry the SDK reads", () => {
    expect(serverTimingEntry("exp1=grpA;exp2=grpB;")).toBe('WMF-Uniq;desc="exp1=grpA;exp2=grpB;"');
  });

  it("appends to whatever the origin sent", () => {
    expect(appendServerTiming(null, "E")).toBe("E");
    expect(appendServerTiming("", "E")).toBe("E");
    expect(appendServerTiming("  ", "E")).toBe("E");
    expect(appendServerTiming("cache;desc=hit, db;dur=53", "E")).toBe("cache;desc=hit, db;dur=53, E");
  });
});
