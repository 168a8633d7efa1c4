import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TaskStoppedWatch } from '../../lib/task-stopped-watch';
import { buildPgProof, importedVpc, testStack } from '../helpers/cdk';

type Json = Record<string, any>;
let stack: Stack;
let template: Template;
let resources: Record<string, Json>;
let families: { backup: string; verify: string };

beforeAll(() => {
  // GIVEN a PgProof with default props
  const built = buildPgProof();
  stack = built.stack;
  families = { backup: built.pgProof.engineTasks.backup.family, verify: built.pgProof.engineTasks.verify.family };
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const watchRule = () =>
  ofType('AWS::Events::Rule').find(([, r]) =>
    JSON.stringify(r.Properties.EventPattern ?? {}).includes('ECS Task State Change'),
  )!;
const watchFunctionId = () => ofType('AWS::Lambda::Function').find(([id]) => /TaskStoppedWatchFunction/.test(id))![0];

describe('task-stopped watch', () => {
  it('matches STOPPED task state changes of this cluster and of the backup and verify families, any revision', () => {
    // THEN
    const [, rule] = watchRule();
    const clusterId = ofType('AWS::ECS::Cluster')[0]![0];
    const prefix = (family: string) => ({ prefix: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:` });
    expect(stack.resolve(rule.Properties.EventPattern)).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        lastStatus: ['STOPPED'],
        clusterArn: [{ 'Fn::GetAtt': [clusterId, 'Arn'] }],
        // Prefix up to the revision: every revision of the two families, and no other family.
        taskDefinitionArn: [prefix(families.backup), prefix(families.verify)],
      },
    });
    expect(families.backup).toMatch(/Backup/);
    expect(families.verify).toMatch(/Verify/);
    expect(rule.Properties.State ?? 'ENABLED').toBe('ENABLED');
  });

  it('targets the task-stopped function, allowed to be invoked by this rule only', () => {
    const [ruleId, rule] = watchRule();
    const fnId = watchFunctionId();
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 4 },
      }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('the function may only call states:SendTaskFailure, on this state machine, besides its logs and X-Ray', () => {
    const fn = resources[watchFunctionId()]!;
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    const stateMachineId = ofType('AWS::StepFunctions::StateMachine')[0]![0];

    const states = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('states:')));
    expect(states).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'states:SendTaskFailure', Resource: { Ref: stateMachineId } }),
    ]);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'states:SendTaskFailure',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(ofType('AWS::IAM::Role').find(([id]) => id === roleId)![1].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('runs the task-stopped handler on Node 24 with tracing and its own log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('TaskStoppedWatchFunctionLogs') } },
      Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('TaskStoppedWatchFunctionRole'), 'Arn'] },
    });
  });

  it('refuses an empty list of task definitions', () => {
    const s = testStack();
    const cluster = new ecs.Cluster(s, 'C', { vpc: importedVpc(s) });
    const stateMachine = new sfn.StateMachine(s, 'SM', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(s, 'P')),
    });
    expect(
      () =>
        new TaskStoppedWatch(s, 'W', {
          cluster,
          taskDefinitions: [],
          stateMachine,
          logRetention: logs.RetentionDays.ONE_WEEK,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
    ).toThrow(/taskDefinitions must name at least one task definition/);
  });
});
