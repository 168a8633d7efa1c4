import path from 'node:path';
import type { Command } from 'commander';
import type { StackFlags } from '../deployed-stack';
import { addAwsOptions, addStackOptions } from '../stack-options';
import { usageError } from '../usage-error';

interface HistoryFlags extends StackFlags {
  local?: boolean;
  stateDir: string;
  limit: string;
  json?: boolean;
}

/** `history --limit`: a whole number from 1 to 1000. */
export function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw usageError(`--limit must be a whole number from 1 to 1000, got "${text}"`);
  return limit;
}

/** `pgproof history`: past runs, from this machine's state dir (`--local`) or from the deployed state machine. */
export function addHistoryCommand(program: Command): void {
  addAwsOptions(
    addStackOptions(
      program
        .command('history')
        .description(
          'past runs: when, status, size, durations, checks (--local: this machine; else the deployed stack)',
        )
        .option('--local', 'runs made on this machine (state dir)')
        .option('--state-dir <dir>', 'local state directory', '.pgproof'),
    ).option('--limit <n>', 'how many runs (newest first)', '20'),
  )
    .option('--json', 'print the runs as JSON (newest first)')
    .action(async (flags: HistoryFlags) => {
      const limit = parseLimit(flags.limit);
      if (flags.local) {
        const { readHistory } = await import('../../../lib/local/history');
        const { runTable } = await import('../../../lib/local/run-result');
        const runs = (await readHistory(path.resolve(flags.stateDir))).slice(0, limit);
        process.stdout.write(
          `${flags.json ? JSON.stringify(runs, null, 2) : runs.length ? runTable(runs, { showDatabase: true }) : 'no runs yet'}\n`,
        );
        return;
      }
      const { deployedStateMachineOrUsage } = await import('../deployed-stack');
      const { executionHistory } = await import('../execution-history');
      const { runTable } = await import('../../../lib/local/run-result');
      const { stateMachineArn, sfn } = await deployedStateMachineOrUsage(flags);
      const runs = await executionHistory(sfn, stateMachineArn, limit);
      process.stdout.write(
        `${flags.json ? JSON.stringify(runs, null, 2) : runs.length ? runTable(runs, { showDatabase: false }) : 'no executions yet'}\n`,
      );
    });
}
