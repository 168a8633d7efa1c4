import { formatBytes } from '../../lambdas/common/format';
import { describeSkippedExtensions } from '../../lambdas/common/run-facts';

export { formatBytes };

/** The result of one run, as `--json` prints it and the local history keeps it (DESIGN.md §6). No secrets. */
export interface RunResult {
  status: 'SUCCEEDED' | 'FAILED';
  runId: string;
  database: string;
  startedAt: string;
  finishedAt: string;
  reason?: string;
  backup?: { key: string; bytes: number; sha256: string; seconds: number; tables: number; rows: number };
  verify?: {
    restoreSeconds: number;
    checks: Array<{ name: string; passed: boolean; value: string; expectation: string; detail?: string }>;
    /** RDS-only extensions left out of the restore ("not restorable outside RDS: skipped"); absent in older history. */
    skippedExtensions?: string[];
  };
  error?: { state: string; name: string; message: string };
  /** What the chat step did: posted, or (no webhook) the message that would have been posted. */
  chat?: { posted: boolean; text: string };
  /** Whether the dead-man's switch was checked in (success path only). */
  snitch?: { checkedIn: boolean };
}

/** A few human lines describing a result (the terminal summary). */
export function describeResult(result: RunResult): string[] {
  const lines: string[] = [];
  const ok = result.status === 'SUCCEEDED';
  lines.push(`${ok ? '✅ backup verified' : '❌ run failed'}: database ${result.database}, run ${result.runId}`);
  if (result.backup) {
    lines.push(`   backup: ${formatBytes(result.backup.bytes)} in ${result.backup.seconds.toFixed(1)} s, ${result.backup.tables} tables, ${result.backup.rows} rows`);
    lines.push(`   key:    ${result.backup.key}`);
    lines.push(`   sha256: ${result.backup.sha256}`);
  }
  if (result.verify) {
    const passed = result.verify.checks.filter((c) => c.passed).length;
    lines.push(`   restore: ${result.verify.restoreSeconds.toFixed(1)} s (today's measured recovery time); checks ${passed}/${result.verify.checks.length} passed`);
    for (const c of result.verify.checks) lines.push(`     ${c.passed ? '✓' : '✗'} ${c.name}: ${c.value}`);
    if (result.verify.skippedExtensions?.length) lines.push(`   extensions: ${describeSkippedExtensions(result.verify.skippedExtensions)}`);
  }
  if (result.error) {
    lines.push(`   failed in ${result.error.state}: ${result.error.name}`);
    for (const l of result.error.message.split('\n').slice(0, 8)) lines.push(`     ${l}`);
  }
  return lines;
}
