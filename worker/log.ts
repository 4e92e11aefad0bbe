/**
 * Structured logs: one JSON object per line (Workers Logs and `wrangler tail` index the
 * fields). Errors that repeat per request are logged once per key per minute per isolate,
 * so a bad cookie storm or a broken key ring cannot flood the log pipeline; counters
 * still see every occurrence.
 */

type Level = "info" | "warn" | "error";

const lastLogged = new Map<string, number>();
const REPEAT_MS = 60_000;

/** Writes one structured line. Never pass secrets or visitor identifiers in `fields`. */
export function log(level: Level, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, ...fields, service: "edge-enrollment" });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** Logs at most once per `key` per minute in this isolate. */
export function logOnce(key: string, now: number, level: Level, event: string, fields: Record<string, unknown> = {}): void {
  const last = lastLogged.get(key);
  if (last !== undefined && now - last < REPEAT_MS) return;
  if (lastLogged.size > 1000) lastLogged.clear();
  lastLogged.set(key, now);
  log(level, event, fields);
}
