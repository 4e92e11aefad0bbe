import { parseConfigText } from "../src/config-parse.js";
import { html } from "../src/html.js";
import { buildBucketMap, diffBucketMaps } from "../tools/bucket-map.js";
import { renderBucketDiffHtml, renderBucketMapHtml, renderIssuesHtml } from "../tools/bucket-map-html.js";

/**
 * The emulation's `/_emulation/map`: config:check's bucket map of the config the worker
 * holds right now (its accepted document in KV), and, when the config API's file has been
 * edited since, a link to what the next poll would change (`?pending`), drawn with the same
 * diff as `config:check --against`.
 */

/** The worker's accepted document (KV `config/v1/document`), or null before any poll accepted one. */
export interface HeldConfig {
  readonly text: string;
  readonly version: string | null;
}

/** The file the config API serves. */
export interface ServedConfig {
  readonly file: string;
  readonly text: string | null;
}

export interface MapPageInput {
  readonly held: HeldConfig | null;
  readonly served: ServedConfig;
  readonly nowMs: number;
  /** Show the changes the served file would make instead of the held map. */
  readonly pending: boolean;
}

/** The page's HTML. */
export function emulationMapPage(input: MapPageInput): string {
  const { held, served, nowMs } = input;
  const heldParsed = held === null ? null : parseConfigText(held.text);
  const servedParsed = served.text === null ? null : parseConfigText(served.text);
  const version = versionLabel(held);
  const differs = held !== null && served.text !== null && served.text !== held.text;
  const back = html`<a href="/_emulation/map">the map of the config the worker holds</a>`;

  if (input.pending) {
    if (!differs || heldParsed === null || !heldParsed.ok) {
      return renderBucketMapPageOrIssues(input, [html`Nothing pending: the config API serves what the worker holds. See ${back}.`]);
    }
    if (servedParsed === null || !servedParsed.ok) {
      return renderIssuesHtml(`${served.file} (pending; the next poll will reject it and keep ${version})`, servedParsed?.ok === false ? servedParsed.issues : []);
    }
    const diff = diffBucketMaps(buildBucketMap(heldParsed.config, nowMs), buildBucketMap(servedParsed.config, nowMs));
    return renderBucketDiffHtml(diff, {
      source: served.file,
      against: `the worker's config (${version})`,
      title: "What the next poll would change",
      notes: [html`The config API's file differs from the config the worker holds. Poll now (press Enter where <code>npm start</code> runs, or <code>POST /_emulation/poll</code> here) to load it. Back to ${back}.`],
    });
  }
  const notes = differs
    ? [html`The config API's file (<code>${served.file}</code>) has changed since the worker accepted this version: see <a href="/_emulation/map?pending" id="pending-link">what the next poll would change</a>.`]
    : [];
  return renderBucketMapPageOrIssues(input, notes);
}

function renderBucketMapPageOrIssues(input: MapPageInput, notes: ReturnType<typeof html>[]): string {
  const { held, served, nowMs } = input;
  if (held === null) {
    const parsed = served.text === null ? null : parseConfigText(served.text);
    if (parsed === null || !parsed.ok) return renderIssuesHtml(`${served.file} (the worker holds no config yet)`, parsed?.ok === false ? parsed.issues : []);
    return renderBucketMapHtml(buildBucketMap(parsed.config, nowMs), {
      source: served.file,
      title: "Bucket map of the config API's file",
      notes: [html`The worker holds no config yet (no poll has accepted one), so this is the file the config API serves.`, ...notes],
    });
  }
  const parsed = parseConfigText(held.text);
  if (!parsed.ok) return renderIssuesHtml("the worker's stored config", parsed.issues);
  return renderBucketMapHtml(buildBucketMap(parsed.config, nowMs), {
    source: `the worker's config, ${versionLabel(held)}`,
    title: "Bucket map of the config the worker holds",
    notes: [html`What the emulated edge enrols visitors with now (its accepted document in KV). The same page as <code>npm run config:check -- FILE --html map.html</code>.`, ...notes],
  });
}

function versionLabel(held: HeldConfig | null): string {
  return held?.version == null ? "unknown version" : `version ${held.version.slice(0, 12)}`;
}
