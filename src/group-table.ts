/**
 * The domain rules of one group table (contract §1), wherever the table sits (a domain's
 * groups, an allocation's): no reversed range, no two names that differ only by case, no
 * two ranges that overlap. The schema has already checked each range alone.
 */

/** Group name → [first, last] bucket. */
export type GroupTable = Readonly<Record<string, readonly [number, number]>>;

/** One problem, at the group it names. */
export interface GroupIssue {
  readonly group: string;
  readonly message: string;
}

/**
 * True when groupIssues would find nothing. Fast path: pairwise checks without allocating
 * (a table has a few groups), for every domain of every experiment. A table of more than 8
 * groups always gets false, and the caller asks groupIssues.
 */
export function groupsAreSound(table: GroupTable): boolean {
  const names = Object.keys(table);
  if (names.length > 8) return false;
  for (let i = 0; i < names.length; i++) {
    const a = names[i]!;
    const [lo, hi] = table[a]!;
    if (lo > hi) return false;
    for (let j = 0; j < i; j++) {
      const b = names[j]!;
      const other = table[b]!;
      if (lo <= other[1] && other[0] <= hi) return false;
      // Names are ASCII (GROUP_NAME): equal in lower case means equal length.
      if (a.length === b.length && a.toLowerCase() === b.toLowerCase()) return false;
    }
  }
  return true;
}

/** Every problem of the table, in the table's order and then by range. */
export function groupIssues(table: GroupTable): GroupIssue[] {
  const issues: GroupIssue[] = [];
  const groups = Object.entries(table);
  const folded = new Map<string, string>();
  for (const [group, [lo, hi]] of groups) {
    if (lo > hi) issues.push({ group, message: `range [${lo}, ${hi}] is reversed: first must be <= last` });
    if (groups.length > 1) {
      const twin = folded.get(group.toLowerCase());
      if (twin !== undefined) issues.push({ group, message: `group name differs from ${JSON.stringify(twin)} only by case` });
      folded.set(group.toLowerCase(), group);
    }
  }
  // Sorted by start, a range overlaps an earlier one exactly when it starts at or before
  // the furthest end seen so far.
  const sorted = groups.filter(([, [lo, hi]]) => lo <= hi).sort((a, b) => a[1][0] - b[1][0]);
  let furthest: [string, readonly [number, number]] | undefined;
  for (const [name, cur] of sorted) {
    if (furthest && cur[0] <= furthest[1][1]) {
      const [prevName, prev] = furthest;
      issues.push({ group: name, message: `range [${cur[0]}, ${cur[1]}] overlaps group ${JSON.stringify(prevName)} [${prev[0]}, ${prev[1]}]` });
    }
    if (!furthest || cur[1] > furthest[1][1]) furthest = [name, cur];
  }
  return issues;
}
