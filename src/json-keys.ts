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
 * The same report, given the value JSON.parse made of `text`: the fast path's answer when it
 * has one, else scanJsonKeys's.
 */
export function jsonKeyReport(text: string, value: unknown): JsonKeyReport {
  const order = plainKeyOrder(text, value);
  return order !== null ? { topLevelOrder: order, duplicates: [] } : scanJsonKeys(text);
}

/**
 * The top-level key order of an object document that repeats no key anywhere and has no
 * array-index key at the top (so Object.keys is document order); null otherwise, and then
 * only scanJsonKeys can tell. Exact both ways: null exactly when the document is no object,
 * repeats a key, or has such a key. Fast because the text has as many keys as the parsed
 * value exactly when no object repeated one, and that count takes native string searches
 * instead of a JavaScript pass over every character.
 */
export function plainKeyOrder(text: string, value: unknown): string[] | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const top = Object.keys(value);
  return !top.some((k) => INDEX_KEY.test(k)) && parsedKeyCount(value) === keyCountInText(text) ? top : null;
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
      // In valid JSON a string is a key exactly when it comes where an object expects one.
      if (top && top.keys && pendingKey === null) {
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

