import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { createPgProofFunction } from './pgproof-function';

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
    if (props.taskDefinitions.length === 0)
      throw new Error('TaskStoppedWatch: taskDefinitions must name at least one task definition; got none');

    const { fn, role } = createPgProofFunction(this, 'Function', {
      folder: 'task-stopped',
      description: 'pgproof task-stopped: fails the waiting step of a stopped engine task, nothing else',
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FailStoppedTasksStep',
        actions: ['states:SendTaskFailure'],
        resources: [props.stateMachine.stateMachineArn],
      }),
    );
    this.function = fn;

    this.rule = new events.Rule(this, 'Rule', {
      description: "pgproof: a backup or verify task stopped; fails its waiting step at once with ECS's stop reason",
      eventPattern: taskStoppedPattern(
        props.cluster.clusterArn,
        props.taskDefinitions.map((d) =>
          Stack.of(this).formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${d.family}:` }),
        ),
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
export function taskStoppedPattern(
  clusterArn: string,
  taskDefinitionArnPrefixes: readonly string[],
): events.EventPattern {
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
