import * as path from 'node:path';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag';

/** The repository root: the Lambdas' and the image's sources live under it. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

export interface PgProofFunctionOptions {
  /** The folder under `lambdas/` holding the function's `handler.ts`. */
  readonly folder: string;
  /** The role's description: what the function may do. */
  readonly description: string;
  readonly timeout: Duration;
  /** @default - none besides NODE_OPTIONS */
  readonly environment?: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One of pgproof's Lambdas, the same way for all: bundled with the local esbuild (Node 24, arm64), its own log
 * group, and its own role that may write that log group and trace, nothing else until the caller grants more.
 * An own role instead of AWSLambdaBasicExecutionRole: it writes to this function's log group only.
 */
export function createPgProofFunction(
  scope: Construct,
  id: string,
  options: PgProofFunctionOptions,
): { fn: nodejs.NodejsFunction; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: options.logRetention,
    removalPolicy: options.removalPolicy,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: options.description,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  const fn = new nodejs.NodejsFunction(scope, id, {
    entry: path.join(REPO_ROOT, 'lambdas', options.folder, 'handler.ts'),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: options.timeout,
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    environment: { ...options.environment, NODE_OPTIONS: '--enable-source-maps' },
    bundling: {
      forceDockerBundling: false,
      format: nodejs.OutputFormat.CJS,
      target: 'node24',
      minify: true,
      sourceMap: true,
    },
  });
  acknowledgeWildcards(role, [
    {
      resource: '*',
      reason: 'Active tracing: xray:PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
    },
  ]);
  return { fn, role };
}
