import type { ConfigIssue } from "../src/config-parse.js";
import { BUCKETS } from "../src/contract.js";
import { groupDigits, html, trustedHtml, type SafeHtml } from "../src/html.js";
import {
  PALETTE_SIZE,
  type Band,
  type BandDiff,
  type BucketMap,
  type ChangeSegment,
  type ExperimentDiff,
  type ExperimentMap,
  type GroupChange,
  type MapDiff,
  type Segment,
} from "./bucket-map.js";

/**
 * The bucket map as one self-contained HTML page: no script, no font, no request of any
 * kind (its Content-Security-Policy forbids them), so it can be mailed, attached to a
 * ticket or opened from disk. Every band is drawn on the same 0..99,999 axis, so bands of
 * experiments that share buckets line up column for column. Elements carry data attributes
 * (group, range, change) that tests and people's own scripts can read.
 */

export interface MapPageOptions {
  /** Where the config came from (a file or URL), shown in the heading. */
  readonly source: string;
  /** Where the older version came from, in diff mode. */
  readonly against?: string;
  /** A line or two under the heading (the emulation says which version the worker holds). */
  readonly notes?: readonly SafeHtml[];
  readonly title?: string;
}

/** The page for one version of a config. */
export function renderBucketMapHtml(map: BucketMap, options: MapPageOptions): string {
  const body = html`
<header>
  <h1>${options.title ?? "Bucket map"}</h1>
  <p class="meta"><code>${options.source}</code> · status at ${map.at} · ${plural(map.experiments, "experiment")} on ${plural(map.hosts.length, "host")}</p>
  ${options.notes?.map((n) => html`<p class="note">${n}</p>`)}
  ${legend(false)}
  ${warningList(map.warnings, "page-warnings")}
  ${hostNav(map.hosts.map((h) => h.host))}
</header>
<main>
${map.hosts.map(
  (host) => html`
<section class="host" id="${hostId(host.host)}" data-host="${host.host}">
  <h2>${host.host} <small>${host.live} live, ${host.scheduled} not yet live</small></h2>
  ${warningList(host.warnings, "host-warnings")}
  ${axis()}
  ${host.experiments.length === 0 ? html`<p class="empty">No live or scheduled experiment.</p>` : clusters(host.experiments, (e) => e.bucketSpace, (e) => experimentBlock(e))}
  ${host.ended.length > 0 && html`<p class="ended">Ended (not drawn): ${host.ended.join(", ")}</p>`}
</section>`,
)}
</main>`;
  return page(options.title ?? `Bucket map: ${options.source}`, body);
}

/** The page for a new version against an older one: what changes, bucket by bucket. */
export function renderBucketDiffHtml(diff: MapDiff, options: MapPageOptions & { readonly against: string }): string {
  const reshuffling = diff.reshuffling.length > 0;
  const body = html`
<header>
  <h1>${options.title ?? "Bucket map: what the new version changes"}</h1>
  <p class="meta">new <code>${options.source}</code> against old <code>${options.against}</code> · status at ${diff.after.at}</p>
  ${options.notes?.map((n) => html`<p class="note">${n}</p>`)}
  <p class="diff-summary ${reshuffling ? "bad" : "good"}" data-reshuffling="${diff.reshuffling.length}">
    ${plural(diff.changed, "experiment")} changed on a host.
    ${reshuffling
      ? html`<strong>${plural(diff.reshuffling.length, "change")} would reshuffle visitors already enrolled</strong> (moved to another group or out): ${diff.reshuffling.join(", ")}.`
      : "No change moves anyone already enrolled: ramps only add buckets."}
  </p>
  ${legend(true)}
  ${warningList(diff.after.warnings, "page-warnings")}
  ${hostNav(diff.hosts.map((h) => h.host))}
</header>
<main>
${diff.hosts.map((host) => {
  const after = diff.after.hosts.find((h) => h.host === host.host);
  return html`
<section class="host" id="${hostId(host.host)}" data-host="${host.host}">
  <h2>${host.host} <small>${after ? `${after.live} live, ${after.scheduled} not yet live` : "no longer in the config"}</small></h2>
  ${warningList(after?.warnings ?? [], "host-warnings")}
  ${axis()}
  ${clusters(host.experiments, (e) => (e.after ?? e.before)!.bucketSpace, (e) => experimentDiffBlock(e))}
</section>`;
})}
</main>`;
  return page(options.title ?? `Bucket map diff: ${options.source}`, body, "diff");
}

/** A page for a config that does not validate: every problem with its path. */
export function renderIssuesHtml(source: string, issues: readonly ConfigIssue[]): string {
  return page(
    `Invalid config: ${source}`,
    html`
<header>
  <h1>Invalid config</h1>
  <p class="meta"><code>${source}</code>: ${plural(issues.length, "problem")}; the worker would reject it and keep its last good config.</p>
</header>
<main><ul class="issues">${issues.map((i) => html`<li><code>${i.path}</code>: ${i.message}</li>`)}</ul></main>`,
  );
}

// --- pieces ------------------------------------------------------------------------------

function experimentBlock(e: ExperimentMap, change?: string): SafeHtml {
  return html`
<article class="exp" data-experiment="${e.name}" data-status="${e.status}" data-bucket-space="${e.bucketSpace}"${change === undefined ? "" : html` data-change="${change}"`}>
  ${experimentHead(e, change)}
  ${e.bands.map((b) => band(b, e.colours, bandLabel(b)))}
  ${warningList(e.warnings, "exp-warnings")}
</article>`;
}

function experimentHead(e: ExperimentMap, change?: string, reshuffled = 0): SafeHtml {
  const badges: SafeHtml[] = [];
  if (change !== undefined) badges.push(html`<span class="badge change-${change}">${CHANGE_LABEL[change] ?? change}</span>`);
  if (reshuffled > 0) badges.push(html`<span class="badge reshuffle">reshuffles ${groupDigits(reshuffled)} buckets</span>`);
  badges.push(e.status === "live" ? html`<span class="badge live">live</span>` : html`<span class="badge later">not yet live</span>`);
  if (e.sharedSelector) badges.push(html`<span class="badge shared" title="IDs are derived from this selector, not the experiment name">selector ${e.selector}</span>`);
  if (e.uniqueDomain) badges.push(html`<span class="badge unique" title="the host is an input of the subject ID: this host's buckets are its own">unique_domain</span>`);
  if (!e.cacheSplit) badges.push(html`<span class="badge client" title="in Server-Timing and events, never in the header the origin sees">cache_split false</span>`);
  if (e.eligibility !== null) badges.push(html`<span class="badge rule" data-eligibility="${e.eligibility}">eligible if <code>${e.eligibility}</code></span>`);
  if (e.bands.length > 1) badges.push(html`<span class="badge rule">${plural(e.bands.length - 1, "allocation")}</span>`);
  if (e.constants.length > 0) badges.push(html`<span class="badge rule">constants: ${e.constants.join(", ")}</span>`);
  if (e.warnings.length > 0) badges.push(html`<span class="badge warn">${plural(e.warnings.length, "warning")}</span>`);
  const same = e.sameBucketsAs.length > 0 ? html`<span class="same">same buckets as ${e.sameBucketsAs.join(", ")}</span>` : "";
  return html`<div class="exp-head"><h3>${e.name}</h3>${badges}<span class="dates">${e.start} → ${e.end}</span>${same}</div>`;
}

const CHANGE_LABEL: Readonly<Record<string, string>> = { unchanged: "unchanged", changed: "changed", added: "new", removed: "removed" };

function bandLabel(b: Band): SafeHtml {
  return b.rule === null
    ? html`<span class="band-name">default groups</span>`
    : html`<span class="band-name rule-name">if <code>${b.rule}</code></span>`;
}

/** One band; in diff pages (`rowLabel` given) its track sits in a labelled row like the diff rows. */
function band(b: Band, colours: Readonly<Record<string, number>>, label: SafeHtml, extraClass = "", rowLabel?: string): SafeHtml {
  const trackHtml = html`<div class="track">${b.segments.map((s) => seg(s, colours))}</div>`;
  return html`
  <div class="band ${b.rule === null ? "default" : "allocation"} ${extraClass}" data-rule="${b.rule ?? ""}">
    <div class="band-label">${label} <span class="sample">sample ${b.samplePercent}</span></div>
    ${rowLabel === undefined ? trackHtml : html`<div class="row"><span class="row-label">${rowLabel}</span>${trackHtml}</div>`}
    <ul class="keys">${b.segments.map((s) => key(s, colours))}</ul>
  </div>`;
}

function seg(s: Segment, colours: Readonly<Record<string, number>>): SafeHtml {
  const where = `left:${pct(s.first)}%;width:${pct(s.buckets)}%`;
  const range = `[${groupDigits(s.first)}, ${groupDigits(s.last)}]`;
  if (s.group === null) {
    const roomy = s.buckets >= BUCKETS * 0.15;
    return html`<div class="seg none" data-kind="unenrolled" data-first="${s.first}" data-last="${s.last}" data-buckets="${s.buckets}" style="${where}" title="${`not enrolled ${range}: ${groupDigits(s.buckets)} buckets (${s.percent})`}">${roomy && html`<span>not enrolled ${s.percent}</span>`}</div>`;
  }
  const wide = s.buckets >= BUCKETS * 0.06;
  return html`<div class="seg c${colours[s.group] ?? 0}" data-kind="group" data-group="${s.group}" data-first="${s.first}" data-last="${s.last}" data-buckets="${s.buckets}" style="${where}" title="${`${s.group} ${range}: ${groupDigits(s.buckets)} buckets (${s.percent})`}">${wide && html`<span>${s.group} ${s.percent}</span>`}</div>`;
}

function key(s: Segment, colours: Readonly<Record<string, number>>): SafeHtml {
  const range = html`<span class="range">${groupDigits(s.first)}–${groupDigits(s.last)}</span>`;
  if (s.group === null) return html`<li class="key-none"><i class="sw none"></i>not enrolled ${range} <b>${s.percent}</b></li>`;
  return html`<li><i class="sw c${colours[s.group] ?? 0}"></i><span class="gname">${s.group}</span> ${range} <b>${groupDigits(s.buckets)} (${s.percent})</b></li>`;
}

function experimentDiffBlock(d: ExperimentDiff): SafeHtml {
  if (d.kind === "added" || d.kind === "unchanged") {
    const e = d.after!;
    return html`
<article class="exp" data-experiment="${e.name}" data-status="${e.status}" data-bucket-space="${e.bucketSpace}" data-change="${d.kind}">
  ${experimentHead(e, d.kind)}
  ${e.bands.map((b) => band(b, d.colours, bandLabel(b), "", "now"))}
  ${warningList(e.warnings, "exp-warnings")}
</article>`;
  }
  if (d.kind === "removed") {
    const e = d.before!;
    return html`
<article class="exp removed" data-experiment="${e.name}" data-status="${e.status}" data-bucket-space="${e.bucketSpace}" data-change="removed">
  ${experimentHead(e, "removed")}
  <p class="note">Not live or scheduled on this host in the new version (removed or ended): its visitors are no longer enrolled.</p>
  ${e.bands.map((b) => band(b, d.colours, bandLabel(b), "before", "before"))}
</article>`;
  }
  const e = d.after!;
  return html`
<article class="exp${d.reshuffled > 0 ? " reshuffling" : ""}" data-experiment="${e.name}" data-status="${e.status}" data-bucket-space="${e.bucketSpace}" data-change="changed" data-reshuffled="${d.reshuffled}">
  ${experimentHead(e, "changed", d.reshuffled)}
  ${d.notes.length > 0 && html`<ul class="notes">${d.notes.map((n) => html`<li class="${d.rebucketed && n.startsWith("bucket space") ? "bad" : ""}">${n}</li>`)}</ul>`}
  ${d.bands.map((b) => bandDiff(b, d.colours))}
  ${warningList(e.warnings, "exp-warnings")}
</article>`;
}

function bandDiff(b: BandDiff, colours: Readonly<Record<string, number>>): SafeHtml {
  const name = b.rule === null ? html`default groups` : html`if <code>${b.rule}</code>`;
  const changed = b.groups.some((g) => g.kind !== "same") || b.ruleChange !== "same";
  const ruleNote =
    b.ruleChange === "added"
      ? html` <span class="badge change-added">new allocation</span> <span class="muted">(before: the default groups these visitors had)</span>`
      : b.ruleChange === "removed"
        ? html` <span class="badge change-removed">allocation removed</span> <span class="muted">(after: the default groups)</span>`
        : "";
  if (!changed) return band(b.after, colours, html`${name} <span class="muted">unchanged</span>`, "", "now");
  return html`
  <div class="band-diff" data-rule="${b.rule ?? ""}" data-reshuffled="${b.reshuffled}" data-enrolled="${b.enrolled}">
    <div class="band-label"><span class="band-name">${name}</span>${ruleNote}</div>
    <div class="row"><span class="row-label">before</span>${track(b.before, colours, "before")}</div>
    <div class="row"><span class="row-label">after</span>${track(b.after, colours, "after")}</div>
    <div class="row"><span class="row-label">change</span><div class="track change">${b.segments.map(changeSeg)}</div></div>
    <ul class="group-changes">${b.groups.filter((g) => g.kind !== "same").map((g) => groupChange(g, colours))}${b.segments
      .filter((s) => s.kind === "reshuffled" || s.kind === "dropped")
      .map((s) => html`<li class="bad">buckets ${groupDigits(s.first)}–${groupDigits(s.last)} (${s.percent}): <b>${s.before}</b> → <b>${s.after ?? "not enrolled"}</b></li>`)}</ul>
  </div>`;
}

function track(b: Band, colours: Readonly<Record<string, number>>, which: string): SafeHtml {
  return html`<div class="track ${which}" data-which="${which}">${b.segments.map((s) => seg(s, colours))}</div>`;
}

function changeSeg(s: ChangeSegment): SafeHtml {
  const where = `left:${pct(s.first)}%;width:${pct(s.buckets)}%`;
  const what =
    s.kind === "same"
      ? s.before === null ? "not enrolled, unchanged" : `${s.before}, unchanged`
      : s.kind === "enrolled" ? `newly enrolled in ${s.after}` : `${s.before} → ${s.after ?? "not enrolled"}`;
  const wide = s.buckets >= BUCKETS * 0.08 && s.kind !== "same";
  return html`<div class="chg ${s.kind}" data-change="${s.kind}" data-before="${s.before ?? ""}" data-after="${s.after ?? ""}" data-first="${s.first}" data-last="${s.last}" style="${where}" title="${`[${groupDigits(s.first)}, ${groupDigits(s.last)}] ${s.percent}: ${what}`}">${wide && html`<span>${s.kind === "enrolled" ? `+${s.percent}` : `${s.before}→${s.after ?? "out"}`}</span>`}</div>`;
}

function groupChange(g: GroupChange, colours: Readonly<Record<string, number>>): SafeHtml {
  const r = (x: readonly [number, number] | null) => (x === null ? "none" : `${groupDigits(x[0])}–${groupDigits(x[1])}`);
  const delta = g.delta === 0 ? "" : ` (${g.delta > 0 ? "+" : "−"}${groupDigits(Math.abs(g.delta))} buckets)`;
  return html`<li data-group="${g.group}" data-group-change="${g.kind}"><i class="sw c${colours[g.group] ?? 0}"></i><span class="gname">${g.group}</span> ${r(g.before)} → ${r(g.after)} <span class="kind ${g.kind}">${g.kind}</span>${delta}</li>`;
}

function clusters<T>(items: readonly T[], space: (item: T) => string, draw: (item: T) => SafeHtml): SafeHtml[] {
  const out: SafeHtml[] = [];
  const done = new Set<string>();
  for (const item of items) {
    const key = space(item);
    if (done.has(key)) continue;
    done.add(key);
    const members = items.filter((o) => space(o) === key);
    if (members.length === 1) {
      out.push(draw(item));
      continue;
    }
    out.push(html`
<div class="shared-buckets" data-bucket-space="${key}">
  <div class="shared-label"><b>Shared buckets:</b> ${members.length} experiments use one bucket space <code>${key}</code>: a visitor has the same bucket in each, so groups in the same columns go together.</div>
  ${members.map(draw)}
</div>`);
  }
  return out;
}

function axis(): SafeHtml {
  const ticks = [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, BUCKETS];
  return html`<div class="axis" aria-hidden="true">${ticks.map(
    (t) => html`<span class="tick${t === 0 ? " first" : t === BUCKETS ? " last" : ""}" style="left:${pct(t)}%">${t === BUCKETS ? "99,999" : groupDigits(t)}</span>`,
  )}</div>`;
}

function legend(diff: boolean): SafeHtml {
  const sw = Array.from({ length: 4 }, (_, i) => html`<i class="sw c${i}"></i>`);
  return html`<div class="legend">
  <span>${sw} a group: its slice of the 100,000 buckets (hover for the range)</span>
  <span><i class="sw none"></i> not enrolled</span>
  <span><span class="badge shared">selector …</span> <span class="badge-frame">framed together</span> share subject IDs and buckets</span>
  <span><span class="badge unique">unique_domain</span> buckets of this host only</span>
  <span><span class="badge rule">eligible if …</span> <span class="badge rule">allocations</span> rules (contract §8): each allocation its own band, in match order (first match wins)</span>
  <span><span class="badge warn">warning</span> valid, but probably not meant</span>
  ${diff && html`<span><i class="sw chg-enrolled"></i> newly enrolled (a ramp)</span> <span><i class="sw chg-reshuffled"></i> reshuffled or dropped: already enrolled, moved</span>`}
</div>`;
}

function warningList(warnings: readonly string[], cls: string): SafeHtml | "" {
  if (warnings.length === 0) return "";
  return html`<ul class="warnings ${cls}">${warnings.map((w) => html`<li>⚠ ${w}</li>`)}</ul>`;
}

function hostNav(hosts: readonly string[]): SafeHtml | "" {
  if (hosts.length < 2) return "";
  return html`<nav>Hosts: ${hosts.map((h, i) => html`${i > 0 && " · "}<a href="#${hostId(h)}">${h}</a>`)}</nav>`;
}

function hostId(host: string): string {
  return `host-${host}`;
}

function pct(buckets: number): string {
  return String(Math.round((buckets / BUCKETS) * 100 * 1000) / 1000);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** CSP of the page: nothing may load; inline styles and the inline icon only. */
export const MAP_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

function page(title: string, body: SafeHtml, bodyClass = "map"): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${MAP_PAGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="icon" href="data:,">
<style>${STYLE}</style></head>
<body class="${bodyClass}">${body}</body></html>
`.markup;
}

const PALETTE = [
  ["#3366cc", "#fff"],
  ["#e8850c", "#000"],
  ["#14866d", "#fff"],
  ["#b5467d", "#fff"],
  ["#66b3e0", "#000"],
  ["#7a4fb0", "#fff"],
  ["#d6c21a", "#000"],
  ["#8a5a2b", "#fff"],
] as const;

const STYLE = trustedHtml(`
:root{--ink:#202122;--muted:#54595d;--line:#c8ccd1;--bad:#d33;--good:#14866d}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);max-width:76rem;margin:1.2rem auto;padding:0 1.2rem;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:0 0 .4rem;padding-top:.4rem}h2 small{font-weight:normal;color:var(--muted);font-size:.85rem;margin-left:.5rem}
h3{font-size:1rem;margin:0 .4rem 0 0;display:inline}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f5;padding:0 .25em;border-radius:2px}
.meta,.muted,.ended,.empty{color:var(--muted)}
.note{background:#eaf3ff;border-left:3px solid #36c;padding:.3rem .6rem}
nav{margin:.4rem 0}nav a{color:#36c}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;font-size:12.5px;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:.4rem .6rem;margin:.5rem 0}
.legend>span{display:inline-flex;align-items:center;gap:.25rem}
.badge-frame{border:1px dashed #7a4fb0;padding:0 .3rem;border-radius:3px}
.host{border-top:2px solid var(--ink);margin-top:1.4rem;padding-top:.2rem}
/* Every track starts .5rem+1px inside the section (the .exp border and padding), the axis too;
   frames around shared buckets grow outwards (negative margins), so nothing shifts a track. */
.axis{position:sticky;top:0;z-index:2;height:1.4rem;background:#fff;border-bottom:1px solid var(--line);margin:.3rem calc(.5rem + 1px) .4rem;font-size:11px;color:var(--muted)}
.diff .axis{margin-left:calc(.5rem + 1px + 4rem)}
.tick{position:absolute;bottom:1px;transform:translateX(-50%);white-space:nowrap}
.tick::after{content:"";position:absolute;left:50%;bottom:-4px;height:4px;border-left:1px solid var(--muted)}
.tick.first{transform:none}.tick.first::after{left:0}.tick.last{transform:translateX(-100%)}.tick.last::after{left:100%}
.exp{margin:.5rem 0 .9rem;padding:.35rem .5rem .45rem;border:1px solid var(--line);border-radius:4px;background:#fff}
.exp.reshuffling{border:2px solid var(--bad);background:#fff6f6}
.exp.removed{opacity:.75}
.exp-head{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .35rem;margin-bottom:.25rem}
.dates{color:var(--muted);font-size:12px;margin-left:auto}.same{color:#7a4fb0;font-size:12px;flex-basis:100%}
.badge{display:inline-block;font-size:11.5px;line-height:1.5;padding:0 .4rem;border-radius:9px;border:1px solid;white-space:nowrap}
.badge code{font-size:11px;background:transparent;padding:0}
.badge.live{color:var(--good);border-color:var(--good)}.badge.later{color:#555;border-color:#999;background:#f3f3f3}
.badge.shared{color:#7a4fb0;border-color:#7a4fb0}.badge.unique{color:#a05a00;border-color:#a05a00}.badge.client{color:#555;border-color:#999}
.badge.rule{color:#0b5394;border-color:#0b5394;background:#eef5fc;white-space:normal}.badge.warn{color:#8a6d00;border-color:#c9a400;background:#fff8d6}
.badge.reshuffle{color:#fff;background:var(--bad);border-color:var(--bad);font-weight:bold}
.badge.change-changed{color:#fff;background:#36c;border-color:#36c}.badge.change-added{color:#fff;background:var(--good);border-color:var(--good)}
.badge.change-removed{color:#fff;background:#72777d;border-color:#72777d}.badge.change-unchanged{color:#72777d;border-color:#c8ccd1}
.band,.band-diff{margin:.2rem 0 .35rem}
.band.allocation .band-label,.band-diff:not([data-rule=""]) .band-label{color:#0b5394}
.band.allocation .band-label::before,.band-diff:not([data-rule=""]) .band-label::before{content:"↳ allocation ";font-weight:600}
.band.allocation .track,.band-diff:not([data-rule=""]) .track{border-top:2px solid #0b5394}
.band-label{font-size:12px;color:var(--muted);margin-bottom:.1rem}.band-name{color:var(--ink);font-weight:600}.sample{margin-left:.4rem}
.track{position:relative;height:24px;background:#fff;border:1px solid #a2a9b1;overflow:hidden}
.band.before .track,.track.before{opacity:.6}
.seg,.chg{position:absolute;top:0;bottom:0;min-width:3px;overflow:hidden;white-space:nowrap;font-size:11.5px;line-height:22px}
.seg+.seg{border-left:1px solid #fff}.seg[data-kind="group"]{z-index:1}.seg.none span{color:var(--muted);font-weight:normal}
.seg span,.chg span{padding:0 .3rem;font-weight:600}
.none,.sw.none{background:repeating-linear-gradient(135deg,#f1f2f3 0 5px,#dcdfe2 5px 7px);min-width:0}
${PALETTE.map(([bg, fg], i) => `.c${i}{background:${bg};color:${fg}}`).join("")}
.keys,.group-changes,.warnings,.notes,.issues{list-style:none;margin:.15rem 0 0;padding:0;font-size:12.5px}
.keys{display:flex;flex-wrap:wrap;gap:0 1rem}.keys li{white-space:nowrap}.key-none{color:var(--muted)}
.range{color:var(--muted);font-variant-numeric:tabular-nums}.gname{font-weight:600}
.sw{display:inline-block;width:.85rem;height:.85rem;vertical-align:-2px;margin-right:.25rem;border:1px solid rgba(0,0,0,.25)}
.row{display:flex;align-items:center;margin:.12rem 0}.row .track{flex:1}.row-label{flex:0 0 4rem;padding-right:.4rem;font-size:11.5px;color:var(--muted);text-align:right}
.diff .keys,.diff .band-label{margin-left:4rem}
.track.change{background:#fafafa;height:18px}.chg{line-height:16px;border-right:0}
.chg.same{background:transparent}.chg.enrolled,.sw.chg-enrolled{background:repeating-linear-gradient(135deg,#a3d9c9 0 5px,#14866d 5px 7px);color:#000}
.chg.reshuffled,.chg.dropped,.sw.chg-reshuffled{background:var(--bad);color:#fff;min-width:4px}.chg.dropped{background:repeating-linear-gradient(135deg,#d33 0 5px,#8b1a1a 5px 7px)}
.group-changes{margin-left:4rem}.kind{font-weight:600}.kind.widened,.kind.added{color:var(--good)}.kind.moved,.kind.narrowed,.kind.removed{color:var(--bad)}
.bad{color:var(--bad)}.good{color:var(--good)}li.bad{font-weight:600}
.warnings li{background:#fff8d6;border-left:3px solid #c9a400;padding:.15rem .5rem;margin:.15rem 0}
.notes li{padding:.05rem 0}
.diff-summary{font-size:15px;padding:.4rem .6rem;border-radius:4px}.diff-summary.bad{background:#fee7e6;border:1px solid var(--bad)}.diff-summary.good{background:#e6f4ef;border:1px solid var(--good)}
.shared-buckets{border:2px dashed #7a4fb0;border-radius:6px;padding:.1rem calc(.7rem - 2px);margin:.6rem -.7rem;background:#faf7fd}
.shared-label{color:#5b3a87;font-size:12.5px;margin:.2rem 0}
`);
