import * as path from 'node:path';
import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag';
import { REPO_ROOT } from './notify-functions';

export interface TaskStoppedWatchProps {
  /** The cluster the engine tasks run in. */
  readonly cluster: ecs.ICluster;
  /** The task definitions whose stopped tasks are watched (every revision of their families). */
  readonly taskDefinitions: ecs.TaskDefinition[];
  /** The state machine waiting for those tasks' task tokens; the function may only fail its tasks. */
  readonly stateMachine: sfn.IStateMachine;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Fails a run's waiting step as soon as its ECS task stops, with ECS's stop reason and the container's exit code,
 * instead of waiting for the heartbeat timeout. An EventBridge rule on `ECS Task State Change` (STOPPED, this
 * cluster, these task families) invokes a small function that takes the task token from the task's container
 * overrides and calls `SendTaskFailure`; a task that already reported makes that call a no-op.
 */
export class TaskStoppedWatch extends Construct {
  public readonly rule: events.Rule;
  public readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: TaskStoppedWatchProps) {
    super(scope, id);
    if (props.taskDefinitions.length === 0) throw new Error('TaskStoppedWatch: taskDefinitions must name at least one task definition; got none');

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'pgproof task-stopped: fails the waiting step of a stopped engine task, nothing else',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'FailStoppedTasksStep',
      actions: ['states:SendTaskFailure'],
      resources: [props.stateMachine.stateMachineArn],
    }));

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, 'lambdas', 'task-stopped', 'handler.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      bundling: { forceDockerBundling: false, format: nodejs.OutputFormat.CJS, target: 'node24', minify: true, sourceMap: true },
    });
    acknowledgeWildcards(role, [
      { resource: '*', reason: 'Active tracing: xray:PutTraceSegments and PutTelemetryRecords support no resource-level permissions.' },
    ]);

    this.rule = new events.Rule(this, 'Rule', {
      description: 'pgproof: a backup or verify task stopped; fails its waiting step at once with ECS\'s stop reason',
      eventPattern: taskStoppedPattern(
        props.cluster.clusterArn,
        props.taskDefinitions.map((d) => Stack.of(this).formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${d.family}:` })),
      ),
      // A failed invocation is retried by Lambda's asynchronous invocation (twice); the heartbeat timeout remains the fallback.
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 4, maxEventAge: Duration.minutes(15) })],
    });
  }
}

/**
 * Pure: the event pattern of stopped tasks in this cluster whose task definition ARN starts with one of the
 * prefixes. Each prefix ends after the family (`…:task-definition/<family>:`), so every revision matches.
 */
export function taskStoppedPattern(clusterArn: string, taskDefinitionArnPrefixes: readonly string[]): events.EventPattern {
  return {
    source: ['aws.ecs'],
    detailType: ['ECS Task State Change'],
    detail: {
      lastStatus: ['STOPPED'],
      clusterArn: [clusterArn],
      taskDefinitionArn: taskDefinitionArnPrefixes.map((prefix) => ({ prefix })),
    },
  };
}
