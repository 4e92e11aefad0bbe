import { html, trustedHtml, type SafeHtml } from "../src/html.js";

/**
 * `/_enrollment/status` for a person in a browser: the same body as the JSON (statusBody),
 * laid out so the 3 a.m. questions are answered at the top (is enrollment on, how old is
 * the config, did the last poll work, which keys), then the live experiments per host and
 * the counters, then every field as it is in the JSON. Pure: the status object in, a page
 * out, every value escaped; fields it does not know are still shown under "Every field".
 */

/** The page's CSP (sent as a header): nothing loads, no script runs. */
export const STATUS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

type Obj = Readonly<Record<string, unknown>>;

/** The status page for `status` (the JSON body), as seen on `host` at `nowMs`. */
export function renderStatusHtml(status: Obj, host: string, nowMs: number): string {
  const worker = obj(status["worker"]);
  const config = obj(status["config"]);
  const live = obj(config["liveExperiments"]);
  const body = html`
<header>
  <h1>Edge Enrollment status</h1>
  <p class="meta">on <code>${host}</code> at ${new Date(nowMs).toISOString()} · worker ${text(worker["version"])} ·
  <a href="?format=json">this page as JSON</a> (or send <code>Accept: application/json</code>)</p>
  <p class="meta">Counters and “loaded in isolate” belong to the isolate that answered; reload and another isolate may answer.</p>
</header>
<main>
<div class="cards">
  ${enrollmentCard(obj(status["enrollment"]), obj(status["keyRing"]), config)}
  ${configCard(config, nowMs)}
  ${pollCard(status["poll"], nowMs)}
  ${keyRingCard(obj(status["keyRing"]))}
  ${status["previewKeyRing"] !== undefined && previewCard(obj(status["previewKeyRing"]))}
</div>
${Object.keys(live).length > 0 || config["liveExperiments"] !== undefined ? liveSection(live) : ""}
<section id="counters"><h2>Counters <small>this isolate, since it started</small></h2>${counterGroups(obj(status["counters"]))}</section>
<section id="settings"><h2>Settings</h2>${kvTable(obj(status["settings"]))}</section>
<section id="every-field"><details><summary>Every field, as in the JSON</summary>${kvTable(status)}</details></section>
</main>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${`Edge Enrollment status: ${host}`}</title><link rel="icon" href="data:,">
<style>${STYLE}</style></head><body>${body}</body></html>
`.markup;
}

function enrollmentCard(enrollment: Obj, keyRing: Obj, config: Obj): SafeHtml {
  const active = enrollment["active"] === true;
  const kill = obj(enrollment["killSwitch"]);
  const why: string[] = [];
  if (kill["var"] === true) why.push("kill switch on (ENROLLMENT_DISABLED)");
  if (kill["kv"] === true) why.push("kill switch on (KV control/v1/kill)");
  if (keyRing["ok"] === false) why.push("no usable key ring");
  if (config["version"] === null || config["version"] === undefined) why.push("no config loaded");
  return html`<section class="card ${active ? "good" : "bad"}" id="enrollment" data-active="${String(active)}">
  <h2>Enrollment</h2>
  <p class="big">${active ? "active" : "not active"}</p>
  ${why.length > 0 && html`<p>${why.join("; ")}: requests pass through un-enrolled.</p>`}
  <dl>
    <dt>kill switch (var)</dt><dd>${kill["var"] === true ? "on" : "off"}</dd>
    <dt>kill switch (KV)</dt><dd>${kill["kv"] === true ? "on" : "off"}</dd>
  </dl>
</section>`;
}

function configCard(config: Obj, nowMs: number): SafeHtml {
  const version = config["version"];
  const error = config["lastLoadError"];
  return html`<section class="card ${typeof version === "string" ? (typeof error === "string" ? "warn" : "good") : "bad"}" id="config">
  <h2>Config</h2>
  ${typeof version === "string"
    ? html`<p class="big"><code id="config-version" title="${version}">${version.slice(0, 12)}</code></p>
  <dl>
    <dt>accepted</dt><dd>${when(config["acceptedAt"], nowMs)}</dd>
    <dt>age</dt><dd id="config-age">${typeof config["ageSeconds"] === "number" ? duration(config["ageSeconds"] * 1000) : "unknown"}</dd>
    <dt>loaded in isolate</dt><dd>${when(config["loadedInIsolateAt"], nowMs)}</dd>
    <dt>experiments</dt><dd>${text(config["experiments"])} on ${text(config["hosts"])} hosts</dd>
  </dl>`
    : html`<p class="big">none loaded</p><p>No config in KV yet: the poller has not accepted one.</p>`}
  ${typeof error === "string" && html`<p class="bad-text">last load error: ${error}</p>`}
</section>`;
}

const GOOD_POLLS = new Set(["updated", "unchanged", "not-modified"]);

function pollCard(value: unknown, nowMs: number): SafeHtml {
  if (value === null || value === undefined) {
    return html`<section class="card warn" id="poll"><h2>Last poll</h2><p class="big">none recorded</p><p>The scheduled handler has not run yet (it runs every minute).</p></section>`;
  }
  const poll = obj(value);
  if (typeof poll["error"] === "string" && poll["outcome"] === undefined) {
    return html`<section class="card bad" id="poll"><h2>Last poll</h2><p class="big">unknown</p><p class="bad-text">could not read the poll status: ${poll["error"]}</p></section>`;
  }
  const outcome = text(poll["outcome"]);
  const ok = GOOD_POLLS.has(outcome);
  const failures = typeof poll["consecutiveFailures"] === "number" ? poll["consecutiveFailures"] : 0;
  const issues = Array.isArray(poll["issues"]) ? (poll["issues"] as unknown[]) : [];
  return html`<section class="card ${ok ? "good" : "bad"}" id="poll" data-outcome="${outcome}">
  <h2>Last poll</h2>
  <p class="big">${outcome}${typeof poll["httpStatus"] === "number" && html` <small>HTTP ${poll["httpStatus"]}</small>`}</p>
  ${typeof poll["reason"] === "string" && html`<p class="${ok ? "" : "bad-text"}">${poll["reason"]}</p>`}
  <dl>
    <dt>at</dt><dd>${when(poll["at"], nowMs)}</dd>
    <dt>took</dt><dd>${typeof poll["durationMs"] === "number" ? `${poll["durationMs"]} ms` : "?"}</dd>
    <dt>last success</dt><dd>${when(poll["lastSuccessAt"], nowMs)}</dd>
    <dt>failures in a row</dt><dd class="${failures > 0 ? "bad-text" : ""}">${failures}</dd>
  </dl>
  ${issues.length > 0 && html`<details open><summary>first problems of the rejected document</summary><ul>${issues.map((i) => html`<li><code>${text(i)}</code></li>`)}</ul></details>`}
  <p class="muted">The poll record keeps the last outcome; earlier ones are in the worker's logs (<code>config.poll</code>).</p>
</section>`;
}

function keyRingCard(ring: Obj): SafeHtml {
  if (ring["ok"] !== true) {
    return html`<section class="card bad" id="key-ring"><h2>Key ring</h2><p class="big">unusable</p><p class="bad-text">${text(ring["error"])}</p></section>`;
  }
  const tags = Array.isArray(ring["tags"]) ? (ring["tags"] as unknown[]) : [];
  const dev = ring["developmentKey"] === true;
  return html`<section class="card ${dev ? "warn" : "good"}" id="key-ring">
  <h2>Key ring</h2>
  <p class="big">mints with tag <span id="minting-tag">${text(ring["mintingTag"])}</span></p>
  <p>verifies tags: <span id="key-tags">${tags.map((t) => text(t)).join(", ")}</span></p>
  ${dev && html`<p class="bad-text">the committed development key is in use: not for production</p>`}
  <p class="muted">Tags only; keys are never shown.</p>
</section>`;
}

// contract §10: whether preview links work here, and under which key tags.
function previewCard(ring: Obj): SafeHtml {
  if (ring["on"] !== true) {
    const error = ring["error"];
    return typeof error === "string"
      ? html`<section class="card bad" id="preview-keys" data-on="false"><h2>Preview links</h2><p class="big">off</p><p class="bad-text">${error}</p></section>`
      : html`<section class="card" id="preview-keys" data-on="false"><h2>Preview links</h2><p class="big">off</p><p class="muted">PREVIEW_KEYS is not set: <code>?wmf-preview=</code> and the <code>WMF-Preview</code> cookie pass through like any other.</p></section>`;
  }
  const tags = Array.isArray(ring["tags"]) ? (ring["tags"] as unknown[]) : [];
  const dev = ring["developmentKey"] === true;
  return html`<section class="card ${dev ? "warn" : "good"}" id="preview-keys" data-on="true">
  <h2>Preview links</h2>
  <p class="big">on</p>
  <p>links verify under tags: <span id="preview-key-tags">${tags.map((t) => text(t)).join(", ")}</span> (new links: tag <span id="preview-minting-tag">${text(ring["mintingTag"])}</span>)</p>
  ${dev && html`<p class="bad-text">the committed development preview key is in use: not for production</p>`}
  <p class="muted">Tags only; keys are never shown.</p>
</section>`;
}

function liveSection(live: Obj): SafeHtml {
  const hosts = Object.keys(live);
  return html`<section id="live"><h2>Live experiments per host <small>config order</small></h2>
${hosts.length === 0
  ? html`<p class="muted">No host has a live experiment.</p>`
  : html`<table class="live"><thead><tr><th>host</th><th>live</th><th>experiments</th></tr></thead><tbody>${hosts.map((h) => {
      const names = Array.isArray(live[h]) ? (live[h] as unknown[]).map((n) => text(n)) : [];
      return html`<tr data-host="${h}"><td><code>${h}</code></td><td class="num">${names.length}</td><td>${names.length === 0 ? html`<span class="muted">none</span>` : names.map((n, i) => html`${i > 0 && ", "}<span class="exp-name">${n}</span>`)}</td></tr>`;
    })}</tbody></table>`}
</section>`;
}

// Counters side by side: the plain ones in one table, each family (minted, cache...) in its own.
function counterGroups(counters: Obj): SafeHtml {
  const plain = Object.keys(counters).filter((k) => typeof counters[k] !== "object" || counters[k] === null);
  const families = Object.keys(counters).filter((k) => !plain.includes(k));
  return html`<div class="counter-groups">
  ${plain.length > 0 && html`<table class="kv">${plain.map((k) => html`<tr><th>${k}</th><td class="num" data-counter="${k}">${text(counters[k])}</td></tr>`)}</table>`}
  ${families.map((f) => html`<table class="kv"><caption>${f}</caption>${Object.entries(obj(counters[f])).map(([k, v]) => html`<tr><th>${k}</th><td class="num" data-counter="${`${f}.${k}`}">${value(v)}</td></tr>`)}</table>`)}
</div>`;
}

/** Any JSON value as nested key/value tables. */
function kvTable(o: Obj): SafeHtml {
  const keys = Object.keys(o);
  if (keys.length === 0) return html`<span class="muted">(empty)</span>`;
  return html`<table class="kv">${keys.map((k) => html`<tr><th>${k}</th><td>${value(o[k])}</td></tr>`)}</table>`;
}

function value(v: unknown): SafeHtml | string {
  if (v === null || v === undefined) return html`<span class="muted">null</span>`;
  if (Array.isArray(v)) {
    if (v.length === 0) return html`<span class="muted">[]</span>`;
    if (v.every((x) => x === null || typeof x !== "object")) return html`<code>${v.map((x) => text(x)).join(", ")}</code>`;
    return html`<ol>${v.map((x) => html`<li>${value(x)}</li>`)}</ol>`;
  }
  if (typeof v === "object") return kvTable(v as Obj);
  if (typeof v === "number") return html`<span class="num">${String(v)}</span>`;
  return text(v);
}

function obj(v: unknown): Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function text(v: unknown): string {
  if (v === null || v === undefined) return "–";
  return typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
}

function when(v: unknown, nowMs: number): SafeHtml | string {
  if (typeof v !== "string") return "never";
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) return v;
  return html`<time datetime="${v}" title="${v}">${v.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time> <span class="muted">(${nowMs >= ms ? `${duration(nowMs - ms)} ago` : `in ${duration(ms - nowMs)}`})</span>`;
}

/** 75_000 -> "1 min 15 s": ages at a glance. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const STYLE = trustedHtml(`
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#202122;max-width:72rem;margin:1.2rem auto;padding:0 1.2rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}h2 small{font-weight:normal;color:#54595d;font-size:.85rem;margin-left:.4rem}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f5;padding:0 .25em;border-radius:2px}
a{color:#36c}.meta,.muted{color:#54595d}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.8rem;margin-top:.8rem}
.card{border:1px solid #c8ccd1;border-top:5px solid #c8ccd1;border-radius:4px;padding:.3rem .8rem .6rem}
.card h2{margin:.3rem 0;font-size:.95rem;text-transform:uppercase;letter-spacing:.04em;color:#54595d}
.card.good{border-top-color:#14866d}.card.bad{border-top-color:#d33;background:#fff6f6}.card.warn{border-top-color:#c9a400;background:#fffbea}
.big{font-size:1.35rem;font-weight:600;margin:.1rem 0 .3rem}.big small{font-size:.8rem;color:#54595d;font-weight:normal}
.good .big{color:#14866d}.bad .big{color:#d33}
.bad-text{color:#d33;font-weight:600}
dl{display:grid;grid-template-columns:auto 1fr;gap:.05rem .6rem;margin:.3rem 0;font-size:13px}dt{color:#54595d}dd{margin:0}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #dde0e3;padding:.15rem .5rem;text-align:left;vertical-align:top}
th{background:#f8f9fa;font-weight:600}.kv .kv{margin:-.1rem 0}.num{text-align:right;font-variant-numeric:tabular-nums}
table.live{width:100%}
.counter-groups{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-start}caption{text-align:left;font-weight:600;padding:.1rem 0}.exp-name{white-space:nowrap}
ol,ul{margin:.2rem 0;padding-left:1.2rem}
details summary{cursor:pointer;color:#36c;margin:.3rem 0}
`);
