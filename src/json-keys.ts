import { stringEnd } from "./json-entries.js";

/**
 * What `JSON.parse` hides: the document order of the top-level keys (JS objects put
 * integer-like keys such as "12345678" first), and duplicate keys (the last one silently
 * wins). Both matter to the config: headers list experiments in document order, and a
 * duplicated experiment is an authoring error upstream would reject.
 */

/** Top-level key order and every duplicated key with its path; the text must be valid JSON. */
export interface JsonKeyReport {
  readonly topLevelOrder: string[];
  readonly duplicates: { path: (string | number)[]; key: string }[];
}

/**
 * The same report, given the value JSON.parse made of `text`. Fast path: when the text has
 * as many keys as the parsed value (so no object repeated one) and no top-level key is an
 * array index (so Object.keys is document order), the report is Object.keys of the value,
 * found with native string searches instead of a JavaScript pass over every character;
 * otherwise scanJsonKeys finds each duplicate and the real order.
 */
export function jsonKeyReport(text: string, value: unknown): JsonKeyReport {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const top = Object.keys(value);
    if (!top.some((k) => INDEX_KEY.test(k)) && parsedKeyCount(value) === keyCountInText(text)) return { topLevelOrder: top, duplicates: [] };
  }
  return scanJsonKeys(text);
}

// Keys an object puts first whatever their document position (array-index-like names).
const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

// Own keys of every object in a parsed JSON value. Iterative: a hostile document nested
// deeper than the call stack must not throw here.
function parsedKeyCount(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
      continue;
    }
    for (const k in v) {
      count++;
      stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return count;
}

// Keys in valid JSON text: each key is followed by the only kind of ':' outside strings.
// Strings are skipped with native searches (stringEnd).
function keyCountInText(text: string): number {
  let count = 0;
  let at = 0;
  let colon = text.indexOf(":");
  for (;;) {
    const open = text.indexOf('"', at);
    const end = open < 0 ? text.length : open;
    while (colon >= 0 && colon < end) {
      count++;
      colon = text.indexOf(":", colon + 1);
    }
    if (open < 0) return count;
    const close = stringEnd(text, open);
    if (close < 0) return -1;
    at = close + 1;
    if (colon >= 0 && colon < at) colon = text.indexOf(":", at);
  }
}

/** Scans valid JSON text once (call after JSON.parse succeeded). */
export function scanJsonKeys(text: string): JsonKeyReport {
  const topLevelOrder: string[] = [];
  const duplicates: { path: (string | number)[]; key: string }[] = [];
  // One frame per open container: its keys so far (objects) or its index (arrays). Keys
  // live in a small array (most objects here have one or two) and move to a Set past 16.
  const stack: { keys: string[] | Set<string> | null; index: number; key: string | number }[] = [];
  let pendingKey: string | null = null;
  let i = 0;
  const n = text.length;

  const pathOf = (): (string | number)[] => stack.slice(1).map((f) => f.key);

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      const top = stack[stack.length - 1];
      if (top && top.keys && pendingKey === null && isKeyPosition(text, i)) {
        // Most keys have no escapes: take the text as is, decode only when needed.
        const raw = text.slice(start + 1, i - 1);
        const key = raw.includes("\\") ? (JSON.parse(text.slice(start, i)) as string) : raw;
        const keys = top.keys;
        if (Array.isArray(keys)) {
          if (keys.includes(key)) duplicates.push({ path: pathOf(), key });
          keys.push(key);
          if (keys.length > 16) top.keys = new Set(keys);
        } else {
          if (keys.has(key)) duplicates.push({ path: pathOf(), key });
          keys.add(key);
        }
        if (stack.length === 1) topLevelOrder.push(key);
        pendingKey = key;
      }
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      const key = parent ? (parent.keys ? (pendingKey ?? "") : parent.index) : "";
      stack.push({ keys: c === 0x7b ? [] : null, index: 0, key });
      pendingKey = null;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      pendingKey = null;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
      pendingKey = null;
    }
    i++;
  }
  return { topLevelOrder, duplicates };
}

// A string is a key when the next non-space character is a colon.
function isKeyPosition(text: string, i: number): boolean {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) return true;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
    i++;
  }
  return false;
}
