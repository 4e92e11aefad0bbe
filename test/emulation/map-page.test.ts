import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SAMPLE_CONFIG_FILE } from "../../emulation/config-api.js";
import { emulationMapPage } from "../../emulation/map-page.js";

const SAMPLE = readFileSync(SAMPLE_CONFIG_FILE, "utf8");
const NOW = Date.parse("2026-01-01T00:00:00Z");
const VERSION = "ab".repeat(32);
const served = (text: string | null) => ({ file: "sample-config.json", text });

function edited(): string {
  const doc = JSON.parse(SAMPLE) as Record<string, { domains: Record<string, { groups: Record<string, number[]> }> }>;
  doc["search-suggest-sample"]!.domains["en.wikipedia.localhost"]!.groups = { control: [0, 9999], treatment: [10000, 19999] };
  return JSON.stringify(doc);
}

describe("emulationMapPage", () => {
  it("maps the config the worker holds, with its version", () => {
    const page = emulationMapPage({ held: { text: SAMPLE, version: VERSION }, served: served(SAMPLE), nowMs: NOW, pending: false });
    expect(page).toContain("<h1>Bucket map of the config the worker holds</h1>");
    expect(page).toContain(`version ${VERSION.slice(0, 12)}`);
    expect(page).toContain('data-experiment="sticky-header-2026"');
    expect(page).not.toContain("pending-link");
  });

  it("links to what the next poll would change when the file was edited, and draws it", () => {
    const held = { text: SAMPLE, version: VERSION };
    expect(emulationMapPage({ held, served: served(edited()), nowMs: NOW, pending: false })).toContain('href="/_emulation/map?pending" id="pending-link"');
    const pending = emulationMapPage({ held, served: served(edited()), nowMs: NOW, pending: true });
    expect(pending).toContain("<h1>What the next poll would change</h1>");
    expect(pending).toMatch(/data-experiment="search-suggest-sample"[^>]*data-change="changed" data-reshuffled="5000"/);
    // Nothing pending: says so.
    expect(emulationMapPage({ held, served: served(SAMPLE), nowMs: NOW, pending: true })).toContain("Nothing pending");
  });

  it("an edited file that would be rejected lists its problems", () => {
    const page = emulationMapPage({ held: { text: SAMPLE, version: VERSION }, served: served("{ broken"), nowMs: NOW, pending: true });
    expect(page).toContain("<h1>Invalid config</h1>");
    expect(page).toContain(`keep version ${VERSION.slice(0, 12)}`);
  });

  it("before any poll, maps the config API's file and says so", () => {
    const page = emulationMapPage({ held: null, served: served(SAMPLE), nowMs: NOW, pending: false });
    expect(page).toContain("The worker holds no config yet");
    expect(page).toContain('data-experiment="font-size-per-wiki"');
  });
});
