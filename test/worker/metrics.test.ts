import { describe, expect, it } from "vitest";
import { recordPoll, recordRequest, type MetricsDataset } from "../../worker/metrics.js";

type Point = { indexes?: string[]; blobs?: string[]; doubles?: number[] };

function fakeDataset(): { ds: MetricsDataset; points: Point[] } {
  const points: Point[] = [];
  return { points, ds: { writeDataPoint: (p?: Point) => void points.push(p ?? {}) } as unknown as MetricsDataset };
}

describe("Analytics Engine metrics", () => {
  it("writes one request point with the documented layout", () => {
    const { ds, points } = fakeDataset();
    recordRequest(ds, { host: "en.wikipedia.org", kind: "page", outcome: "enrolled", minted: "absent", cache: "hit", enrolled: 3 });
    expect(points).toEqual([{ indexes: ["en.wikipedia.org"], blobs: ["page", "enrolled", "absent", "hit"], doubles: [1, 3] }]);
  });

  it("writes one poll point", () => {
    const { ds, points } = fakeDataset();
    recordPoll(ds, "rejected", "HTTP 500", 12, 3);
    expect(points).toEqual([{ indexes: ["poll"], blobs: ["rejected", "HTTP 500"], doubles: [1, 12, 3] }]);
  });

  it("is a no-op without a binding and never throws from a failing one", () => {
    const point = { host: "h", kind: "page", outcome: "x", minted: "", cache: "", enrolled: 0 } as const;
    expect(recordRequest(undefined, point)).toBeUndefined();
    expect(recordPoll(undefined, "updated", null, 1, 0)).toBeUndefined();
    let attempts = 0;
    const broken = {
      writeDataPoint: () => {
        attempts++;
        throw new Error("buffer full");
      },
    } as unknown as MetricsDataset;
    expect(recordRequest(broken, point)).toBeUndefined();
    expect(recordPoll(broken, "updated", null, 1, 0)).toBeUndefined();
    // Both tried to write (and swallowed the failure).
    expect(attempts).toBe(2);
  });
});
