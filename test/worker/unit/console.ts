import { vi } from "vitest";

/** One structured line a worker module logged (worker/log.ts). */
export interface Logged {
  readonly level: "info" | "warn" | "error";
  readonly event: string;
  /** The rest of the line, without the `service` field every line has. */
  readonly fields: Record<string, unknown>;
}

/**
 * Captures what worker modules log, kept off the test output (a passing run prints no
 * error lines): call before the code under test, read the array after. Undone by
 * vi.restoreAllMocks().
 */
export function captureLogs(): Logged[] {
  const lines: Logged[] = [];
  for (const method of ["log", "warn", "error"] as const) {
    vi.spyOn(console, method).mockImplementation((line: unknown) => {
      const { level, event, service: _service, ...fields } = JSON.parse(String(line)) as Logged & { service: string };
      lines.push({ level, event, fields });
    });
  }
  return lines;
}
