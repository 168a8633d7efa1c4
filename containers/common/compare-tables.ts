import type { TableStat } from './manifest';

const name = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

/** Pure: compares restored tables with the manifest; names the first mismatches (missing, extra, different). */
export function compareTables(
  expected: readonly TableStat[],
  actual: readonly TableStat[],
  field: 'rows' | 'contentHash',
): string[] {
  const byName = new Map(actual.map((t) => [name(t), t]));
  const problems: string[] = [];
  for (const table of expected) {
    const got = byName.get(name(table));
    if (!got) {
      problems.push(`${name(table)}: missing after restore`);
    } else if (got[field] !== table[field]) {
      problems.push(
        field === 'rows'
          ? `${name(table)}: ${got.rows} rows restored, ${table.rows} in the dump's snapshot`
          : `${name(table)}: content differs from the dump's snapshot (${table.rows} rows before, ${got.rows} after)`,
      );
    }
    byName.delete(name(table));
  }
  for (const extra of byName.values()) problems.push(`${name(extra)}: present after restore but not in the manifest`);
  return problems;
}
