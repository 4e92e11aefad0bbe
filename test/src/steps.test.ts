import { describe, expect, it } from "vitest";
import { runSteps, runStepsPausing, type Steps } from "../../src/steps.js";

function* three(log: string[]): Steps<string> {
  log.push("a");
  yield;
  log.push("b");
  yield;
  log.push("c");
  yield;
  return "done";
}

describe("steps", () => {
  it("runSteps runs every step at once and returns the result", () => {
    const log: string[] = [];
    expect(runSteps(three(log))).toBe("done");
    expect(log).toEqual(["a", "b", "c"]);
  });

  it("runStepsPausing awaits the pause at each yield, between the steps, and returns the result", async () => {
    const log: string[] = [];
    const pause = () => new Promise<void>((resolve) => setTimeout(() => resolve(void log.push("pause")), 0));
    const result = await runStepsPausing(three(log), pause);
    expect(result).toBe("done");
    expect(log).toEqual(["a", "pause", "b", "pause", "c", "pause"]);
  });
});
