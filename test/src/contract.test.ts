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

  it("name patterns, as the contract writes them", () => {
    expect([contract.EXPERIMENT_NAME.source, contract.GROUP_NAME.source, contract.HOST_NAME.source]).toEqual([
      "^[A-Za-z0-9][-_.A-Za-z0-9]{7,62}$",
      "^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$",
      "^[a-z0-9][-_.a-z0-9]{0,254}$",
    ]);
    expect([contract.EXPERIMENT_NAME.flags, contract.GROUP_NAME.flags, contract.HOST_NAME.flags]).toEqual(["", "", ""]);
  });
});
