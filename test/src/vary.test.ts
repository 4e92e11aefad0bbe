import { describe, expect, it } from "vitest";
import { rewriteVary } from "../../src/vary.js";

describe("rewriteVary (contract §5)", () => {
  it.each([
    ["first of two", "X-Experiment-Enrollments, Accept-Encoding", "Accept-Encoding", true],
    ["alone", "X-Experiment-Enrollments", null, true],
    ["in the middle", "Accept-Encoding,X-Experiment-Enrollments ,Cookie", "Accept-Encoding, Cookie", true],
    ["last", "Accept-Encoding, x-experiment-enrollments", "Accept-Encoding", true],
    ["any casing", "X-EXPERIMENT-ENROLLMENTS", null, true],
    ["twice", "X-Experiment-Enrollments, Cookie, X-Experiment-Enrollments", "Cookie", true],
    ["absent", "Accept-Encoding, Cookie", "Accept-Encoding, Cookie", false],
    ["a look-alike token", "X-Experiment-Enrollments-V2", "X-Experiment-Enrollments-V2", false],
  ])("%s", (_, input, value, varies) => {
    expect(rewriteVary(input)).toEqual({ value, variesOnEnrollments: varies });
  });

  it("no header stays no header", () => {
    expect(rewriteVary(null)).toEqual({ value: null, variesOnEnrollments: false });
  });
});
