/**
 * A computation written as a generator that yields wherever a caller may pause: run at
 * once (runSteps), or with a pause awaited at each yield (runStepsPausing), so a large
 * config is parsed in slices while an isolate keeps answering requests in between.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step without pausing; the computation's result. */
export function runSteps<T>(steps: Steps<T>): T {
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/** Runs the steps, awaiting `pause` at each yield; the computation's result. */
export async function runStepsPausing<T>(steps: Steps<T>, pause: () => Promise<void>): Promise<T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await pause();
  }
}
