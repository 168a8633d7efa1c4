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
