import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { finalRunState, summarizeExecution, type RunRecord, type StateEntered } from '../../lib/contracts/run-record';

/** What `summarise` reads of DescribeExecution's answer. */
export type ExecutionDescription = Partial<
  Pick<
    DescribeExecutionCommandOutput,
    'executionArn' | 'name' | 'status' | 'startDate' | 'stopDate' | 'output' | 'error' | 'cause'
  >
>;

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Pure: the states entered, in execution order, from GetExecutionHistory events (given in any order). */
export function statesEntered(events: readonly HistoryEvent[]): StateEntered[] {
  return [...events]
    .sort((a, b) => (a.id ?? 0) - (b.id ?? 0))
    .flatMap((event) => {
      const entered = event.stateEnteredEventDetails;
      return entered?.name ? [{ state: entered.name, input: parseJson(entered.input) }] : [];
    });
}

/**
 * Pure: the run record of an execution, from DescribeExecution and, for one that did not succeed, its newest
 * history events (a failed execution has no output: the run's data is the input of the state it ended in).
 */
export function summarise(e: ExecutionDescription, events: readonly HistoryEvent[] = []): RunRecord {
  return summarizeExecution({
    status: e.status ?? 'UNKNOWN',
    startedAt: e.startDate?.toISOString() ?? '',
    ...(e.stopDate ? { stoppedAt: e.stopDate.toISOString() } : {}),
    state: finalRunState(parseJson(e.output), statesEntered(events)),
    ...(e.error ? { error: e.error } : {}),
    ...(e.cause ? { cause: e.cause } : {}),
    ...(e.name ? { name: e.name } : {}),
    ...(e.executionArn ? { executionArn: e.executionArn } : {}),
  });
}

/** The run record of a described execution; one that did not succeed costs one GetExecutionHistory page. */
export async function executionRecord(sfn: SFNClient, detail: ExecutionDescription): Promise<RunRecord> {
  if (detail.status === 'SUCCEEDED' || !detail.executionArn) return summarise(detail);
  // Newest first: the state the execution ended in is among the last few events (Fail state, task events).
  const page = await sfn.send(
    new GetExecutionHistoryCommand({
      executionArn: detail.executionArn,
      reverseOrder: true,
      maxResults: 20,
      includeExecutionData: true,
    }),
  );
  return summarise(detail, page?.events ?? []);
}

/** The newest executions as run records (one DescribeExecution each: output is not in the list). */
export async function executionHistory(sfn: SFNClient, stateMachineArn: string, limit = 20): Promise<RunRecord[]> {
  const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: limit }));
  const records: RunRecord[] = [];
  for (const item of list.executions ?? []) {
    const detail = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn! }));
    records.push(await executionRecord(sfn, detail));
  }
  return records.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
