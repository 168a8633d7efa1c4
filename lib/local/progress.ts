import { redact } from '../common/redact';
import { ENGINE_LOG, PROGRESS_SUFFIX } from '../contracts/engine-log';
import { TASK_STATES as TASK_STATE_LIST } from '../contracts/state-names';
import type { ExecutionEvent } from './state-machine-runner';

// The Task states, shown as they start; Pass and Choice states (PrepareRunId, ValidateInput…) take no time to show.
const TASK_STATES = new Set<string>(TASK_STATE_LIST);

/**
 * Shows a local run's progress on stderr: which state runs, bytes dumped and MB/s, download and restore progress.
 * On a terminal the progress line is rewritten in place; otherwise each update is a plain line.
 */
export class ProgressDisplay {
  private live = false;
  /** The database of each Map item seen, by item index: a fleet's lines say which database they are about. */
  private readonly itemDatabases = new Map<number, string>();

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty: boolean = Boolean(process.stderr.isTTY),
  ) {}

  private line(text: string): void {
    if (this.live) this.stream.write('\n');
    this.live = false;
    this.stream.write(`${redact(text)}\n`);
  }

  private status(text: string): void {
    if (!this.tty) {
      this.line(text);
      return;
    }
    this.stream.write(`\r\x1b[2K${redact(text)}`);
    this.live = true;
  }

  message(text: string): void {
    this.line(text);
  }

  /** Tags a Map item's lines with its database when the run proves several (`fleet`). */
  fleet = true;

  onEvent = (event: ExecutionEvent): void => {
    const database = this.fleet ? this.databaseOf(event) : undefined;
    const of = database ? ` [${database}]` : '';
    if (event.type === 'StateEntered' && event.state && TASK_STATES.has(event.state))
      this.line(`→ ${event.state}${of}`);
    else if (event.type === 'StateRetried' && event.state) this.line(`  ${event.state}: retrying${of}`);
    else if (event.type === 'StateFailed' && event.state && TASK_STATES.has(event.state))
      this.line(`  ${event.state} failed: ${event.error ?? ''}${of}`);
  };

  /** The database a Map item's event is about: its ItemSelector puts it at `item.database` of the item's input. */
  private databaseOf(event: ExecutionEvent): string | undefined {
    if (event.index === undefined) return undefined;
    const item = (event.input as { item?: { database?: unknown } } | undefined)?.item;
    if (typeof item?.database === 'string') this.itemDatabases.set(event.index, item.database);
    return this.itemDatabases.get(event.index);
  }

  onTaskLog = (state: string, text: string): void => {
    let record: {
      level?: string;
      message?: string;
      bytes?: number;
      seconds?: number;
      detail?: string;
      stderr?: string;
    };
    try {
      record = JSON.parse(text) as typeof record;
    } catch {
      return;
    }
    if (record.message === ENGINE_LOG.dumpProgress && typeof record.bytes === 'number') {
      const mb = record.bytes / 1e6;
      const rate = record.seconds ? ` (${(mb / record.seconds).toFixed(1)} MB/s)` : '';
      this.status(`  ${state}: ${mb.toFixed(1)} MB dumped${rate}`);
    } else if (record.message?.endsWith(PROGRESS_SUFFIX) && record.detail) {
      this.status(`  ${state}: ${record.message.replace(PROGRESS_SUFFIX, '')} ${record.detail}`);
    } else if (record.level === 'WARN' || record.level === 'ERROR') {
      this.line(`  ${state}: ${record.message}${record.stderr ? `: ${record.stderr}` : ''}`);
    }
  };

  done(): void {
    if (this.live) this.stream.write('\n');
    this.live = false;
  }
}
