import { DEFAULT_SOAK, formatSummary, runSoak } from "./soak-lib.js";

/**
 * The soak, from the command line (after `npm run build`):
 *
 *   npm run soak                          # 5 minutes
 *   npm run soak -- --seconds 60          # shorter
 *   npm run soak -- --seconds 600 --concurrency 16 --visitors 1000 --change-ms 3000
 *
 * Loopback only, bounded in time: the built worker in workerd (Miniflare on 127.0.0.1),
 * a config stub and an origin stub on 127.0.0.1. Prints a summary; exits 1 on any
 * violation (see test/soak/soak-lib.ts for what is checked).
 */

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`--${name} needs a positive number`);
    process.exit(2);
  }
  return v;
}

const seconds = arg("seconds") ?? DEFAULT_SOAK.seconds;
if (seconds > 3600) {
  console.error("--seconds is capped at 3600 (a soak is bounded)");
  process.exit(2);
}
const options = {
  seconds,
  concurrency: Math.min(64, arg("concurrency") ?? DEFAULT_SOAK.concurrency),
  visitors: arg("visitors") ?? DEFAULT_SOAK.visitors,
  changeEveryMs: arg("change-ms") ?? DEFAULT_SOAK.changeEveryMs,
};
console.log(`soak: ${JSON.stringify(options)} against dist/worker.js`);
const summary = await runSoak(options);
console.log(formatSummary(summary));
process.exit(summary.violations.length === 0 ? 0 : 1);
