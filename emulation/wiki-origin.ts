import { AutoRouter, json } from "itty-router";
import { decodeEnrollmentHeader, type EnrollmentPair } from "../src/enrollment-header.js";
import { serveFetch, type RunningServer } from "./node-serve.js";
import { PAGE_SCRIPT } from "./page-script.js";
import { ENROLLMENTS_HEADER } from "../src/contract.js";

/**
 * An emulated wiki origin: the thing the worker sits in front of. Each page shows what
 * the origin received (`X-Experiment-Enrollments`) and what it answered (`Vary`,
 * `Cache-Control`), and its inline script shows the groups the browser sees in
 * Server-Timing, so a mismatch or a cache mix-up is visible at a glance. It accepts events
 * on the intake path and lists them with the subject IDs the edge attached.
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
  const events: ReceivedEvent[] = [];
  const renders: PageRender[] = [];
  let seq = 0;

  const router = AutoRouter({ missing: (request) => notFound(request) });

  router.get("/", () => new Response(null, { status: 301, headers: { location: "/wiki/Main_Page" } }));
  router.get("/wiki/:title+", (request) => {
    const url = new URL(request.url);
    const enrollments = request.headers.get(ENROLLMENTS_HEADER);
    const render: PageRender = {
      render: renders.length + 1,
      path: url.pathname,
      enrollments,
      uniqCookieReachedOrigin: hasUniqCookie(request.headers.get("cookie")),
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

/** True when a Cookie header carries WMF-Uniq under any letter case. */
export function hasUniqCookie(cookie: string | null): boolean {
  if (cookie === null) return false;
  return cookie.split(";").some((part) => part.trim().toLowerCase().startsWith("wmf-uniq="));
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
  }).replaceAll("<", "\\u003c");
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

<h2>1. What the origin received</h2>
<p><code>X-Experiment-Enrollments: <span id="origin-header">${render.enrollments === null ? "(absent)" : esc(render.enrollments)}</span></code></p>
<table><thead><tr><th>experiment</th><th>group</th></tr></thead><tbody id="origin-groups">${rows}</tbody></table>
<p>WMF-Uniq cookie reached the origin: <b id="origin-cookie" class="${render.uniqCookieReachedOrigin ? "bad" : "ok"}">${render.uniqCookieReachedOrigin ? "YES (it must not)" : "no"}</b></p>

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
<script>window.emulation = { origin: ${originJson}, eventsPath: ${JSON.stringify(eventsPath)} };</script>
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
