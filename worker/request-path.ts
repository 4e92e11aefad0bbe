import { scanCookieHeader, type CookieScan } from "../src/cookie-header.js";
import { enroll } from "../src/enroll.js";
import { encodeAllPairs, encodeEventsHeader, encodePageHeader } from "../src/enrollment-header.js";
import { normaliseHost, registrableDomain } from "../src/host.js";
import { appendServerTiming, serverTimingEntry } from "../src/server-timing.js";
import { serializeUniqCookie } from "../src/set-cookie.js";
import { mintToken, verifyToken, type Identity, type TokenFailure } from "../src/token.js";
import { sharedKey } from "../src/cache-policy.js";
import { parseVary, type Vary } from "../src/vary.js";
import { getConfigView } from "./config-store.js";
import { counters } from "./counters.js";
import type { Env } from "./env.js";
import { logOnce } from "./log.js";
import { recordRequest } from "./metrics.js";
import { fetchOrigin, originUrl, stripHopByHop } from "./origin.js";
import { getSettings, type Settings } from "./settings.js";
import { captureBody, lookup, passMarks, storabilityOf, store } from "./split-cache.js";
import { ENROLLMENTS_HEADER } from "../src/contract.js";

/**
 * The request path: strip what a client could spoof, identify, enroll, proxy, and dress
 * the response. Every failure inside enrollment degrades to an un-enrolled pass-through
 * (counted, logged once a minute); nothing here turns into a 5xx of ours.
 */

/** What enrollment decided for one request. */
interface Decision {
  /** Header value for the origin ("" = none). */
  readonly enrollments: string;
  /** `exp=grp;` pairs for Server-Timing ("" = none). */
  readonly timingPairs: string;
  readonly setCookie: string | null;
  /** The host has live experiments: GET/HEAD go through the split cache. */
  readonly split: boolean;
  /** Answer 204 at the edge (event intake with nothing to attach). */
  readonly answer204: boolean;
  /** For metrics: what happened, and why a cookie was minted ("" = not minted). */
  readonly outcome: string;
  readonly minted: TokenFailure | "";
  readonly enrolled: number;
}

const PASS: Decision = { enrollments: "", timingPairs: "", setCookie: null, split: false, answer204: false, outcome: "", minted: "", enrolled: 0 };
const pass = (outcome: string): Decision => ({ ...PASS, outcome });
const events204 = (outcome: string): Decision => ({ ...PASS, answer204: true, outcome: `events-204:${outcome}` });

/** Platform hooks, injectable so tests can pin them. */
export interface RequestDeps {
  readonly now: number;
  readonly random: (buf: Uint8Array) => void;
  readonly cache: Cache | null;
  readonly waitUntil: (p: Promise<unknown>) => void;
}

/** Handles one proxied request. */
export async function handleRequest(request: Request, env: Env, deps: RequestDeps): Promise<Response> {
  counters.requests++;
  const settings = getSettings(env);
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  const { spoofed, cookies } = prepareOriginHeaders(headers, settings, url);
  if (spoofed) counters.spoofedHeaderRemoved++;

  const host = normaliseHost(url.hostname);
  const isEvents = url.pathname === settings.eventsPath;
  let decision: Decision;
  try {
    decision = await decide(env, settings, deps, host, isEvents, cookies.values);
  } catch (e) {
    counters.passThrough.enrollmentError++;
    logOnce("enrollment-error", deps.now, "error", "enrollment.error", { error: (e as Error).message, effect: "request proxied un-enrolled" });
    decision = isEvents ? events204("error") : pass("pass-through:error");
  }

  let cacheResult = "";
  const finish = (response: Response): Response => {
    recordRequest(env.METRICS, { host, kind: isEvents ? "events" : "page", outcome: decision.outcome, minted: decision.minted, cache: cacheResult, enrolled: decision.enrolled });
    return response;
  };
  if (decision.answer204) return finish(new Response(null, { status: 204, headers: { "cache-control": "no-store" } }));
  if (decision.enrollments !== "") headers.set(ENROLLMENTS_HEADER, decision.enrollments);

  const target = originUrl(url, settings.originBase);
  const method = request.method;
  let response: Response;
  let vary: Vary | null = null;
  if (decision.split && deps.cache !== null && (method === "GET" || method === "HEAD")) {
    const through = await throughSplitCache(request, target, headers, url, decision.enrollments, deps);
    response = through.response;
    cacheResult = through.result;
    vary = through.vary;
  } else {
    response = await fetchOrigin(request, target, headers, false, deps.now);
  }
  return finish(dress(response, decision, method, vary ?? parseVary(response.headers.get("vary"))));
}

// Spellings CGI/PHP stacks fold into the same variable as X-Experiment-Enrollments
// (HTTP_X_EXPERIMENT_ENROLLMENTS): a client must not reach the origin through them either.
const ENROLLMENT_SPELLINGS = ["x_experiment_enrollments", "x-experiment_enrollments", "x_experiment-enrollments"];

/**
 * First, always: nothing a client sends may choose its own group. Removes every spelling of
 * the enrollment header and the hop-by-hop headers; true when the client sent one.
 */
function stripClientHeaders(headers: Headers): boolean {
  let spoofed = false;
  if (headers.has(ENROLLMENTS_HEADER)) {
    headers.delete(ENROLLMENTS_HEADER);
    spoofed = true;
  }
  for (const name of ENROLLMENT_SPELLINGS) {
    if (headers.has(name)) {
      headers.delete(name);
      spoofed = true;
    }
  }
  stripHopByHop(headers);
  return spoofed;
}

/**
 * Turns a copy of the client's headers into what the origin may see: no enrollment header
 * of the client's, no hop-by-hop headers, no WMF-Uniq cookie, and X-Forwarded-Host when
 * ORIGIN_URL is set. Returns the WMF-Uniq values found and whether a spoof was removed.
 */
function prepareOriginHeaders(headers: Headers, settings: Settings, url: URL): { spoofed: boolean; cookies: CookieScan } {
  const spoofed = stripClientHeaders(headers);
  const cookies = scanCookieHeader(headers.get("cookie"));
  if (cookies.values.length > 0) {
    if (cookies.rest === null) headers.delete("cookie");
    else headers.set("cookie", cookies.rest);
  }
  if (settings.originBase !== null) headers.set("x-forwarded-host", url.host);
  return { spoofed, cookies };
}

/**
 * The last resort when the request path itself failed (app.onError): the request goes to
 * the configured origin un-enrolled, without the client's enrollment header or our cookie,
 * never to another host. Resolves to a 502 if even that fails.
 */
export async function bareProxy(request: Request, env: Env, now: number): Promise<Response> {
  try {
    const settings = getSettings(env);
    const url = new URL(request.url);
    const headers = new Headers();
    for (const [name, value] of request.headers) {
      try {
        headers.append(name, value);
      } catch {
        // a value the Headers class refuses is dropped, not fatal
      }
    }
    prepareOriginHeaders(headers, settings, url);
    return await fetchOrigin(request, originUrl(url, settings.originBase), headers, false, now);
  } catch {
    return new Response("Bad gateway.\n", { status: 502, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
}

// Registrable domain per host, remembered per isolate (a site has a bounded set of hosts).
const cookieDomains = new Map<string, string | null>();
function cookieDomainFor(host: string): string | null {
  let domain = cookieDomains.get(host);
  if (domain === undefined) {
    if (cookieDomains.size >= 1000) cookieDomains.clear();
    domain = registrableDomain(host);
    cookieDomains.set(host, domain);
  }
  return domain;
}

async function decide(
  env: Env,
  settings: Settings,
  deps: RequestDeps,
  host: string,
  isEvents: boolean,
  presented: readonly string[],
): Promise<Decision> {
  const view = await getConfigView(env.CONFIG, deps.now, settings.configRefreshMs, deps.waitUntil);
  if (settings.disabledByVar || view.killed) {
    counters.passThrough.killSwitch++;
    return isEvents ? events204("kill-switch") : pass("pass-through:kill-switch");
  }
  const ring = settings.keyRing;
  if (ring === null) {
    counters.passThrough.noKeyRing++;
    logOnce("no-key-ring", deps.now, "error", "enrollment.no_key_ring", { error: settings.keyRingError, effect: "nothing minted or enrolled" });
    return isEvents ? events204("no-key-ring") : pass("pass-through:no-key-ring");
  }

  // The first presented WMF-Uniq that verifies wins; the first failure names the reason.
  let identity: Identity | null = null;
  let failure: TokenFailure = "absent";
  for (let i = 0; i < presented.length; i++) {
    const r = verifyToken(presented[i], ring);
    if (r.ok) {
      identity = r.identity;
      break;
    }
    if (i === 0) failure = r.reason;
  }

  const config = view.config;
  if (isEvents) {
    if (identity === null) {
      counters.events.noCookie++;
      return events204("no-cookie");
    }
    const e = config === null ? null : enroll(identity, host, deps.now, config, true);
    if (e === null || e.live === 0) {
      counters.events.noExperiments++;
      return events204("no-experiments");
    }
    const value = encodeEventsHeader(e);
    if (value === "") {
      counters.events.notEnrolled++;
      return events204("not-enrolled");
    }
    counters.events.forwarded++;
    return { ...PASS, enrollments: value, outcome: "events-forwarded", enrolled: e.experiments.length };
  }

  let setCookie: string | null = null;
  let minted: TokenFailure | "" = "";
  if (identity === null) {
    const token = mintToken(ring, deps.now, deps.random);
    identity = token.identity;
    minted = failure;
    counters.minted[failure]++;
    setCookie = serializeUniqCookie(token.value, settings.cookieDomain ?? cookieDomainFor(host), deps.now);
  }
  if (config === null) {
    counters.passThrough.noConfig++;
    return { ...pass("pass-through:no-config"), setCookie, minted };
  }
  const e = enroll(identity, host, deps.now, config);
  if (e.skipped > 0) {
    counters.tooManyExperiments++;
    logOnce(`too-many:${host}`, deps.now, "warn", "enrollment.too_many_experiments", { host, live: e.live + e.skipped, evaluated: e.live, version: view.version });
  }
  const enrolled = e.experiments.length;
  if (enrolled > 0) counters.enrolledRequests++;
  else counters.unenrolledRequests++;
  return {
    enrollments: encodePageHeader(e),
    timingPairs: encodeAllPairs(e),
    setCookie,
    split: e.live > 0,
    answer204: false,
    outcome: enrolled > 0 ? "enrolled" : e.live > 0 ? "not-enrolled" : "no-live-experiments",
    minted,
    enrolled,
  };
}

async function throughSplitCache(
  request: Request,
  target: string,
  headers: Headers,
  url: URL,
  enrollments: string,
  deps: RequestDeps,
): Promise<{ response: Response; result: "hit" | "miss" | "pass"; vary: Vary | null }> {
  const cache = deps.cache!;
  const key = sharedKey(url.host, url.pathname + url.search);
  const passing = passMarks.passing(key, deps.now);
  if (!passing) {
    let hit: Response | null = null;
    try {
      hit = await lookup(cache, key, url, enrollments, headers);
    } catch (e) {
      logOnce("cache-lookup", deps.now, "warn", "cache.lookup_failed", { error: (e as Error).message });
    }
    if (hit !== null) {
      counters.cache.hit++;
      return { response: request.method === "HEAD" ? new Response(null, hit) : hit, result: "hit", vary: null };
    }
  }
  if (passing) counters.cache.pass++;
  else counters.cache.miss++;
  let response = await fetchOrigin(request, target, headers, true, deps.now);
  // The origin's Vary, read once: for the policy, the stored copy and delivery.
  const vary = parseVary(response.headers.get("vary"));
  if (request.method === "GET") {
    const body = response.body;
    const storable = body !== null && storabilityOf(response, vary).storable;
    passMarks.record(key, storable, deps.now);
    if (storable) {
      const { stream, complete } = captureBody(body, response.headers);
      const original = response;
      response = new Response(stream, original);
      deps.waitUntil(
        complete
          .then((whole) => {
            if (whole === null) {
              logOnce("cache-incomplete", deps.now, "warn", "cache.store_skipped", { reason: "body incomplete" });
              return;
            }
            return store(cache, key, url, enrollments, headers, original, whole, vary).then(() => void counters.cache.stored++);
          })
          .catch((e: Error) => logOnce("cache-store", deps.now, "warn", "cache.store_failed", { error: e.message })),
      );
    }
  }
  return { response, result: passing ? "pass" : "miss", vary };
}

// Adds what the browser gets: the cookie, Server-Timing, and Vary without our token.
// Fast path: a response that needs none of it is returned untouched (no copy).
function dress(response: Response, decision: Decision, method: string, vary: Vary): Response {
  if (!vary.variesOnEnrollments && decision.setCookie === null && decision.timingPairs === "") return response;
  if (response.status < 200 || response.status > 599) return response;
  const out = new Response(method === "HEAD" ? null : response.body, response);
  if (vary.variesOnEnrollments) {
    if (vary.value === null) out.headers.delete("vary");
    else out.headers.set("vary", vary.value);
  }
  if (decision.setCookie !== null) out.headers.append("set-cookie", decision.setCookie);
  if (decision.timingPairs !== "") {
    out.headers.set("server-timing", appendServerTiming(out.headers.get("server-timing"), serverTimingEntry(decision.timingPairs)));
  }
  return out;
}
