import type { Command } from 'commander';
import type { StackFlags } from '../deployed-stack';
import { interruptOnSignals } from '../interrupt';
import { say } from '../output';
import { addAwsOptions, addStackOptions } from '../stack-options';
import { parsedOrUsage } from '../usage-error';

interface StartFlags extends StackFlags {
  input?: string;
  wait?: boolean;
  json?: boolean;
}

/** `pgproof start`: starts an execution of the deployed state machine, and with `--wait` follows it to its end. */
export function addStartCommand(program: Command): void {
  addAwsOptions(
    addStackOptions(
      program
        .command('start')
        .description('start a run of the deployed state machine (StartExecution) and print its console link')
        .option('--input <json>', 'the run\'s input, e.g. {"reason": "before migration"}'),
    ),
  )
    .option('--wait', 'follow the execution to its end; exit 0 only if it succeeded')
    .option('--json', 'print the execution (and with --wait its result) as JSON on the last line')
    .action(async (flags: StartFlags) => {
      // Loaded here, not at start: `--help` and usage errors must not wait for the AWS SDK.
      const { parseManualInput, startExecution, waitForExecution } = await import('../start-execution');
      const { executionRecord } = await import('../execution-history');
      const { deployedStateMachineOrUsage } = await import('../deployed-stack');
      const input = parsedOrUsage(() => parseManualInput(flags.input));
      const { stateMachineArn, sfn } = await deployedStateMachineOrUsage(flags);
      const started = await startExecution(sfn, stateMachineArn, input);
      say(`started execution ${started.name}: ${started.consoleUrl}`);
      if (!flags.wait) {
        if (flags.json) process.stdout.write(`${JSON.stringify(started)}\n`);
        return;
      }
      const interrupt = interruptOnSignals((_signal, why) =>
        say(`\n${why}: no longer following the execution (it goes on in AWS)…`),
      );
      let done: Awaited<ReturnType<typeof waitForExecution>>;
      try {
        done = await waitForExecution(sfn, started.executionArn, {
          signal: interrupt.signal,
          onPoll: (status) => say(`… ${status}`),
        });
      } finally {
        interrupt.dispose();
      }
      const summary = await executionRecord(sfn, done);
      say(
        `${summary.status === 'SUCCEEDED' ? '✅' : '❌'} ${summary.status}${summary.error ? ` (${summary.error.state}: ${summary.error.name})` : ''}`,
      );
      if (flags.json) process.stdout.write(`${JSON.stringify({ ...started, ...summary })}\n`);
      process.exitCode = interrupt.exitCode ?? (summary.status === 'SUCCEEDED' ? 0 : 1);
    });
}
