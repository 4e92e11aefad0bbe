import { DurableObject } from "cloudflare:workers";
import { log } from "../../worker/log.js";
import type { NodeEnv } from "./node-env.js";
import { nextPollAt, randomSplayMs } from "./schedule.js";
import worker from "./worker.js";

/**
 * The poll schedule of a self-hosted node (plain workerd has no cron): one Durable Object
 * whose alarm fires every minute at the node's own offset and runs the bundle's
 * `scheduled()` handler, the same config poll as the Cloudflare cron (worker/poller.ts).
 * The alarm lives in the object's storage on disk, so it outlives restarts; the offset is
 * drawn once and stored beside it, so it is fixed per node even when every node runs the
 * same generated files. One poll at a time: a trigger during a poll joins it.
 */

/** Storage key of the node's splay (layout version 1). */
const SPLAY_KEY = "scheduler/v1/splay-ms";
/** A start right after a poll (an overdue alarm fires at start too) does not poll again. */
const START_GAP_MS = 10_000;

export class Scheduler extends DurableObject<NodeEnv> {
  #running: Promise<void> | null = null;
  #lastPollAt = Number.NEGATIVE_INFINITY;

  /** After a start (the node's first request): poll now, then keep the schedule. */
  async start(): Promise<void> {
    const { splayMs, next } = await this.#arm();
    log("info", "scheduler.started", { splayMs, nextPollAt: new Date(next).toISOString() });
    if (this.#running === null && Date.now() - this.#lastPollAt < START_GAP_MS) return;
    await this.#poll();
  }

  /** The admin listener's poll trigger. */
  async pollNow(): Promise<void> {
    await this.#poll();
  }

  override async alarm(): Promise<void> {
    await this.#arm();
    await this.#poll();
  }

  // Re-armed before polling, so a slow poll never delays the next one.
  async #arm(): Promise<{ splayMs: number; next: number }> {
    let splayMs = await this.ctx.storage.get<number>(SPLAY_KEY);
    if (typeof splayMs !== "number") {
      splayMs = randomSplayMs();
      await this.ctx.storage.put(SPLAY_KEY, splayMs);
    }
    const next = nextPollAt(Date.now(), splayMs);
    await this.ctx.storage.setAlarm(next);
    return { splayMs, next };
  }

  #poll(): Promise<void> {
    this.#lastPollAt = Date.now();
    this.#running ??= runScheduled(this.env).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }
}

/** Calls the bundle's scheduled handler as the platform would and waits for its work. */
async function runScheduled(env: NodeEnv): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  const controller = { scheduledTime: Date.now(), cron: "* * * * *", noRetry() {} } as ScheduledController;
  try {
    await worker.scheduled(controller, env, ctx);
    await Promise.all(pending);
  } catch (e) {
    // The poller never rejects by design; if it ever does, the schedule still goes on.
    log("error", "scheduler.poll_failed", { error: (e as Error).message });
  }
}
