/**
 * The top-level entries of a JSON object text, found without parsing it: each key (decoded)
 * and where its value's text lies, so a large document can be parsed entry by entry in
 * slices (one JSON.parse of a few megabytes holds an isolate for tens of milliseconds).
 * Strict about everything between the entries, so parsing the pieces accepts exactly what
 * parsing the whole would: anything this does not recognise is null, and the caller parses
 * the whole text (which then reports the error).
 */

import type { Steps } from "./steps.js";

/** Keys in document order (repeats included) and the [start, end) of each value's text. */
export interface TopLevelEntries {
  readonly keys: string[];
  readonly starts: number[];
  readonly ends: number[];
}

/**
 * Scans `text` as `{ "key": value, ... }`; yields after about every `sliceChars`
 * characters, where a caller may pause. Null: not such an object (or not valid JSON).
 */
export function* topLevelEntries(text: string, sliceChars: number): Steps<TopLevelEntries | null> {
  const n = text.length;
  const keys: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return null;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d /* } */) return skipSpace(text, i + 1) === n ? { keys, starts, ends } : null;
  let budget = sliceChars;
  for (;;) {
    // JSON.parse decodes the key and refuses what a key may not hold (raw control characters).
    // It also makes the two checks this skips: a slice that does not open with a quote here
    // (skipSpace left a character that is no JSON space) is no JSON string, and without a
    // closing quote (-1) the slice is empty.
    const close = stringEnd(text, i);
    let key: unknown;
    try {
      key = JSON.parse(text.slice(i, close + 1));
    } catch {
      return null;
    }
    keys.push(key as string);
    i = skipSpace(text, close + 1);
    if (text.charCodeAt(i) !== 0x3a /* : */) return null;
    i = skipSpace(text, i + 1);
    const start = i;
    // The value runs to the first ',' or '}' outside strings and brackets.
    let depth = 0;
    for (;;) {
      if (i >= n) return null;
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const end = stringEnd(text, i);
        if (end < 0) return null;
        budget -= end + 1 - i;
        i = end + 1;
      } else {
        if (c === 0x7b || c === 0x5b /* [ */) depth++;
        else if (c === 0x7d || c === 0x5d /* ] */) {
          if (depth === 0) break;
          depth--;
        } else if (c === 0x2c /* , */ && depth === 0) break;
        i++;
        budget--;
      }
      if (budget <= 0) {
        budget = sliceChars;
        yield;
      }
    }
    let end = i;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    if (end === start) return null;
    starts.push(start);
    ends.push(end);
    if (text.charCodeAt(i) === 0x2c) {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (text.charCodeAt(i) !== 0x7d) return null;
    return skipSpace(text, i + 1) === n ? { keys, starts, ends } : null;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * The closing quote of the JSON string opening at `open`, or -1. Native search for each
 * quote; one preceded by an odd run of backslashes is escaped.
 */
export function stringEnd(text: string, open: number): number {
  let close = open;
  for (;;) {
    close = text.indexOf('"', close + 1);
    if (close < 0) return -1;
    let b = close - 1;
    while (text.charCodeAt(b) === 0x5c /* \ */) b--;
    if ((close - 1 - b) % 2 === 0) return close;
  }
}
