import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPgProof } from '../helpers/cdk';

type Json = Record<string, any>;
let template: Template;
let resources: Record<string, Json>;

beforeAll(() => {
  // GIVEN a PgProof with an alarm e-mail (the fixture's stack is in account 123456789012)
  const { stack } = buildPgProof(() => ({ alarmEmail: 'dba@example.com' }));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const idOf = (type: string) => {
  const ids = Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

describe('alarm delivery', () => {
  it('lets CloudWatch publish the run-failed alarm to the topic, for this alarm of this account only', () => {
    // THEN: the topic policy (which replaces the default policy) holds an Allow besides enforceSSL's Deny
    const topic = idOf('AWS::SNS::Topic');
    const alarm = idOf('AWS::CloudWatch::Alarm');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'AllowRunFailedAlarmPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: topic },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [alarm, 'Arn'] } },
            },
          },
        ]),
      },
    });
  });

  it("lets CloudWatch use the topic's KMS key on behalf of this account only", () => {
    const key = resources[idOf('AWS::KMS::Key')]!;
    const statements = key.Properties.KeyPolicy.Statement as Json[];
    const cloudwatch = statements.filter((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect(cloudwatch).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ]);
  });
});
