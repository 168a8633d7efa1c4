import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LambdaLogger } from '../../../lambdas/common/logger';
import { createNotifyChatHandler } from '../../../lambdas/notify-chat/handler';
import { createSnitchCheckInHandler } from '../../../lambdas/snitch-checkin/handler';
import { CHAT_ENV, SNITCH_ENV } from '../../../lib/contracts/lambda-env';
import { buildPgProof } from '../../helpers/cdk';
import { succeededRun } from '../../helpers/runs';

type Env = Record<string, string>;
/** Node's own variable, set on every function by lib/pgproof-function.ts; no handler reads it. */
const NODE_OPTIONS = 'NODE_OPTIONS';
const quiet: LambdaLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let env: { chat: Env; snitch: Env; taskStopped: Env };

beforeAll(() => {
  // GIVEN the synthesized functions' environments
  const { stack, pgProof } = buildPgProof();
  const envOf = (fn: lambda.IFunction): Env => {
    const variables = stack.resolve((fn.node.defaultChild as lambda.CfnFunction).environment).variables as Env;
    const { [NODE_OPTIONS]: _node, ...rest } = variables;
    return rest;
  };
  env = {
    chat: envOf(pgProof.notifyFunctions.notifyChat),
    snitch: envOf(pgProof.notifyFunctions.snitchCheckIn),
    taskStopped: envOf(pgProof.taskStoppedWatch.function),
  };
});

/** Runs a handler as AWS does (fail when unconfigured) and tells which secret it asked for, or how it failed. */
async function secretAskedFor(
  create: typeof createNotifyChatHandler | typeof createSnitchCheckInHandler,
  handlerEnv: Env,
): Promise<{ asked?: string; error?: { name: string; variable?: string } }> {
  const asked: string[] = [];
  // The source stops the handler once the name is known: what happens after the read is not this contract.
  const secrets = {
    getSecretString: async (name: string) => {
      asked.push(name);
      throw new Error('stop after the read');
    },
  };
  try {
    await create({ env: handlerEnv, secrets, logger: quiet, whenUnconfigured: 'fail' })(succeededRun());
  } catch (error) {
    if (asked.length === 1) return { asked: asked[0] };
    return { error: { name: (error as Error).name, variable: (error as { variable?: string }).variable } };
  }
  return {};
}

describe('Lambda environment contract: notify functions ↔ handlers', () => {
  it('gives each function exactly the variable its handler requires in AWS', () => {
    // Besides its secret, the chat function of a one-database deployment gets the report's console link (optional).
    expect(Object.keys(env.chat)).toEqual([CHAT_ENV.secretName, CHAT_ENV.reportUrl]);
    expect(Object.keys(env.snitch)).toEqual([SNITCH_ENV.secretName]);
    // The task-stopped handler reads no environment (its event carries all it needs).
    expect(env.taskStopped).toEqual({});
  });

  it('notify-chat reads the webhook secret the stack names', async () => {
    expect(await secretAskedFor(createNotifyChatHandler, env.chat)).toEqual({ asked: 'pgproof/chat' });
    expect(await secretAskedFor(createNotifyChatHandler, {})).toEqual({
      error: { name: 'MissingConfiguration', variable: CHAT_ENV.secretName },
    });
  });

  it('snitch-checkin reads the check-in secret the stack names', async () => {
    expect(await secretAskedFor(createSnitchCheckInHandler, env.snitch)).toEqual({ asked: 'pgproof/snitch' });
    expect(await secretAskedFor(createSnitchCheckInHandler, {})).toEqual({
      error: { name: 'MissingConfiguration', variable: SNITCH_ENV.secretName },
    });
  });
});
