import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag';

/** The repository root: the Lambdas' and the image's sources live under it. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

export interface NotifyFunctionsProps {
  /** The secret holding the chat webhook URL; only the chat function may read it. */
  readonly chatWebhookSecret: secretsmanager.ISecret;
  /** The secret holding the dead-man's-switch URL; only the snitch function may read it. */
  readonly snitchUrlSecret: secretsmanager.ISecret;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The chat and snitch Lambdas, each with its own role, log group and exactly one readable secret. */
export class NotifyFunctions extends Construct {
  public readonly notifyChat: nodejs.NodejsFunction;
  public readonly snitchCheckIn: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: NotifyFunctionsProps) {
    super(scope, id);
    this.notifyChat = this.makeFunction('NotifyChat', 'notify-chat', { CHAT_WEBHOOK_SECRET_NAME: props.chatWebhookSecret.secretName }, props);
    props.chatWebhookSecret.grantRead(this.notifyChat);
    this.snitchCheckIn = this.makeFunction('SnitchCheckIn', 'snitch-checkin', { SNITCH_URL_SECRET_NAME: props.snitchUrlSecret.secretName }, props);
    props.snitchUrlSecret.grantRead(this.snitchCheckIn);
  }

  private makeFunction(id: string, folder: string, environment: Record<string, string>, props: NotifyFunctionsProps): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // An own role instead of AWSLambdaBasicExecutionRole: writes to this function's log group only.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `pgproof ${folder}: its log group, its secret, X-Ray`,
    });
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    const fn = new nodejs.NodejsFunction(this, id, {
      entry: path.join(REPO_ROOT, 'lambdas', folder, 'handler.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // The handlers retry the HTTP call themselves; the state's TimeoutSeconds leaves room for this.
      timeout: Duration.seconds(60),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
      },
    });
    acknowledgeWildcards(role, [
      { resource: '*', reason: 'Active tracing: xray:PutTraceSegments and PutTelemetryRecords support no resource-level permissions.' },
    ]);
    return fn;
  }
}

/** The ARN a state machine named `name` will have in the stack's account and region (known before it exists). */
export function stateMachineArnFor(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}
