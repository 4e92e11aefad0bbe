import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decodeEnrollmentHeader } from "../../src/enrollment-header.js";
import { parseKeyRing } from "../../src/keyring.js";
import { mintToken } from "../../src/token.js";
import { DEV_KEYS, liveConfig } from "../fixtures/config.js";
import { expectedFor, expectMinted } from "../helpers/expect-enrollment.js";
import { startStub, type StubServer } from "../helpers/stub-server.js";
import { mintedCookie, startWorker, type Harness } from "../helpers/worker-harness.js";

const EVENTS = "/evt-103e/v2/events";
let origin: StubServer;
let configApi: StubServer;
let h: Harness;
const doc = liveConfig();

beforeAll(async () => {
  origin = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<p>page</p>");
  });
  configApi = await startStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(doc));
  });
  h = await startWorker({ CONFIG_URL: `${configApi.url}/api/v1/experiments?format=config&authority=varnish`, ORIGIN_URL: origin.url });
  await h.poll();
});

afterAll(async () => {
  await h.dispose();
  await origin.close();
  await configApi.close();
});

beforeEach(() => {
  origin.requests.length = 0;
  origin.handler = (_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<p>page</p>");
  };
});

const last = () => origin.requests.at(-1)!;

async function firstVisit(host = "en.wikipedia.org"): Promise<{ cookie: string; res: Response }> {
  const res = await h.fetch(`https://${host}/wiki/Main_Page`);
  const cookie = mintedCookie(res);
  if (cookie === null) throw new Error("no cookie minted");
  await res.arrayBuffer();
  return { cookie, res };
}

describe("page requests: the full contract flow", () => {
  it("a first visit mints the cookie and enrolls with it, exactly as the core computes", async () => {
    const { cookie, res } = await firstVisit();
    const expected = expectedFor(doc, cookie, "en.wikipedia.org");
    expect(last().headers["x-experiment-enrollments"]).toBe(expected.page);
    expect(res.headers.get("server-timing")).toBe(`WMF-Uniq;desc="${expected.timing}"`);
    const sent = decodeEnrollmentHeader(expected.page)!.map((p) => p.experiment);
    // Every live cache-split experiment with full coverage is present, in config order.
    const configOrder = Object.keys(doc).filter((k) => k !== "_comment");
    expect(sent).toEqual(configOrder.filter((n) => sent.includes(n)));
    expect(sent).toEqual(expect.arrayContaining(["fifty-fifty-test", "shared-a-experiment", "shared-b-experiment", "per-domain-test"]));
    expect(sent).not.toContain("client-side-only");
    expect(sent).not.toContain("not-started-yet");
    expect(sent).not.toContain("already-ended-test");
    expect(expected.timing).toContain("client-side-only=");
  });

  it("the cookie has the contract's exact attributes, scoped to the registrable domain", async () => {
    const res = await h.fetch("https://EN.Wikipedia.org./wiki/X");
    const line = res.headers.getSetCookie().find((l) => l.startsWith("WMF-Uniq="))!;
    expect(line).toMatch(/^WMF-Uniq=[A-Za-z0-9_-]{48}; Domain=wikipedia\.org; Path=\/; HttpOnly; Secure; SameSite=None; Expires=\w{3}, \d{2} \w{3} \d{4} 00:00:00 GMT$/);
    const expires = Date.parse(line.split("Expires=")[1]!);
    const day = Math.floor(Date.now() / 86_400_000);
    expect((expires / 86_400_000) - day).toBeGreaterThanOrEqual(364);
    expect((expires / 86_400_000) - day).toBeLessThanOrEqual(365);
  });

  it("returning visitors keep their groups and get no new cookie (sticky)", async () => {
    const { cookie } = await firstVisit();
    const first = last().headers["x-experiment-enrollments"];
    for (let i = 0; i < 3; i++) {
      const res = await h.fetch("https://en.wikipedia.org/wiki/Other", { headers: { cookie: `WMF-Uniq=${cookie}` } });
      expect(mintedCookie(res)).toBeNull();
      expect(last().headers["x-experiment-enrollments"]).toBe(first);
    }
  });

  it("the cookie name is read case-insensitively", async () => {
    const { cookie } = await firstVisit();
    const res = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `wmf-uniq=${cookie}` } });
    expect(mintedCookie(res)).toBeNull();
    expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, "en.wikipedia.org").page);
  });

  it("unique_domain and per-host configs: another host gets its own enrollments", async () => {
    const { cookie } = await firstVisit();
    await h.fetch("https://de.wikipedia.org/wiki/Hauptseite", { headers: { cookie: `WMF-Uniq=${cookie}` } });
    const expected = expectedFor(doc, cookie, "de.wikipedia.org");
    expect(last().headers["x-experiment-enrollments"]).toBe(expected.page);
    expect(decodeEnrollmentHeader(expected.page)!.map((p) => p.experiment)).toEqual(["fifty-fifty-test", "per-domain-test"]);
  });

  it("a host without experiments is passed through with no header and no Server-Timing (cookie still minted)", async () => {
    const res = await h.fetch("https://fr.wikipedia.org/wiki/Accueil");
    expect(last().headers["x-experiment-enrollments"]).toBeUndefined();
    expect(res.headers.get("server-timing")).toBeNull();
    expectMinted(mintedCookie(res));
  });

  it("the cookie never reaches the origin; other cookies do, in order", async () => {
    const { cookie } = await firstVisit();
    await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `a=1; WMF-Uniq=${cookie}; b=2; wmf-uniq=junk` } });
    expect(last().headers.cookie).toBe("a=1; b=2");
    await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${cookie}` } });
    expect(last().headers.cookie).toBeUndefined();
    expect(JSON.stringify(origin.requests)).not.toContain(cookie);
  });

  it("a spoofed X-Experiment-Enrollments never reaches the origin, in any casing", async () => {
    const { cookie } = await firstVisit();
    for (const name of ["X-Experiment-Enrollments", "x-experiment-enrollments", "X-EXPERIMENT-ENROLLMENTS"]) {
      await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${cookie}`, [name]: "fifty-fifty-test=treatment;evil-experiment=win;" } });
      expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, "en.wikipedia.org").page);
    }
    // On a host without experiments the spoofed header is simply gone.
    await h.fetch("https://fr.wikipedia.org/wiki/X", { headers: { "x-experiment-enrollments": "a=b;" } });
    expect(last().headers["x-experiment-enrollments"]).toBeUndefined();
  });

  it("several WMF-Uniq cookies: the first one that verifies wins; none verifies: mint", async () => {
    const a = (await firstVisit()).cookie;
    const b = (await firstVisit()).cookie;
    let res = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=garbage; WMF-Uniq=${b}; WMF-Uniq=${a}` } });
    expect(mintedCookie(res)).toBeNull();
    expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, b, "en.wikipedia.org").page);
    res = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq="${a}"; WMF-Uniq=${a}=` } });
    expectMinted(mintedCookie(res));
  });

  it("a tampered or foreign cookie is re-minted", async () => {
    const { cookie } = await firstVisit();
    const tampered = cookie.slice(0, 10) + (cookie[10] === "A" ? "B" : "A") + cookie.slice(11);
    const res = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${tampered}` } });
    const fresh = expectMinted(mintedCookie(res));
    expect(fresh).not.toBe(cookie);
    const other = parseKeyRing("0:ZGV2ZWxvcG1lbnQta2V5LTItcm90YXRpb24tZGVtbyE");
    if (!other.ok) throw new Error();
    const foreign = mintToken(other.ring, Date.now(), (b) => crypto.getRandomValues(b)).value;
    const res2 = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${foreign}` } });
    expectMinted(mintedCookie(res2));
  });

  it("HEAD is handled like GET; other methods are proxied with their body streamed", async () => {
    const { cookie } = await firstVisit();
    const head = await h.fetch("https://en.wikipedia.org/wiki/X", { method: "HEAD", headers: { cookie: `WMF-Uniq=${cookie}` } });
    expect(head.status).toBe(200);
    expect(last().method).toBe("HEAD");
    expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, "en.wikipedia.org").page);
    const body = "x".repeat(300_000);
    await h.fetch("https://en.wikipedia.org/w/api.php?action=edit", { method: "POST", body, headers: { cookie: `WMF-Uniq=${cookie}`, "content-type": "text/plain" } });
    expect(last().method).toBe("POST");
    expect(last().url).toBe("/w/api.php?action=edit");
    expect(last().body.toString()).toBe(body);
  });

  it("the origin's statuses, headers and redirects pass through unchanged (redirects not followed)", async () => {
    origin.handler = (_req, res) => {
      res.writeHead(302, { location: "https://en.wikipedia.org/wiki/Target", "x-origin": "yes" });
      res.end();
    };
    const res = await h.fetch("https://en.wikipedia.org/wiki/Redirect");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://en.wikipedia.org/wiki/Target");
    expect(res.headers.get("x-origin")).toBe("yes");
    expect(origin.requests).toHaveLength(1);
    origin.handler = (_req, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("maintenance");
    };
    const down = await h.fetch("https://en.wikipedia.org/wiki/X");
    expect(down.status).toBe(503);
    expect(await down.text()).toBe("maintenance");
  });

  it("paths are appended to the origin, never resolved: //other.host stays on the origin", async () => {
    await h.fetch("https://en.wikipedia.org//evil.example/steal?x=1");
    expect(last().url).toBe("//evil.example/steal?x=1");
    expect(last().headers.host).toBe(new URL(origin.url).host);
  });

  it("Server-Timing is appended to the origin's own entries", async () => {
    origin.handler = (_req, res) => {
      res.writeHead(200, { "server-timing": "cache;desc=hit-front" });
      res.end("ok");
    };
    const { res } = await firstVisit();
    expect(res.headers.get("server-timing")).toMatch(/^cache;desc=hit-front, WMF-Uniq;desc="[^"]+"$/);
  });

  it.each([
    ["X-Experiment-Enrollments, Accept-Encoding", "Accept-Encoding"],
    ["X-Experiment-Enrollments", null],
    ["Accept-Encoding, X-Experiment-Enrollments, Cookie", "Accept-Encoding, Cookie"],
    ["Accept-Encoding", "Accept-Encoding"],
  ])("Vary %j is delivered as %j", async (sent, delivered) => {
    origin.handler = (_req, res) => {
      res.writeHead(200, { vary: sent, "cache-control": "private" });
      res.end("ok");
    };
    const res = await h.fetch("https://en.wikipedia.org/wiki/Vary");
    expect(res.headers.get("vary")).toBe(delivered);
  });
});

describe("the event intake path", () => {
  it("forwards the subject-ID header for a valid cookie, exactly as the core computes", async () => {
    const { cookie } = await firstVisit();
    const res = await h.fetch(`https://en.wikipedia.org${EVENTS}?hasty=true`, { method: "POST", body: '{"event":1}', headers: { cookie: `WMF-Uniq=${cookie}` } });
    expect(res.status).toBe(200);
    const expected = expectedFor(doc, cookie, "en.wikipedia.org");
    expect(last().url).toBe(`${EVENTS}?hasty=true`);
    expect(last().headers["x-experiment-enrollments"]).toBe(expected.events);
    expect(last().body.toString()).toBe('{"event":1}');
    expect(mintedCookie(res)).toBeNull();
    expect(res.headers.get("server-timing")).toBeNull();
    const pairs = decodeEnrollmentHeader(expected.events)!;
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect(p.subject).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it.each([
    ["no cookie", "en.wikipedia.org", undefined],
    ["an invalid cookie", "en.wikipedia.org", "WMF-Uniq=not-a-token"],
    ["a host with no live experiments", "fr.wikipedia.org", "valid"],
  ])("answers 204 at the edge for %s, without calling the origin or minting", async (_, host, cookieHeader) => {
    const cookie = cookieHeader === "valid" ? `WMF-Uniq=${(await firstVisit()).cookie}` : cookieHeader;
    origin.requests.length = 0;
    const res = await h.fetch(`https://${host}${EVENTS}`, { method: "POST", body: "{}", headers: cookie ? { cookie } : {} });
    expect(res.status).toBe(204);
    expect(origin.requests).toHaveLength(0);
    expect(mintedCookie(res)).toBeNull();
  });

  it("look-alike paths are pages, never get subject IDs", async () => {
    const { cookie } = await firstVisit();
    for (const path of [`${EVENTS}/x`, `${EVENTS}x`, "/evt-103e/v2/Events", `/w${EVENTS}`]) {
      await h.fetch(`https://en.wikipedia.org${path}`, { method: "POST", body: "{}", headers: { cookie: `WMF-Uniq=${cookie}` } });
      expect(last().headers["x-experiment-enrollments"]).toBe(expectedFor(doc, cookie, "en.wikipedia.org").page);
      expect(last().headers["x-experiment-enrollments"]).not.toContain("/");
    }
  });

  it("subject IDs never appear on page requests or in anything sent to the browser", async () => {
    const { cookie } = await firstVisit();
    const subjects = decodeEnrollmentHeader(expectedFor(doc, cookie, "en.wikipedia.org").events)!.map((p) => p.subject!);
    const res = await h.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: `WMF-Uniq=${cookie}` } });
    const visible = JSON.stringify([...res.headers]) + (await res.text()) + JSON.stringify(last().headers);
    for (const s of subjects) expect(visible).not.toContain(s);
  });
});

describe("origin failures", () => {
  it("an unreachable origin is a 502 with a short body, never a worker exception", async () => {
    const dead = await startWorker({ CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: "http://127.0.0.1:9" });
    try {
      const res = await dead.fetch("https://en.wikipedia.org/wiki/X");
      expect(res.status).toBe(502);
      expect((await res.text()).length).toBeLessThan(100);
      const logged = await dead.log.take("origin.unreachable");
      expect(logged).toHaveLength(1);
      expect(logged[0]!.json).toMatchObject({ level: "error" });
    } finally {
      await dead.dispose();
    }
  });
});

describe("degraded modes pass through", () => {
  it("KV empty at start: no enrollment, pages still served", async () => {
    const empty = await startWorker({ CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: origin.url });
    try {
      const res = await empty.fetch("https://en.wikipedia.org/wiki/X");
      expect(res.status).toBe(200);
      expect(last().headers["x-experiment-enrollments"]).toBeUndefined();
      expect(res.headers.get("server-timing")).toBeNull();
      const status = (await (await empty.fetch("https://en.wikipedia.org/_enrollment/status")).json()) as any;
      expect(status.enrollment.active).toBe(false);
      expect(status.config.version).toBeNull();
    } finally {
      await empty.dispose();
    }
  });

  it.each([["malformed", "0:not-a-key"], ["missing", ""]])("a %s UNIQ_KEYS: pass-through, nothing minted, status says why", async (_, keys) => {
    const broken = await startWorker({ CONFIG_URL: `${configApi.url}/cfg`, ORIGIN_URL: origin.url, UNIQ_KEYS: keys });
    try {
      await broken.poll();
      const res = await broken.fetch("https://en.wikipedia.org/wiki/X", { headers: { cookie: "WMF-Uniq=abc; x=1", "x-experiment-enrollments": "a=b;" } });
      expect(res.status).toBe(200);
      expect(mintedCookie(res)).toBeNull();
      expect(last().headers["x-experiment-enrollments"]).toBeUndefined();
      expect(last().headers.cookie).toBe("x=1");
      const status = (await (await broken.fetch("https://en.wikipedia.org/_enrollment/status")).json()) as any;
      expect(status.keyRing.ok).toBe(false);
      expect(status.keyRing.error).toMatch(/UNIQ_KEYS/);
      expect(JSON.stringify(status)).not.toContain("not-a-key");
      // Loud, once: at settings parse, and once per minute from the request path; never the key itself.
      for (const event of ["settings.key_ring_unusable", "enrollment.no_key_ring"]) {
        const lines = await broken.log.take(event);
        expect(lines, event).toHaveLength(1);
        expect(lines[0]!.json!.level, event).toBe("error");
        expect(lines[0]!.text).not.toContain("not-a-key");
      }
      const ev = await broken.fetch(`https://en.wikipedia.org${EVENTS}`, { method: "POST", body: "{}" });
      expect(ev.status).toBe(204);
    } finally {
      await broken.dispose();
    }
  });
});

describe("status endpoint", () => {
  it("reports config, poll and counters, and never secrets or visitor data", async () => {
    const { cookie } = await firstVisit();
    const res = await h.fetch("https://en.wikipedia.org/_enrollment/status");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.config.experiments).toBe(8);
    expect(body.config.version).toMatch(/^[0-9a-f]{64}$/);
    expect(body.poll.outcome).toBe("updated");
    expect(body.keyRing).toEqual({ ok: true, mintingTag: 0, tags: [0], developmentKey: true });
    expect(body.counters.requests).toBeGreaterThan(0);
    expect(text).not.toContain(DEV_KEYS.split(":")[1]);
    expect(text).not.toContain(cookie);
    expect(origin.requests.filter((r) => r.url.includes("_enrollment"))).toHaveLength(0);
  });

  describe("cookie Domains per host", () => {
    // Config hosts under a one-label, an ICANN two-label and a private suffix, and one that
    // is itself a public suffix; the status page shows the config's hosts only.
    const domains: Record<string, string | null> = {
      "en.m.wikipedia.org": "wikipedia.org",
      "portal.example.gov.br": "example.gov.br",
      "wiki.example.github.io": "example.github.io",
      "github.io": null,
    };
    const pslDoc = {
      ...liveConfig(),
      "psl-hosts": {
        start: doc["fifty-fifty-test"]!.start,
        end: doc["fifty-fifty-test"]!.end,
        domains: Object.fromEntries(Object.keys(domains).map((host) => [host, { groups: { all: [0, 99_999] } }])),
      },
    };
    let pslConfig: StubServer;
    beforeAll(async () => {
      pslConfig = await startStub((_req, res) => {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(pslDoc));
      });
    });
    afterAll(async () => {
      await pslConfig.close();
    });

    async function mintOn(w: Harness, host: string): Promise<string> {
      const res = await w.fetch(`https://${host}/wiki/X`);
      await res.arrayBuffer();
      return res.headers.getSetCookie().find((l) => l.startsWith("WMF-Uniq="))!;
    }

    it("the status page shows, per config host seen, the Domain its cookies got (null: host-only)", async () => {
      const w = await startWorker({ CONFIG_URL: `${pslConfig.url}/cfg`, ORIGIN_URL: origin.url });
      try {
        await w.poll();
        for (const [host, domain] of Object.entries(domains)) {
          const line = await mintOn(w, host);
          if (domain === null) expect(line, host).not.toContain("Domain=");
          else expect(line, host).toContain(`; Domain=${domain}; `);
        }
        // A host outside the config gets its cookie too, but is never echoed on the page.
        expect(await mintOn(w, "made-up-host.example.co.uk")).toContain("; Domain=example.co.uk; ");
        const body = (await (await w.fetch("https://en.wikipedia.org/_enrollment/status")).json()) as any;
        expect(body.settings.cookieDomain).toBe("(registrable domain of the host)");
        expect(body.cookieDomains).toEqual(domains);
      } finally {
        await w.dispose();
      }
    });

    it("COOKIE_DOMAIN overrides the registrable domain, and the status page shows it per host", async () => {
      const w = await startWorker({ CONFIG_URL: `${pslConfig.url}/cfg`, ORIGIN_URL: origin.url, COOKIE_DOMAIN: "m.wikipedia.org" });
      try {
        await w.poll();
        expect(await mintOn(w, "en.m.wikipedia.org")).toContain("; Domain=m.wikipedia.org; ");
        const body = (await (await w.fetch("https://en.m.wikipedia.org/_enrollment/status")).json()) as any;
        expect(body.settings.cookieDomain).toBe("m.wikipedia.org");
        expect(body.cookieDomains).toEqual({ "en.m.wikipedia.org": "m.wikipedia.org" });
      } finally {
        await w.dispose();
      }
    });
  });

  it("only GET is answered at the edge; other methods are proxied", async () => {
    await h.fetch("https://en.wikipedia.org/_enrollment/status", { method: "POST", body: "x" });
    expect(last().url).toBe("/_enrollment/status");
  });
});
