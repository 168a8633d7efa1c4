// `cdk destroy` keeps the retained resources (logs, key, bucket); a redeploy of the same configuration must not
// collide with them. CloudFormation fails a create with "already exists" when a retained resource kept a fixed name.
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { PgProofStack } from '../../lib/pg-proof-stack';
import { ROOT } from '../helpers/fixtures';
import { testApp } from '../helpers/cdk';

type Json = Record<string, any>;
let resources: Record<string, Json>;

/** Properties that name a resource; a plain string there is a fixed name. */
const NAME_PROPERTIES = [
  'LogGroupName',
  'BucketName',
  'AliasName',
  'TopicName',
  'FunctionName',
  'StateMachineName',
  'DashboardName',
  'ClusterName',
  'Name',
];

beforeAll(() => {
  // GIVEN the stack of the repository's configuration, as `cdk deploy` builds it
  const config = loadConfig(`${ROOT}/pgproof.config.json`);
  const stack = new PgProofStack(testApp(), `PgProof-${config.name}`, {
    config,
    env: { account: '123456789012', region: 'eu-west-1' },
    containerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/pgproof-engines:test'),
  });
  resources = Template.fromStack(stack).toJSON().Resources;
});

describe('redeploy after cdk destroy', () => {
  it('names the retained state-machine log group per stack, under the vended-logs prefix', () => {
    // THEN
    const group = Object.values(resources).find(
      (r) => r.Type === 'AWS::Logs::LogGroup' && JSON.stringify(r.Properties.LogGroupName ?? '').includes('vendedlogs'),
    )!;
    expect(group.DeletionPolicy).toBe('Retain');
    const [separator, parts] = group.Properties.LogGroupName['Fn::Join'];
    expect(separator).toBe('');
    expect(parts[0]).toMatch(/^\/aws\/vendedlogs\/states\/pgproof-orders-$/);
    // The first group of the stack id's UUID: a new stack (a redeploy after destroy) gets a new name.
    expect(parts[1]).toEqual({
      'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }],
    });
  });

  it('gives no retained resource a fixed name', () => {
    const retained = Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain');
    expect(retained.map(([, r]) => r.Type)).toEqual(
      expect.arrayContaining(['AWS::Logs::LogGroup', 'AWS::KMS::Key', 'AWS::S3::Bucket']),
    );
    const fixed = retained.flatMap(([id, r]) =>
      NAME_PROPERTIES.filter((p) => typeof r.Properties?.[p] === 'string').map(
        (p) => `${id}.${p} = ${r.Properties[p]}`,
      ),
    );
    expect(fixed).toEqual([]);
  });

  it('keeps fixed names only on resources that destroy deletes (state machine, dashboard)', () => {
    const named = Object.entries(resources).filter(([, r]) =>
      NAME_PROPERTIES.some((p) => typeof r.Properties?.[p] === 'string'),
    );
    for (const [, r] of named) expect(r.DeletionPolicy ?? 'Delete').toBe('Delete');
    expect(named.map(([, r]) => r.Type)).toEqual(
      expect.arrayContaining(['AWS::CloudWatch::Dashboard', 'AWS::StepFunctions::StateMachine']),
    );
  });
});
