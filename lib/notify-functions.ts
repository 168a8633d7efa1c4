import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CHAT_ENV, SNITCH_ENV } from './contracts/lambda-env';
import { createPgProofFunction } from './pgproof-function';

export interface NotifyFunctionsProps {
  /** The secret holding the chat webhook URL; only the chat function may read it. */
  readonly chatWebhookSecret: secretsmanager.ISecret;
  /** The secret holding the dead-man's-switch URL; only the snitch function may read it. */
  readonly snitchUrlSecret: secretsmanager.ISecret;
  /** The S3 console URL of the report the chat message links to. @default - no link */
  readonly reportUrl?: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The chat and snitch Lambdas, each with its own role, log group and exactly one readable secret. */
export class NotifyFunctions extends Construct {
  public readonly notifyChat: nodejs.NodejsFunction;
  public readonly snitchCheckIn: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: NotifyFunctionsProps) {
    super(scope, id);
    this.notifyChat = this.makeFunction(
      'NotifyChat',
      'notify-chat',
      {
        [CHAT_ENV.secretName]: props.chatWebhookSecret.secretName,
        ...(props.reportUrl ? { [CHAT_ENV.reportUrl]: props.reportUrl } : {}),
      },
      props,
    );
    props.chatWebhookSecret.grantRead(this.notifyChat);
    this.snitchCheckIn = this.makeFunction(
      'SnitchCheckIn',
      'snitch-checkin',
      { [SNITCH_ENV.secretName]: props.snitchUrlSecret.secretName },
      props,
    );
    props.snitchUrlSecret.grantRead(this.snitchCheckIn);
  }

  private makeFunction(
    id: string,
    folder: string,
    environment: Record<string, string>,
    props: NotifyFunctionsProps,
  ): nodejs.NodejsFunction {
    return createPgProofFunction(this, id, {
      folder,
      description: `pgproof ${folder}: its log group, its secret, X-Ray`,
      // The handlers retry the HTTP call themselves; the state's TimeoutSeconds leaves room for this.
      timeout: Duration.seconds(60),
      environment,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    }).fn;
  }
}

/** The ARN a state machine named `name` will have in the stack's account and region (known before it exists). */
export function stateMachineArnFor(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
