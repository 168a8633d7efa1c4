import { describe, expect, it } from 'vitest';
import {
  appendRunLog,
  parseRunLog,
  RUN_LOG_MAX_ENTRIES,
  type RunLogEntry,
  runLogEntry,
  runLogKeyFor,
  runLogText,
} from '../../../containers/report/run-log';
import { buildReportModel } from '../../../containers/report/report-model';
import { runLogRecords } from '../../../containers/report/run-log';

const NOW = new Date('2026-12-01T04:00:00Z');
const runId = (day: number, i = 0) =>
  `2026${String(Math.floor(day / 28) + 1).padStart(2, '0')}${String((day % 28) + 1).padStart(2, '0')}T0300${String(i).padStart(2, '0')}Z-${'a'.repeat(10)}`;
const entry = (id: string, status: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED'): RunLogEntry =>
  runLogEntry({ database: 'shop', status }, { runId: id, name: 'shop', finishedAt: NOW });

describe('the run log', () => {
  it('keeps the newest RUN_LOG_MAX_ENTRIES runs, oldest first, one entry per run id', () => {
    let runs: RunLogEntry[] = [];
    const ids = Array.from({ length: RUN_LOG_MAX_ENTRIES + 5 }, (_, i) => runId(Math.floor(i / 3), i % 3));
    // Appended out of order, the last one twice (a retried invocation)
    for (const id of [...ids].reverse()) runs = appendRunLog(runs, entry(id));
    runs = appendRunLog(runs, entry(ids.at(-1)!, 'FAILED'));
    expect(runs).toHaveLength(RUN_LOG_MAX_ENTRIES);
    expect(runs.map((r) => r.runId)).toEqual(ids.slice(5));
    expect(runs.at(-1)!.status).toBe('FAILED');
  });

  it('reads a missing-looking, corrupt or foreign file as empty, saying why', () => {
    expect(parseRunLog('{"runs": [oops')).toEqual({ runs: [], corrupt: 'not JSON' });
    expect(parseRunLog('[]').corrupt).toMatch(/^not a version 1 run log/);
    expect(parseRunLog('{"version": 2, "runs": []}').corrupt).toMatch(/^not a version 1 run log/);
    expect(parseRunLog('{"version": 1, "runs": [{"runId": "x"}]}').corrupt).toMatch(/^not a version 1 run log/);
    const text = runLogText([entry(runId(1))]);
    expect(parseRunLog(text)).toEqual({ runs: [entry(runId(1))] });
  });

  it("records the outcome's figures and error, masked again, and a bounded reason; the start from the run id", () => {
    const e = runLogEntry(
      {
        database: 'shop-eu',
        status: 'FAILED',
        isNew: true,
        backup: { key: 'pgproof/shop/2026-11-24/x.dump.zst', bytes: 5, seconds: 2 },
        error: { state: 'VerifyBackup', name: 'RestoreFailed', message: 'postgres://u:hunter22@db/x failed' },
      },
      { runId: '20261124T030000Z-0123456789', name: 'shop', finishedAt: NOW, reason: 'r'.repeat(500) },
    );
    expect(e).toEqual({
      runId: '20261124T030000Z-0123456789',
      database: 'shop',
      startedAt: '2026-11-24T03:00:00.000Z',
      finishedAt: NOW.toISOString(),
      status: 'FAILED',
      reason: 'r'.repeat(200),
      isNew: true,
      backup: { key: 'pgproof/shop/2026-11-24/x.dump.zst', bytes: 5, seconds: 2 },
      error: { state: 'VerifyBackup', name: 'RestoreFailed', message: 'postgres://u:***@db/x failed' },
    });
    expect(runLogKeyFor('pgproof', 'my db')).toBe('pgproof/my_db/runs.json');
  });

  it('gives the report the failed state and error of a run the bucket alone cannot show', () => {
    const failed = runLogEntry(
      {
        database: 'shop',
        status: 'FAILED',
        error: { state: 'BackupDatabase', name: 'ConnectionFailed', message: 'refused' },
      },
      { runId: '20261130T030000Z-0123456789', name: 'shop', finishedAt: NOW },
    );
    const model = buildReportModel({
      catalog: { backups: [], incomplete: [], foreign: [] },
      runs: runLogRecords([failed]),
      historySource: 'the run log',
      databases: ['shop'],
      now: NOW,
      days: 90,
    });
    expect(model.historySource).toBe('the run log');
    expect(model.databases[0]!.runs).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: { state: 'BackupDatabase', name: 'ConnectionFailed', message: 'refused' },
      }),
    ]);
  });
});
