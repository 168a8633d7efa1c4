import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_DIMENSION, perDatabaseSearch } from '../../lib/run-monitoring';
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

const ENGINE_METRIC_NAMES = ['DumpBytes', 'DumpSeconds', 'RestoreSeconds', 'ChecksPassed', 'ChecksFailed'];

/** The dashboard body as JSON, with each CloudFormation token (region, ARNs) replaced by a placeholder. */
function dashboardBody(): Json {
  const body = resources[idOf('AWS::CloudWatch::Dashboard')]!.Properties.DashboardBody;
  const parts = body['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
}

describe('per-database metrics', () => {
  it('every metric filter publishes the Database dimension from the line, and no default value (AWS rejects the pair)', () => {
    // THEN: one dimension (of at most 3), whose value is the log line's database field
    const filters = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::MetricFilter');
    expect(filters.map((f) => f.Properties.MetricTransformations[0].MetricName).sort()).toEqual(
      [...ENGINE_METRIC_NAMES].sort(),
    );
    for (const name of ENGINE_METRIC_NAMES)
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        MetricTransformations: [
          Match.objectLike({
            MetricName: name,
            MetricNamespace: 'PgProof/orders',
            Dimensions: [{ Key: 'Database', Value: '$.database' }],
            DefaultValue: Match.absent(),
          }),
        ],
      });
    for (const f of filters) expect(f.Properties.MetricTransformations).toHaveLength(1);
  });

  it('the dashboard finds every database by search, one expression per metric, none naming a database', () => {
    const widgets = (dashboardBody().widgets as Json[]).filter((w) => w.type === 'metric');
    const expressions = widgets.flatMap((w) =>
      (w.properties.metrics as unknown[][]).flatMap((m) => m.filter((e): e is Json => !!e && typeof e === 'object')),
    );
    const searches = expressions.map((e) => e.expression).filter((e): e is string => typeof e === 'string');
    expect(searches.sort()).toEqual(
      [
        `SEARCH('{PgProof/orders,Database} MetricName="DumpBytes"', 'Maximum', 86400)`,
        `SEARCH('{PgProof/orders,Database} MetricName="DumpSeconds"', 'Maximum', 86400)`,
        `SEARCH('{PgProof/orders,Database} MetricName="RestoreSeconds"', 'Maximum', 86400)`,
        `SEARCH('{PgProof/orders,Database} MetricName="ChecksPassed"', 'Sum', 86400)`,
        `SEARCH('{PgProof/orders,Database} MetricName="ChecksFailed"', 'Sum', 86400)`,
      ].sort(),
    );
    expect(perDatabaseSearch('PgProof/orders', 'DumpBytes', 'Maximum')).toBe(
      searches.find((s) => s.includes('DumpBytes')),
    );
    expect(DATABASE_DIMENSION).toBe('Database');
    // AND no graph reads an engine metric without its dimension (such a series no longer exists)
    const plain = widgets.flatMap((w) => (w.properties.metrics as unknown[][]).filter((m) => typeof m[0] === 'string'));
    expect(plain.map((m) => m[0])).toEqual(['AWS/States', 'AWS/States', 'AWS/States', 'AWS/States']);
  });

  it("the only alarm watches the state machine's executions, not an engine metric", () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    const alarm = resources[idOf('AWS::CloudWatch::Alarm')]!;
    const namespaces = (alarm.Properties.Metrics as Json[])
      .map((m) => m.MetricStat?.Metric?.Namespace)
      .filter((n): n is string => n !== undefined);
    expect(namespaces).toEqual(['AWS/States', 'AWS/States', 'AWS/States']);
  });
});
