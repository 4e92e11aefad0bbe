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
