/**
 * Site-wide counters in Workers Analytics Engine (the per-isolate ones on the status page
 * reset with each isolate). One data point per request and per poll when the `METRICS`
 * dataset is bound; a no-op otherwise, and never allowed to fail a request.
 *
 * Request points: index = host; blobs = [kind, outcome, minted reason or "", cache result
 * or ""]; doubles = [1, enrolled experiments]. Poll points: index = "poll"; blobs =
 * [outcome, reason or ""]; doubles = [1, duration ms, consecutive failures]. Example
 * query: SELECT blob2 AS outcome, SUM(_sample_interval) FROM edge_enrollment_production
 * WHERE blob1 = 'page' GROUP BY outcome.
 */

/** The one method of an Analytics Engine dataset we use (structural, so tests run in Node). */
export interface MetricsDataset {
  writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void;
}

export interface RequestPoint {
  readonly host: string;
  readonly kind: "page" | "events";
  readonly outcome: string;
  readonly minted: string;
  readonly cache: string;
  readonly enrolled: number;
}

/** Records one request outcome. */
export function recordRequest(ds: MetricsDataset | undefined, p: RequestPoint): void {
  if (ds === undefined) return;
  try {
    ds.writeDataPoint({ indexes: [p.host.slice(0, 96)], blobs: [p.kind, p.outcome, p.minted, p.cache], doubles: [1, p.enrolled] });
  } catch {
    // Metrics are best effort: a full buffer or an unbound dataset never costs a request.
  }
}

/** Records one poll outcome. */
export function recordPoll(ds: MetricsDataset | undefined, outcome: string, reason: string | null, durationMs: number, failures: number): void {
  if (ds === undefined) return;
  try {
    ds.writeDataPoint({ indexes: ["poll"], blobs: [outcome, (reason ?? "").slice(0, 200)], doubles: [1, durationMs, failures] });
  } catch {
    // best effort, as above
  }
}
