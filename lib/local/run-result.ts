import { formatBytes } from '../../lambdas/common/format';
import { describeSkippedExtensions } from '../../lambdas/common/run-facts';
import type { RunRecord } from '../contracts/run-record';

export { formatBytes };

/** A few human lines describing a result (the terminal summary). */
export function describeResult(result: RunRecord): string[] {
  const lines: string[] = [];
  const ok = result.status === 'SUCCEEDED';
  lines.push(`${ok ? '✅ backup verified' : '❌ run failed'}: database ${result.database}, run ${result.runId}`);
  if (result.backup) {
    lines.push(
      `   backup: ${formatBytes(result.backup.bytes)} in ${result.backup.seconds.toFixed(1)} s, ${result.backup.tables ?? '?'} tables, ${result.backup.rows ?? '?'} rows`,
    );
    lines.push(`   key:    ${result.backup.key}`);
    lines.push(`   sha256: ${result.backup.sha256}`);
  }
  if (result.verify) {
    const passed = result.verify.checks.filter((c) => c.passed).length;
    lines.push(
      `   restore: ${result.verify.restoreSeconds.toFixed(1)} s (today's measured recovery time); checks ${passed}/${result.verify.checks.length} passed`,
    );
    for (const c of result.verify.checks) lines.push(`     ${c.passed ? '✓' : '✗'} ${c.name}: ${c.value ?? ''}`);
    if (result.verify.skippedExtensions?.length)
      lines.push(`   extensions: ${describeSkippedExtensions(result.verify.skippedExtensions)}`);
  }
  if (result.error) {
    lines.push(`   failed in ${result.error.state}: ${result.error.name}`);
    for (const l of result.error.message.split('\n').slice(0, 8)) lines.push(`     ${l}`);
  }
  return lines;
}

/**
 * Run records as a plain table, newest first as given: both `history` paths (local and AWS) print this one table.
 * The database column is shown where runs of several databases can be listed together (a local state dir).
 */
export function runTable(runs: readonly RunRecord[], options: { showDatabase: boolean }): string {
  const columns: { header: string; cell: (r: RunRecord) => string; shown?: boolean }[] = [
    { header: 'started (UTC)', cell: (r) => r.startedAt.replace('T', ' ').slice(0, 19) },
    { header: 'database', cell: (r) => r.database, shown: options.showDatabase },
    { header: 'status', cell: (r) => r.status },
    { header: 'duration', cell: (r) => (r.seconds !== undefined ? `${Math.round(r.seconds)} s` : '-') },
    { header: 'size', cell: (r) => (r.backup ? formatBytes(r.backup.bytes) : '-') },
    { header: 'dump s', cell: (r) => (r.backup ? r.backup.seconds.toFixed(1) : '-') },
    { header: 'restore s', cell: (r) => (r.verify ? r.verify.restoreSeconds.toFixed(1) : '-') },
    {
      header: 'checks / error',
      cell: (r) =>
        r.verify
          ? `${r.verify.checks.filter((c) => c.passed).length}/${r.verify.checks.length}`
          : r.error
            ? `${r.error.name} in ${r.error.state}`
            : '-',
    },
  ];
  const shown = columns.filter((c) => c.shown !== false);
  const rows = runs.map((r) => shown.map((c) => c.cell(r)));
  const header = shown.map((c) => c.header);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
