import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

import { readFileSync } from 'node:fs';

/**
 * The stack to talk to: `--stack`, else `PgProof-<name>` from the configuration file (`--config`, else
 * ./pgproof.config.json), which is what `cdk deploy` named it (bin/app.ts). Undefined when neither is there.
 */
export function resolveStackName(flag: string | undefined, configFile = 'pgproof.config.json'): string | undefined {
  if (flag) return flag;
  try {
    const name = (JSON.parse(readFileSync(configFile, 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' && name ? `PgProof-${name}` : undefined;
  } catch {
    return undefined;
  }
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/;

/** A state machine ARN's region, for console links. */
export function regionOfArn(arn: string): string {
  return arn.split(':')[3] ?? 'us-east-1';
}

/** The Step Functions console page of an execution. */
export function executionConsoleUrl(executionArn: string): string {
  const region = regionOfArn(executionArn);
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

/** Finds the state machine ARN among the stack's outputs (whatever the output is called). */
export async function findStateMachineArn(cfn: CloudFormationClient, stackName: string): Promise<string> {
  let stacks;
  try {
    stacks = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks ?? [];
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (/does not exist/.test(e.message ?? '')) {
      throw new Error(`the stack "${stackName}" does not exist in this account and region: deploy it (npx cdk deploy) or pass --stack NAME`, { cause: error });
    }
    throw new Error(`cannot read the stack "${stackName}": ${e.name}: ${e.message} (check AWS credentials and region)`, { cause: error });
  }
  const arns = (stacks[0]?.Outputs ?? []).map((o) => o.OutputValue ?? '').filter((v) => STATE_MACHINE_ARN.test(v));
  if (arns.length !== 1) {
    throw new Error(`the stack "${stackName}" has ${arns.length} state machine outputs, expected exactly one: is it a pgproof stack?`);
  }
  return arns[0]!;
}
