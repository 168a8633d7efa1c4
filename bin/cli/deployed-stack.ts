// The deployed state machine that `start` and `history` talk to; loaded only when one of them runs (AWS SDK clients).
import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  AccountMismatch,
  findDeployedStateMachine,
  resolveAwsTarget,
  resolveStackName,
} from './deployed-state-machine';
import { usageError } from './usage-error';

/** The flags that say where the deployed stack is. */
export interface StackFlags {
  stack?: string;
  config: string;
  region?: string;
  profile?: string;
}

/** The deployed state machine; no stack to name, or credentials of another account than the config's, are usage errors. */
export async function deployedStateMachineOrUsage(
  flags: StackFlags,
): Promise<{ stateMachineArn: string; sfn: SFNClient }> {
  const stack = resolveStackName(flags.stack, flags.config);
  if (!stack)
    throw usageError(`which stack? pass --stack NAME, or run where ${flags.config} (the deployed configuration) is`);
  try {
    return await findDeployedStateMachine(stack, resolveAwsTarget(flags, flags.config));
  } catch (error) {
    if (error instanceof AccountMismatch) throw usageError(error.message);
    throw error;
  }
}
