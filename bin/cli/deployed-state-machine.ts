import {
  CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import { PgProofError } from '../../lib/common/errors';

import { readFileSync } from 'node:fs';

/** What the CLI reads from the configuration file: only the fields that find the stack (no full validation). */
interface ConfigTarget {
  readonly name?: string;
  readonly region?: string;
  readonly account?: string;
}

function readConfigTarget(configFile: string): ConfigTarget {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const { name, region, account } = value as Record<string, unknown>;
  return {
    ...(text(name) ? { name: text(name) } : {}),
    ...(text(region) ? { region: text(region) } : {}),
    ...(text(account) ? { account: text(account) } : {}),
  };
}

/**
 * The stack to talk to: `--stack`, else `PgProof-<name>` from the configuration file (`--config`, else
 * ./pgproof.config.json), which is what `cdk deploy` named it (bin/app.ts). Undefined when neither is there.
 */
export function resolveStackName(flag: string | undefined, configFile = 'pgproof.config.json'): string | undefined {
  if (flag) return flag;
  const { name } = readConfigTarget(configFile);
  return name ? `PgProof-${name}` : undefined;
}

/** Where `start` and `history` talk to AWS. */
export interface AwsTarget {
  /** `--region`, else the configuration's `region`; undefined: the SDK's default (AWS_REGION, the profile's region). */
  readonly region?: string;
  /** `--profile`; undefined: the SDK's default (AWS_PROFILE, else the default credential chain). */
  readonly profile?: string;
  /** The configuration's `account`: the stack found must live there. */
  readonly account?: string;
}

/** The flags win over the configuration file (the file a stack was deployed from names its account and region). */
export function resolveAwsTarget(
  flags: { region?: string; profile?: string },
  configFile = 'pgproof.config.json',
): AwsTarget {
  const config = readConfigTarget(configFile);
  const region = flags.region ?? config.region;
  return {
    ...(region ? { region } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(config.account ? { account: config.account } : {}),
  };
}

/** The SDK clients of a target, created with its region and profile. */
export function awsClients(target: AwsTarget): { cfn: CloudFormationClient; sfn: SFNClient } {
  const config = {
    ...(target.region ? { region: target.region } : {}),
    ...(target.profile ? { profile: target.profile } : {}),
  };
  return { cfn: new CloudFormationClient(config), sfn: new SFNClient(config) };
}

/** The credentials reach another account than the configuration names: nothing is started or listed there. */
export class AccountMismatch extends PgProofError {
  override readonly name = 'AccountMismatch';
}

/** An ARN's account id (`arn:partition:service:region:account:…`). */
export function accountOfArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/**
 * Finds the deployed state machine of the target: the stack's outputs, read with the target's region and profile,
 * then checked against the configuration's account (the stack is only visible in the credentials' own account).
 */
export async function findDeployedStateMachine(
  stackName: string,
  target: AwsTarget,
): Promise<{ stateMachineArn: string; sfn: SFNClient }> {
  const { cfn, sfn } = awsClients(target);
  const where = `${target.profile ? `profile "${target.profile}", ` : ''}region ${target.region ?? '(the AWS CLI default)'}`;
  let stateMachineArn: string;
  try {
    stateMachineArn = await findStateMachineArn(cfn, stackName);
  } catch (error) {
    // A stack missing from the wrong account looks the same as a stack never deployed: say which one was meant.
    if (target.account && /does not exist/.test((error as Error).message)) {
      throw new Error(
        `${(error as Error).message} (looked with ${where}; the configuration names account ${target.account}: are these credentials for it? choose them with --profile)`,
        { cause: error },
      );
    }
    throw error;
  }
  const account = accountOfArn(stateMachineArn);
  if (target.account && account !== target.account) {
    throw new AccountMismatch(
      `the credentials in use (${where}) reach account ${account}, but the configuration names account ${target.account}: ` +
        `choose that account's credentials with --profile (or AWS_PROFILE), or correct "account" in the configuration file`,
    );
  }
  return { stateMachineArn, sfn };
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
  let stacks: NonNullable<DescribeStacksCommandOutput['Stacks']>;
  try {
    stacks = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks ?? [];
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (/does not exist/.test(e.message ?? '')) {
      throw new Error(
        `the stack "${stackName}" does not exist in this account and region: deploy it (npx cdk deploy) or pass --stack NAME`,
        { cause: error },
      );
    }
    throw new Error(
      `cannot read the stack "${stackName}": ${e.name}: ${e.message} (check AWS credentials and region)`,
      { cause: error },
    );
  }
  const arns = (stacks[0]?.Outputs ?? []).map((o) => o.OutputValue ?? '').filter((v) => STATE_MACHINE_ARN.test(v));
  if (arns.length !== 1) {
    throw new Error(
      `the stack "${stackName}" has ${arns.length} state machine outputs, expected exactly one: is it a pgproof stack?`,
    );
  }
  return arns[0]!;
}
