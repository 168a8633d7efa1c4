import { formatBytes } from '../../lambdas/common/format';
import { describeSkippedExtensions } from '../../lambdas/common/run-facts';
import {
  databaseRows,
  type DatabaseResult,
  type DatabaseRunRecord,
  type RunError,
  type RunRecord,
} from '../contracts/run-record';

export { formatBytes };

function errorLines(error: RunError, indent: string): string[] {
  return [
    `${indent}failed in ${error.state}: ${error.name}`,
    ...error.message
      .split('\n')
      .slice(0, 8)
      .map((l) => `${indent}  ${l}`),
  ];
}

/** The lines of one database of a run. */
function databaseLines(d: DatabaseResult, indent: string): string[] {
  const lines: string[] = [];
  if (d.backup) {
    lines.push(`${indent}backup: ${formatBytes(d.backup.bytes)} in ${d.backup.seconds.toFixed(1)} s`);
    lines.push(`${indent}key:    ${d.backup.key}`);
    if (d.backup.sha256) lines.push(`${indent}sha256: ${d.backup.sha256}`);
  }
  if (d.verify) {
    lines.push(
      `${indent}restore: ${d.verify.restoreSeconds.toFixed(1)} s (today's measured recovery time); checks ${d.verify.checks}/${d.verify.checks} passed`,
    );
    if (d.verify.skippedExtensions?.length)
      lines.push(`${indent}extensions: ${describeSkippedExtensions(d.verify.skippedExtensions)}`);
  }
  if (d.error) lines.push(...errorLines(d.error, indent));
  return lines;
}

/** A few human lines describing a result (the terminal summary): the run, then each database. */
export function describeResult(result: RunRecord): string[] {
  const lines: string[] = [];
  const ok = result.status === 'SUCCEEDED';
  const databases = result.databases ?? [];
  if (databases.length > 1) {
    const failed = databases.filter((d) => d.status === 'FAILED').length;
    lines.push(
      ok
        ? `✅ ${databases.length} databases verified, run ${result.runId}`
        : `❌ run failed: ${failed} of ${databases.length} databases failed, run ${result.runId}`,
    );
    for (const d of databases) {
      lines.push(`${d.status === 'SUCCEEDED' ? '  ✅' : '  ❌'} ${d.database}${d.isNew ? ' (new)' : ''}`);
      lines.push(...databaseLines(d, '     '));
    }
    // An error outside the Map (the snitch, say) is the run's own.
    if (result.error && failed === 0) lines.push(...errorLines(result.error, '   '));
    return lines;
  }
  // A re-verification made no backup: say which existing one it proved (or failed to).
  if (result.verifyBackup)
    lines.push(
      `${ok ? '✅ existing backup re-verified' : '❌ re-verification failed'}: ${result.verifyBackup}, run ${result.runId}`,
    );
  else lines.push(`${ok ? '✅ backup verified' : '❌ run failed'}: database ${result.database}, run ${result.runId}`);
  const [only] = databases;
  if (only) {
    lines.push(...databaseLines({ ...only, error: undefined }, '   '));
  } else {
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
  }
  if (result.error) lines.push(...errorLines(result.error, '   '));
  return lines;
}

/**
 * Runs as a plain table, one row per database per run, newest first as given: both `history` paths (local and AWS)
 * print this one table. The database column is shown where rows of several databases can be listed together.
 */
export function runTable(runs: readonly RunRecord[], options: { showDatabase: boolean }): string {
  const rows = runs.flatMap(databaseRows);
  const showDatabase = options.showDatabase || runs.some((r) => (r.databases?.length ?? 0) > 1);
  const columns: { header: string; cell: (r: DatabaseRunRecord) => string; shown?: boolean }[] = [
    { header: 'started (UTC)', cell: (r) => r.startedAt.replace('T', ' ').slice(0, 19) },
    { header: 'database', cell: (r) => `${r.database}${r.isNew ? ' (new)' : ''}`, shown: showDatabase },
    { header: 'status', cell: (r) => r.status },
    { header: 'duration', cell: (r) => (r.seconds !== undefined ? `${Math.round(r.seconds)} s` : '-') },
    { header: 'size', cell: (r) => (r.backup ? formatBytes(r.backup.bytes) : '-') },
    { header: 'dump s', cell: (r) => (r.backup ? r.backup.seconds.toFixed(1) : '-') },
    { header: 'restore s', cell: (r) => (r.verify ? r.verify.restoreSeconds.toFixed(1) : '-') },
    {
      header: 'checks / error',
      // A verified database passed every check: a failing one fails its verification.
      cell: (r) =>
        r.verify ? `${r.verify.checks}/${r.verify.checks}` : r.error ? `${r.error.name} in ${r.error.state}` : '-',
    },
  ];
  const shown = columns.filter((c) => c.shown !== false);
  return plainTable(
    shown.map((c) => c.header),
    rows.map((r) => shown.map((c) => c.cell(r))),
  );
}

/** Columns padded to their widest cell, a dashed rule under the header: the CLI's one table format. */
export function plainTable(header: readonly string[], cells: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const fmt = (line: readonly string[]) =>
    line
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...cells.map(fmt)].join('\n');
}
