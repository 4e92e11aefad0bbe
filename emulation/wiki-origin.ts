import { AutoRouter, json } from "itty-router";
import { botReason } from "../src/bots.js";
import { ENROLLMENTS_HEADER } from "../src/contract.js";
import { decodeEnrollmentHeader, type EnrollmentPair } from "../src/enrollment-header.js";
import { normaliseHost } from "../src/host.js";
import { buildContext, DEFAULT_SESSION_COOKIE_PATTERN, type RequestContext, type RequestFacts } from "../src/request-context.js";
import { EMULATION_COUNTRIES, EMULATION_COUNTRY_COOKIE, EMULATION_COUNTRY_HEADER, EMULATION_SESSION_COOKIE } from "./emulated-country.js";
import { serveFetch, type RunningServer } from "./node-serve.js";
import { PAGE_SCRIPT } from "./page-script.js";

/**
 * An emulated wiki origin: the thing the worker sits in front of. Each page shows what
 * the origin received (`X-Experiment-Enrollments`) and what it answered (`Vary`,
 * `Cache-Control`), and its inline script shows the groups the browser sees in
 * Server-Timing, so a mismatch or a cache mix-up is visible at a glance. It accepts events
 * on the intake path and lists them with the subject IDs the edge attached.
 *
 * It also shows the request context the targeting rules read (contract §8), computed with
 * the core's own `buildContext` from the headers it received: the edge passes the
 * User-Agent, Accept-Language, the other cookies and the country header through unchanged,
 * so these are the inputs the edge had (the edge adds the wiki host as X-Forwarded-Host).
 */

export const DEFAULT_EVENTS_PATH = "/evt-103e/v2/events";

/** Headers every page answers with: the worker must split its cache on the enrollments. */
export const PAGE_VARY = "X-Experiment-Enrollments, Accept-Encoding";
export const PAGE_CACHE_CONTROL = "public, s-maxage=60";

export interface WikiOriginOptions {
  readonly port?: number;
  readonly host?: string;
  readonly eventsPath?: string;
  /** Events kept for the events page (default 100). */
  readonly maxEvents?: number;
  /** The emulation's bucket map page, linked from every wiki page (asked at each render). */
  readonly mapUrl?: () => string | null;
  /** The worker's COUNTRY_HEADER (default: the emulation's X-Emulation-Country). */
  readonly countryHeader?: string;
  /** The worker's SESSION_COOKIE_PATTERN (default: the core's default). */
  readonly sessionCookiePattern?: string;
}

/** The request context as the edge computed it, plus the crawler list's verdict. */
export interface EdgeContextView {
  readonly context: RequestContext;
  /**
   * The User-Agent is on the crawler list (contract §9). The edge only checks requests
   * without a valid WMF-Uniq cookie, and gives such a request no cookie and no enrollment.
   */
  readonly crawler: boolean;
}

/** One request to the event intake, as the origin saw it. */
export interface ReceivedEvent {
  readonly seq: number;
  readonly at: string;
  readonly path: string;
  /** The Host header the origin received. */
  readonly host: string | null;
  /** Raw `X-Experiment-Enrollments`, null when absent. */
  readonly enrollments: string | null;
  /** Decoded like the wiki does; null when malformed (the wiki would drop them all). */
  readonly pairs: EnrollmentPair[] | null;
  /** True if a WMF-Uniq cookie leaked through the edge (it must not). */
  readonly uniqCookieReachedOrigin: boolean;
  /** True if a WMF-Preview cookie leaked through the edge (it must not while previews are on, contract §10). */
  readonly previewCookieReachedOrigin: boolean;
  readonly contentType: string | null;
  /** The body, cut at 2,000 characters. */
  readonly body: string;
}

/** One page render, as the origin saw it (tests compare these with what the browser saw). */
export interface PageRender {
  readonly render: number;
  readonly path: string;
  readonly enrollments: string | null;
  readonly uniqCookieReachedOrigin: boolean;
  readonly previewCookieReachedOrigin: boolean;
  /** The context of the request that caused this render (a cached copy keeps it). */
  readonly edge: EdgeContextView;
}

export interface WikiOrigin extends RunningServer {
  readonly eventsPath: string;
  /** Newest last. */
  readonly events: readonly ReceivedEvent[];
  /** Every page render so far (a render number the browser sees twice was served from cache). */
  readonly renders: readonly PageRender[];
}

/** Starts the emulated wiki origin. */
export async function startWikiOrigin(options: WikiOriginOptions = {}): Promise<WikiOrigin> {
  const eventsPath = options.eventsPath ?? DEFAULT_EVENTS_PATH;
  const maxEvents = options.maxEvents ?? 100;
  const countryHeader = options.countryHeader ?? EMULATION_COUNTRY_HEADER;
  const sessionCookie = new RegExp(options.sessionCookiePattern ?? DEFAULT_SESSION_COOKIE_PATTERN);
  const events: ReceivedEvent[] = [];
  const renders: PageRender[] = [];
  let seq = 0;

  const router = AutoRouter({ missing: (request) => notFound(request) });

  router.get("/", () => new Response(null, { status: 301, headers: { location: "/wiki/Main_Page" } }));
  router.get("/wiki/:title+", (request) => {
    const url = new URL(request.url);
    const enrollments = request.headers.get(ENROLLMENTS_HEADER);
    const edge = edgeContextOf(request, url, countryHeader, sessionCookie);
    const uniqCookieReachedOrigin = hasUniqCookie(request.headers.get("cookie"));
    const previewCookieReachedOrigin = hasCookie(request.headers.get("cookie"), "wmf-preview");
    if (url.searchParams.get("emulation") === "context") {
      // The page script's re-request: this request's own context and enrollments, never
      // cached (a cached page shows the context of the visitor it was rendered for).
      const pairs = enrollments === null ? [] : decodeEnrollmentHeader(enrollments);
      return json({ ...edge, enrollments, pairs, uniqCookieReachedOrigin }, { headers: { "cache-control": "no-store" } });
    }
    const render: PageRender = {
      render: renders.length + 1,
      path: url.pathname,
      enrollments,
      uniqCookieReachedOrigin,
      previewCookieReachedOrigin,
      edge,
    };
    renders.push(render);
    const title = safeDecode(request.params["title"] ?? "Main_Page").replaceAll("_", " ");
    return new Response(renderPage(title, render, request.headers.get("host"), eventsPath, options.mapUrl?.() ?? null), {
      headers: {
        "content-type": "text/html; charset=utf-8",
        vary: PAGE_VARY,
        "cache-control": PAGE_CACHE_CONTROL,
        "server-timing": `origin;dur=${(1 + Math.random()).toFixed(1)};desc="render ${render.render}"`,
        "x-origin-render": String(render.render),
      },
    });
  });

  router.post(eventsPath, async (request) => {
    const enrollments = request.headers.get(ENROLLMENTS_HEADER);
    const text = await request.text();
    events.push({
      seq: ++seq,
      at: new Date().toISOString(),
      path: new URL(request.url).pathname + new URL(request.url).search,
      host: request.headers.get("host"),
      enrollments,
      pairs: enrollments === null ? [] : decodeEnrollmentHeader(enrollments),
      uniqCookieReachedOrigin: hasUniqCookie(request.headers.get("cookie")),
      previewCookieReachedOrigin: hasCookie(request.headers.get("cookie"), "wmf-preview"),
      contentType: request.headers.get("content-type"),
      body: text.slice(0, 2000),
    });
    if (events.length > maxEvents) events.splice(0, events.length - maxEvents);
    // EventGate answers 202 when it accepts events without waiting for Kafka.
    return new Response(null, { status: 202, headers: { "cache-control": "no-store" } });
  });

  router.get("/_emulation/events.json", () => json(events.slice().reverse(), { headers: { "cache-control": "no-store" } }));
  router.get("/_emulation/events", () =>
    new Response(renderEvents(events, eventsPath), {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    }),
  );
  router.delete("/_emulation/events", () => {
    events.length = 0;
    return new Response(null, { status: 204 });
  });

  const server = await serveFetch((request) => router.fetch(request), options);
  return { ...server, eventsPath, events, renders };
}

/**
 * The context the edge computed for this request, recomputed from what reached the origin
 * with the core's function. The wiki host is X-Forwarded-Host (the edge sets it when
 * ORIGIN_URL is set), else Host; `verifiedBot` is a Cloudflare verdict the emulation has not.
 */
export function edgeContextOf(request: Request, url: URL, countryHeader: string, sessionCookie: RegExp): EdgeContextView {
  const h = request.headers;
  const facts: RequestFacts = {
    path: url.pathname,
    userAgent: h.get("user-agent"),
    acceptLanguage: h.get("accept-language"),
    country: h.get(countryHeader),
    cookieHeader: h.get("cookie"),
    verifiedBot: false,
  };
  const host = normaliseHost(h.get("x-forwarded-host") ?? h.get("host") ?? url.host);
  return { context: buildContext(host, facts, sessionCookie), crawler: botReason(false, facts.userAgent) !== null };
}

/** True when a Cookie header carries WMF-Uniq under any letter case. */
export function hasUniqCookie(cookie: string | null): boolean {
  return hasCookie(cookie, "wmf-uniq");
}

/** True when a Cookie header carries the cookie `lowerName` under any letter case. */
export function hasCookie(cookie: string | null, lowerName: string): boolean {
  if (cookie === null) return false;
  return cookie.split(";").some((part) => part.trim().toLowerCase().startsWith(`${lowerName}=`));
}

function notFound(request: Request): Response {
  const path = new URL(request.url).pathname;
  return new Response(layout("Not found", `<h1>Not found</h1><p><code>${esc(path)}</code> is not a page of this emulated wiki. Try <a href="/wiki/Main_Page">Main Page</a>.</p>`), {
    status: 404,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

function renderPage(title: string, render: PageRender, hostHeader: string | null, eventsPath: string, mapUrl: string | null): string {
  const pairs = render.enrollments === null ? [] : decodeEnrollmentHeader(render.enrollments);
  const originJson = JSON.stringify({
    render: render.render,
    enrollments: render.enrollments,
    pairs,
    uniqCookieReachedOrigin: render.uniqCookieReachedOrigin,
    previewCookieReachedOrigin: render.previewCookieReachedOrigin,
    context: render.edge.context,
    crawler: render.edge.crawler,
  }).replaceAll("<", "\\u003c");
  const emulationJson = JSON.stringify({
    countryHeader: EMULATION_COUNTRY_HEADER,
    countryCookie: EMULATION_COUNTRY_COOKIE,
    sessionCookie: EMULATION_SESSION_COOKIE,
  }).replaceAll("<", "\\u003c");
  const ctx = render.edge.context;
  const contextRows = (
    [
      ["host", ctx.host],
      ["path", ctx.path],
      ["country", ctx.country],
      ["platform", ctx.platform],
      ["language", JSON.stringify(ctx.language)],
      ["loggedIn", String(ctx.loggedIn)],
    ] as const
  )
    .map(([name, value]) => `<tr><td><code>${name}</code></td><td id="context-${name}">${esc(value)}</td></tr>`)
    .join("");
  const countryButtons = [...EMULATION_COUNTRIES, ""]
    .map((c) => `<button type="button" data-country="${c}">${c === "" ? "none" : c}</button>`)
    .join(" ");
  const rows =
    pairs === null
      ? `<tr><td colspan="2" class="bad">malformed: MediaWiki would drop every enrollment</td></tr>`
      : pairs.length === 0
        ? `<tr><td colspan="2" class="muted">none (no header: this is the shared un-enrolled copy)</td></tr>`
        : pairs.map((p) => `<tr><td>${esc(p.experiment)}</td><td>${esc(p.group)}</td></tr>`).join("");
  const body = `
<h1>${esc(title)}</h1>
<p class="muted">An emulated wiki page. Rendered by the origin as <b>render #<span id="render">${render.render}</span></b>
at ${esc(new Date().toISOString())} (Host header at the origin: <code>${esc(hostHeader ?? "-")}</code>).
Reloading and seeing the same render number means the edge served its cached copy.</p>

<h2>0. The request context the edge computed</h2>
<p class="muted">What targeting rules read (eligibility and allocations). Computed here with the core's own
<code>buildContext</code> from the headers that reached the origin (the edge passes User-Agent, Accept-Language,
the other cookies and <code>${esc(EMULATION_COUNTRY_HEADER)}</code> through), for the request that made
<b>render #${render.render}</b>: a cached copy shows the context of the visitor it was rendered for, because the
edge's cache keys only on the enrollments, never on the context.</p>
<table><thead><tr><th>variable</th><th>value</th></tr></thead><tbody id="context">${contextRows}</tbody></table>
<p>Crawler list (User-Agent): <b id="context-crawler" class="${render.edge.crawler ? "bad" : "ok"}">${render.edge.crawler ? "a crawler: without a valid WMF-Uniq the edge gives it no cookie and no enrollment" : "not a crawler"}</b></p>

<h3>Choose a country (emulation only)</h3>
<p>${countryButtons} <button type="button" id="toggle-login">pretend to be logged in</button></p>
<p class="muted">Production takes the country from Cloudflare. The emulation's worker reads it from the
<code>${esc(EMULATION_COUNTRY_HEADER)}</code> header instead (its <code>COUNTRY_HEADER</code> setting). A browser cannot add a
header to its own navigation, so a button stores the choice in the cookie <code>${esc(EMULATION_COUNTRY_COOKIE)}</code>,
which nothing but this page's script reads: on every page load it asks the edge again with <code>fetch()</code>,
adding the header, and shows below what the edge decided for that request (never a cached copy). Sections 0–3 stay
the navigation's own, without a country header (<code>XX</code>). "Pretend to be logged in" sets a
<code>${esc(EMULATION_SESSION_COOKIE)}</code> cookie (a name the default <code>SESSION_COOKIE_PATTERN</code> knows) and asks
again; later navigations carry it too.</p>
<div id="as-country"></div>

<h2>1. What the origin received</h2>
<p><code>X-Experiment-Enrollments: <span id="origin-header">${render.enrollments === null ? "(absent)" : esc(render.enrollments)}</span></code></p>
<table><thead><tr><th>experiment</th><th>group</th></tr></thead><tbody id="origin-groups">${rows}</tbody></table>
<p>WMF-Uniq cookie reached the origin: <b id="origin-cookie" class="${render.uniqCookieReachedOrigin ? "bad" : "ok"}">${render.uniqCookieReachedOrigin ? "YES (it must not)" : "no"}</b>;
WMF-Preview cookie (a preview link's): <b id="origin-preview-cookie" class="${render.previewCookieReachedOrigin ? "bad" : "ok"}">${render.previewCookieReachedOrigin ? "YES (it must not while previews are on)" : "no"}</b></p>

<h2>2. What the origin answered</h2>
<pre>Vary: ${esc(PAGE_VARY)}
Cache-Control: ${esc(PAGE_CACHE_CONTROL)}
Server-Timing: origin;dur=…</pre>
<p class="muted">The edge keeps one cached copy per set of enrollments and removes
<code>X-Experiment-Enrollments</code> from <code>Vary</code> before the browser sees it.</p>

<h2>3. What the browser sees (Server-Timing, read like the wiki's JS SDK)</h2>
<p>Secure context: <span id="secure-context">…</span></p>
<p><code>WMF-Uniq;desc=<span id="browser-raw">…</span></code></p>
<table><thead><tr><th>experiment</th><th>group</th><th>compared with the origin</th></tr></thead><tbody id="browser-groups"></tbody></table>
<p id="browser-note" class="muted"></p>

<h2>4. Events</h2>
<p><button id="send-event" type="button">Send a test event</button> <span id="event-result"></span></p>
<p class="muted">POSTs to <code>${esc(eventsPath)}</code>; the edge adds subject IDs. See <a href="/_emulation/events">the events the origin received</a>.</p>

<h2>Try</h2>
<ul>
<li>Other pages: <a href="/wiki/Main_Page">Main Page</a>, <a href="/wiki/Berlin">Berlin</a>, <a href="/wiki/Special:Random">Special:Random</a></li>
<li>The other wiki: <a id="other-wiki" href="#">…</a></li>
<li>The edge's status: <a href="/_enrollment/status" id="status-link">/_enrollment/status</a> (a page in a browser, JSON for <code>curl</code>)</li>
${mapUrl === null ? "" : `<li>The bucket map of the config the edge runs: <a href="${esc(mapUrl)}" id="map-link">${esc(mapUrl)}</a></li>`}
</ul>
<script>window.emulation = { origin: ${originJson}, eventsPath: ${JSON.stringify(eventsPath)}, names: ${emulationJson} };</script>
<script>${PAGE_SCRIPT}</script>`;
  return layout(`${title} (emulated wiki)`, body);
}

function renderEvents(events: readonly ReceivedEvent[], eventsPath: string): string {
  const rows = events
    .slice()
    .reverse()
    .map((e) => {
      const pairs =
        e.pairs === null
          ? `<span class="bad">malformed: ${esc(e.enrollments ?? "")}</span>`
          : e.pairs.length === 0
            ? `<span class="muted">(no X-Experiment-Enrollments)</span>`
            : e.pairs.map((p) => `${esc(p.experiment)}=${esc(p.group)} <code>${esc(p.subject ?? "(no subject id)")}</code>`).join("<br>");
      return `<tr><td>${e.seq}</td><td>${esc(e.at)}</td><td>${pairs}</td><td class="${e.uniqCookieReachedOrigin ? "bad" : "ok"}">${e.uniqCookieReachedOrigin ? "leaked" : "no"}</td><td><code>${esc(e.body.slice(0, 300))}</code></td></tr>`;
    })
    .join("");
  return layout(
    "Events received by the emulated origin",
    `<h1>Events received at <code>${esc(eventsPath)}</code></h1>
<p class="muted">Newest first, last ${events.length}. Refreshes every 5 s. Each pair is <code>experiment=group</code>
and the subject ID the edge derived for this visitor.</p>
<table><thead><tr><th>#</th><th>received</th><th>X-Experiment-Enrollments</th><th>WMF-Uniq at origin</th><th>body</th></tr></thead>
<tbody>${rows || `<tr><td colspan="5" class="muted">none yet: press "Send a test event" on a wiki page</td></tr>`}</tbody></table>
<p><a href="/wiki/Main_Page">Back to Main Page</a></p>`,
    `<meta http-equiv="refresh" content="5">`,
  );
}

function layout(title: string, body: string, head = ""): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><link rel="icon" href="data:,">${head}
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#202122}
code,pre{font:13px ui-monospace,monospace;background:#f4f4f4;padding:0 .2em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
.ok{color:#14866d}.bad{color:#d33;font-weight:bold}.muted{color:#72777d}
</style></head><body>${body}</body></html>
`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
