import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { formatBytes } from '../../lib/local/run-result';

/** One past execution, summarised from its output (or its error). */
export interface ExecutionSummary {
  runId: string;
  status: string;
  startedAt: string;
  stoppedAt?: string;
  seconds?: number;
  backup?: { key?: string; bytes?: number; seconds?: number };
  verify?: { restoreSeconds?: number; checksPassed?: number; checks?: number };
  error?: string;
  executionArn: string;
}

interface RunOutput {
  runId?: string;
  backup?: { key?: string; bytes?: number; seconds?: number };
  verify?: { restoreSeconds?: number; checks?: Array<{ passed?: boolean }> };
  error?: { state?: string; name?: string };
}

/** Pure: the summary of an execution from what DescribeExecution returns. */
export function summarise(e: { executionArn?: string; name?: string; status?: string; startDate?: Date; stopDate?: Date; output?: string; error?: string; cause?: string }): ExecutionSummary {
  let out: RunOutput = {};
  try {
    out = e.output ? (JSON.parse(e.output) as RunOutput) : {};
  } catch {
    out = {};
  }
  const checks = out.verify?.checks;
  return {
    // The state machine makes the run id (keys, chat, manifests use it); the execution name is only a fallback.
    runId: typeof out.runId === 'string' ? out.runId : (e.name ?? ''),
    status: e.status ?? 'UNKNOWN',
    startedAt: e.startDate?.toISOString() ?? '',
    ...(e.stopDate ? { stoppedAt: e.stopDate.toISOString() } : {}),
    ...(e.startDate && e.stopDate ? { seconds: (e.stopDate.getTime() - e.startDate.getTime()) / 1000 } : {}),
    ...(out.backup ? { backup: { ...(out.backup.key ? { key: out.backup.key } : {}), ...(out.backup.bytes !== undefined ? { bytes: out.backup.bytes } : {}), ...(out.backup.seconds !== undefined ? { seconds: out.backup.seconds } : {}) } } : {}),
    ...(out.verify
      ? { verify: { ...(out.verify.restoreSeconds !== undefined ? { restoreSeconds: out.verify.restoreSeconds } : {}), ...(checks ? { checks: checks.length, checksPassed: checks.filter((c) => c.passed).length } : {}) } }
      : {}),
    ...(e.error || out.error ? { error: [out.error?.state, e.error ?? out.error?.name].filter(Boolean).join(': ') } : {}),
    executionArn: e.executionArn ?? '',
  };
}

/** The newest executions with their summaries (one DescribeExecution each: output is not in the list). */
export async function executionHistory(sfn: SFNClient, stateMachineArn: string, limit = 20): Promise<ExecutionSummary[]> {
  const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: limit }));
  const summaries: ExecutionSummary[] = [];
  for (const item of list.executions ?? []) {
    const detail = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn! }));
    summaries.push(summarise(detail));
  }
  return summaries.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export function executionTable(runs: readonly ExecutionSummary[]): string {
  const rows = runs.map((r) => [
    r.startedAt.replace('T', ' ').slice(0, 19),
    r.status,
    r.seconds !== undefined ? `${Math.round(r.seconds)} s` : '-',
    r.backup?.bytes !== undefined ? formatBytes(r.backup.bytes) : '-',
    r.backup?.seconds !== undefined ? r.backup.seconds.toFixed(1) : '-',
    r.verify?.restoreSeconds !== undefined ? r.verify.restoreSeconds.toFixed(1) : '-',
    r.verify?.checks !== undefined ? `${r.verify.checksPassed}/${r.verify.checks}` : (r.error ?? '-'),
  ]);
  const header = ['started (UTC)', 'status', 'duration', 'size', 'dump s', 'restore s', 'checks / error'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
