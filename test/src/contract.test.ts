import { describe, expect, it } from "vitest";
import * as contract from "../../src/contract.js";

/**
 * The contract's constants, pinned as written in the contract (docs/contract.md): a change
 * here changes the wire format or the upstream defaults, and must be deliberate.
 */
describe("contract constants", () => {
  it("names and bounds the wire format uses", () => {
    expect({
      BUCKETS: contract.BUCKETS,
      UNIQ_COOKIE: contract.UNIQ_COOKIE,
      COOKIE_LIFETIME_DAYS: contract.COOKIE_LIFETIME_DAYS,
      ENROLLMENTS_HEADER: contract.ENROLLMENTS_HEADER,
      SERVER_TIMING_NAME: contract.SERVER_TIMING_NAME,
      DEFAULT_CONFIG_URL: contract.DEFAULT_CONFIG_URL,
      DEFAULT_EVENTS_PATH: contract.DEFAULT_EVENTS_PATH,
      MAX_CONFIG_BYTES: contract.MAX_CONFIG_BYTES,
      MAX_POLL_TIMEOUT_MS: contract.MAX_POLL_TIMEOUT_MS,
    }).toEqual({
      BUCKETS: 100_000,
      UNIQ_COOKIE: "WMF-Uniq",
      COOKIE_LIFETIME_DAYS: 365,
      ENROLLMENTS_HEADER: "X-Experiment-Enrollments",
      SERVER_TIMING_NAME: "WMF-Uniq",
      DEFAULT_CONFIG_URL: "https://test-kitchen.wikimedia.org/api/v1/experiments?format=config&authority=varnish",
      DEFAULT_EVENTS_PATH: "/evt-103e/v2/events",
      MAX_CONFIG_BYTES: 5_242_880,
      MAX_POLL_TIMEOUT_MS: 10_000,
    });
  });

  it("the comment key, previews, the withheld group and the bounds of §1, §8 and §10", () => {
    expect({
      COMMENT_KEY: contract.COMMENT_KEY,
      PREVIEW_PARAM: contract.PREVIEW_PARAM,
      PREVIEW_COOKIE: contract.PREVIEW_COOKIE,
      WITHHELD_GROUP: contract.WITHHELD_GROUP,
      RULE_LIMITS: contract.RULE_LIMITS,
      TARGETING_LIMITS: contract.TARGETING_LIMITS,
      MAX_LIVE_EXPERIMENTS: contract.MAX_LIVE_EXPERIMENTS,
      MAX_PREVIEW_TTL_MS: contract.MAX_PREVIEW_TTL_MS,
      MAX_PREVIEW_PAIRS: contract.MAX_PREVIEW_PAIRS,
      MAX_PREVIEW_TOKEN_LENGTH: contract.MAX_PREVIEW_TOKEN_LENGTH,
      CONSTANT_NAME: [contract.CONSTANT_NAME.source, contract.CONSTANT_NAME.flags],
    }).toEqual({
      COMMENT_KEY: "_comment",
      PREVIEW_PARAM: "wmf-preview",
      PREVIEW_COOKIE: "WMF-Preview",
      WITHHELD_GROUP: "0",
      RULE_LIMITS: { length: 2_000, depth: 16, listItems: 256 },
      TARGETING_LIMITS: { constants: 64, constantListItems: 1_000, allocations: 16 },
      MAX_LIVE_EXPERIMENTS: 128,
      MAX_PREVIEW_TTL_MS: 604_800_000, // 7 days
      MAX_PREVIEW_PAIRS: 32,
      MAX_PREVIEW_TOKEN_LENGTH: 2_048,
      CONSTANT_NAME: ["^[A-Za-z_][A-Za-z0-9_]{0,63}$", ""],
    });
  });

  it("name patterns, as the contract writes them", () => {
    expect([contract.EXPERIMENT_NAME.source, contract.GROUP_NAME.source, contract.HOST_NAME.source]).toEqual([
      "^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$",
      "^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$",
      "^[a-z0-9][-_.a-z0-9]{0,254}$",
    ]);
    expect([contract.EXPERIMENT_NAME.flags, contract.GROUP_NAME.flags, contract.HOST_NAME.flags]).toEqual(["", "", ""]);
  });
});
