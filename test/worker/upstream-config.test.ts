import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEnrollmentHeader } from "../../src/enrollment-header.js";
import { liveConfig } from "../fixtures/config.js";
import { writeConfigReply } from "../helpers/config-reply.js";
import { expectedFor } from "../helpers/expect-enrollment.js";
import { startWrappedWorker, type WrappedWorker } from "../helpers/fault-harness.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";
import { mintedCookie } from "../helpers/worker-harness.js";

/**
 * Speaking the real upstream, through the built worker in workerd: upstream's own test
 * document (test/fixtures/upstream/README.md), served byte for byte by a stub config API,
 * is accepted by the poller and enrolls as its ranges say (a smaller sample than the core's
 * statistics in test/src/upstream-config.test.ts, with seeded cookie IDs); and a group
 * named "0" never reaches the origin's header (contract §4).
 */

const UPSTREAM = readFileSync(new URL("../fixtures/upstream/uniques.json", import.meta.url));
const upstreamDoc = JSON.parse(UPSTREAM.toString("utf8")) as unknown;
const EN = "en.wikipedia.org";
const TEST = "test.wikipedia.org";
const VISITORS = 300;

let configApi: StubServer;
let origin: StubServer;
let body: Buffer | string = UPSTREAM;

beforeAll(async () => {
  origin = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<p>page</p>");
  });
  configApi = await startStub((req, res) => writeConfigReply(req, res, { body }, ""));
});

afterAll(async () => {
  await origin?.close();
  await configApi?.close();
});

const enrollmentsAtOrigin = () => origin.requests.at(-1)!.headers["x-experiment-enrollments"] as string | undefined;
const groupsOf = (header: string | undefined) => new Map((header === undefined ? [] : decodeEnrollmentHeader(header)!).map((p) => [p.experiment, p.group]));

describe("upstream's uniques.json through the built worker", () => {
  let w: WrappedWorker;

  beforeAll(async () => {
    body = UPSTREAM;
    w = await startWrappedWorker({ CONFIG_URL: `${configApi.url}/api/v1/experiments?format=config&authority=varnish`, ORIGIN_URL: origin.url });
    await w.setFaults({ randomSeed: 0x75_6e_69_71 }); // seeded cookie IDs: the same sample every run
  });
  afterAll(async () => {
    await w?.dispose();
  });

  it("is accepted by the poller as it is, three root _comment keys and all, and stored byte for byte", async () => {
    await w.poll();
    const s = await w.status();
    expect(s.poll).toMatchObject({ outcome: "updated", httpStatus: 200, consecutiveFailures: 0 });
    expect(s.config).toMatchObject({ experiments: 5, hosts: 2 });
    expect(s.enrollment.active).toBe(true);
    const stored = await (await w.kv()).getWithMetadata("config/v1/document");
    expect(Buffer.from(stored.value!, "utf8").equals(UPSTREAM)).toBe(true);
    expect((await w.log.take("config.poll"))[0]!.json).toMatchObject({ level: "info", outcome: "updated" });
  });

  it(`${VISITORS} first visits: the worker's headers are the core's, and the ranges hold`, async () => {
    let barEnrolled = 0;
    const fooGroups = new Set<string>();
    let udomAgree = 0;
    const mismatches: string[] = [];
    for (let i = 0; i < VISITORS; i++) {
      const first = await w.fetch(`https://${EN}/wiki/Visit_${i}`);
      await first.arrayBuffer();
      const cookie = mintedCookie(first)!;
      const header = enrollmentsAtOrigin();
      const want = expectedFor(upstreamDoc, cookie, EN);
      if (header !== want.page) mismatches.push(`page ${i}: ${header} != ${want.page}`);
      if (first.headers.get("server-timing") !== `WMF-Uniq;desc="${want.timing}"`) mismatches.push(`timing ${i}`);
      const en = groupsOf(header);
      // 10 × 10 %: everyone, in one of its groups.
      if (!en.has("2025-abtests2-foo-10x10")) mismatches.push(`foo missing ${i}`);
      fooGroups.add(en.get("2025-abtests2-foo-10x10")!);
      if (en.has("2025-abtests2-bar-5x10")) barEnrolled++;
      // The shared selector: sel2 is sel1 except where sel1 is in grp3, which sel2 lacks.
      const one = en.get("2025-abtests2-sel1-4x25");
      const two = en.get("2025-abtests2-sel2-4x25");
      if (one === undefined || (two === undefined ? one !== "grp3" : two !== one)) mismatches.push(`shared selector ${i}: ${one} / ${two}`);
      // The same visitor on the other host of the unique_domain experiment.
      const other = await w.fetch(`https://${TEST}/wiki/Visit_${i}`, { headers: { cookie: `WMF-Uniq=${cookie}` } });
      await other.arrayBuffer();
      const onTest = groupsOf(enrollmentsAtOrigin());
      // No enrollment on the host: no header at all (the core says "").
      if ((enrollmentsAtOrigin() ?? "") !== expectedFor(upstreamDoc, cookie, TEST).page) mismatches.push(`test page ${i}`);
      if ([...onTest.keys()].some((k) => k !== "2025-abtests2-udom")) mismatches.push(`test host has other experiments ${i}`);
      if ((en.get("2025-abtests2-udom") ?? "none") === (onTest.get("2025-abtests2-udom") ?? "none")) udomAgree++;
    }
    expect(mismatches).toEqual([]);
    expect(fooGroups.size).toBe(10);
    // 50 %: 300 visits, so 150 ± 3 standard deviations (about ±26).
    expect(barEnrolled).toBeGreaterThan(124);
    expect(barEnrolled).toBeLessThan(176);
    // Independent per host: agree about a quarter of the time (75 ± 22), never always.
    expect(udomAgree).toBeGreaterThan(53);
    expect(udomAgree).toBeLessThan(97);
  }, 120_000);
});

describe('a group named "0" through the built worker (contract §4)', () => {
  it("is left out of the origin's header, kept in Server-Timing and the event intake, and counted on the status page", async () => {
    const window = { start: liveConfig()["fifty-fifty-test"]!.start, end: liveConfig()["fifty-fifty-test"]!.end };
    const doc = {
      "zero-group-test": { ...window, domains: { [EN]: { groups: { "0": [0, 99_999] } } } },
      "ordinary-split-test": { ...window, domains: { [EN]: { groups: { a: [0, 99_999] } } } },
    };
    body = JSON.stringify(doc);
    const w = await startWrappedWorker({ CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: origin.url });
    try {
      await w.poll();
      for (let i = 0; i < 3; i++) {
        const res = await w.fetch(`https://${EN}/wiki/Zero_${i}`);
        await res.arrayBuffer();
        expect(enrollmentsAtOrigin()).toBe("ordinary-split-test=a;");
        expect(res.headers.get("server-timing")).toBe('WMF-Uniq;desc="zero-group-test=0;ordinary-split-test=a;"');
        if (i === 2) {
          await w.fetch(`https://${EN}/evt-103e/v2/events`, { method: "POST", body: "{}", headers: { cookie: `WMF-Uniq=${mintedCookie(res)}` } });
          expect(enrollmentsAtOrigin()).toMatch(/^zero-group-test=0\/[A-Za-z0-9_-]{22};ordinary-split-test=a\/[A-Za-z0-9_-]{22};$/);
        }
      }
      expect((await w.status()).counters.withheldGroupZero).toBe(3);
    } finally {
      body = UPSTREAM;
      await w.dispose();
    }
  });
});
