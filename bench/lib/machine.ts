import { readFileSync } from "node:fs";

/**
 * How busy the machine is: the bench shares two cores with other work, so every run
 * records the 1-minute load average and the whole machine's CPU use over the run.
 */

/** 1, 5 and 15-minute load averages. */
export function loadavg(): [number, number, number] {
  const f = readFileSync("/proc/loadavg", "utf8").split(" ");
  return [Number(f[0]), Number(f[1]), Number(f[2])];
}

/** Busy and total jiffies of all CPUs since boot (from /proc/stat). */
export function cpuJiffies(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** Fraction of all CPUs that were busy between two samples, in cores (0..nproc). */
export function busyCores(a: { busy: number; total: number }, b: { busy: number; total: number }, cores: number): number {
  const dt = b.total - a.total;
  return dt <= 0 ? 0 : ((b.busy - a.busy) / dt) * cores;
}
