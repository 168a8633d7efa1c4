import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { redact } from '../common/redact';
import type { RunRecord } from '../contracts/run-record';

/** Local run history: one run record per line under the state directory (never a secret: records hold none). */
export function historyFile(stateDir: string): string {
  return path.join(stateDir, 'history.jsonl');
}

export async function appendHistory(stateDir: string, result: RunRecord): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await appendFile(historyFile(stateDir), `${redact(JSON.stringify(result))}\n`, { mode: 0o600 });
}

/**
 * Keeps one execution's event log (states entered and exited, with their data) under
 * `<stateDir>/executions/<runId>.jsonl`: what the Step Functions console shows for a run in AWS.
 */
export async function writeExecutionLog(stateDir: string, runId: string, events: readonly unknown[]): Promise<string> {
  const dir = path.join(stateDir, 'executions');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${runId.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`);
  await writeFile(file, `${events.map((e) => redact(JSON.stringify(e))).join('\n')}\n`, { mode: 0o600 });
  return file;
}

/** Runs, newest first. Unreadable lines are skipped rather than hiding the rest of the history. */
export async function readHistory(stateDir: string): Promise<RunRecord[]> {
  let text = '';
  try {
    text = await readFile(historyFile(stateDir), 'utf8');
  } catch {
    return [];
  }
  const runs: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      runs.push(JSON.parse(line) as RunRecord);
    } catch {
      // a torn last line after a crash: skip it
    }
  }
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
