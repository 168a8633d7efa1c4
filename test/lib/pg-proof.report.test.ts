// The WriteReport Lambda in the template: its environment, its exact permissions, the state machine's grant.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEngineConfig } from '../../containers/common/engine-config';
import { PgProof } from '../../lib/pg-proof';
import { buildPgProof, minimalProps, testStack } from '../helpers/cdk';

type Json = Record<string, any>;
let resources: Record<string, Json>;

beforeAll(() => {
  resources = Template.fromStack(buildPgProof().stack).toJSON().Resources;
});

const ofType = (all: Record<string, Json>, type: string) => Object.entries(all).filter(([, r]) => r.Type === type);
const reportFunction = (all: Record<string, Json>) =>
  ofType(all, 'AWS::Lambda::Function').find(([id]) => /ReportWriteReport[0-9A-F]{8}$/.test(id))![1];
function statementsOfRole(all: Record<string, Json>, rolePattern: RegExp): Json[] {
  const roleId = ofType(all, 'AWS::IAM::Role').find(([id]) => rolePattern.test(id))![0];
  return ofType(all, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}
const text = (v: unknown) => JSON.stringify(v);

describe('report step', () => {
  it('gets the bucket, prefix and retention policy, no name map for a single database, and no VPC', () => {
    const fn = reportFunction(resources);
    const vars = fn.Properties.Environment.Variables;
    expect(vars.PGPROOF_BUCKET).toEqual({ Ref: expect.stringMatching(/BackupsBucket/) });
    expect(vars.PGPROOF_PREFIX).toBe('pgproof');
    expect(JSON.parse(vars.PGPROOF_RETENTION)).toMatchObject({ keepDaily: 7, keepVerifiedMin: 3 });
    expect(vars.PGPROOF_DATABASE_NAMES).toBeUndefined();
    expect(fn.Properties.VpcConfig).toBeUndefined();
    expect(fn.Properties.Timeout).toBe(120);
  });

  it('may list and read the prefix, write only */report.html and */runs.json, use the key, and delete nothing', () => {
    const statements = statementsOfRole(resources, /ReportWriteReportRole/);
    const byAction = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(byAction('s3:ListBucket')[0]!.Condition).toEqual({ StringLike: { 's3:prefix': ['pgproof/*'] } });
    expect(text(byAction('s3:GetObject')[0]!.Resource)).toMatch(/"\/pgproof\/\*"\]/);
    const put = byAction('s3:PutObject');
    expect(put).toHaveLength(1);
    expect([put[0]!.Action].flat()).toEqual(['s3:PutObject']);
    const putResources = [put[0]!.Resource].flat().map(text);
    expect(putResources).toHaveLength(2);
    expect(putResources[0]).toMatch(/"\/pgproof\/\*\/report\.html"\]/);
    expect(putResources[1]).toMatch(/"\/pgproof\/\*\/runs\.json"\]/);
    const kms = byAction('kms:Decrypt')[0]!;
    expect(kms.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PgProofKey/), 'Arn'] });
  });

  it('may be invoked by the state machine, whose definition writes the reports after SummarizeRun', () => {
    const statements = statementsOfRole(resources, /StateMachineRole/);
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction')!;
    expect(text(invoke.Resource)).toMatch(/ReportWriteReport/);
    const sm = ofType(resources, 'AWS::StepFunctions::StateMachine')[0]![1];
    expect(text(sm.Properties.DefinitionString)).toContain('WriteReports');
  });

  it("gives the chat function the report's S3 console URL for one database, none for a fleet", () => {
    const chat = ofType(resources, 'AWS::Lambda::Function').find(([id]) => /NotifyNotifyChat[0-9A-F]{8}$/.test(id))![1];
    const url = text(chat.Properties.Environment.Variables.PGPROOF_REPORT_URL);
    expect(url).toContain('.console.aws.amazon.com/s3/object/');
    expect(url).toMatch(/\?prefix=pgproof\/[^/"]+\/report\.html"/);
    expect(url).toContain('BackupsBucket');
  });

  it("maps a fleet's ids to their database names when they differ (the folders are the names)", () => {
    const stack = testStack();
    const {
      databaseHost: _h,
      databaseName: _n,
      databaseUser: _u,
      databasePasswordSecret,
      ...rest
    } = minimalProps(stack);
    const connection = {
      host: 'db.internal',
      sslMode: 'require',
      passwordJsonField: 'password',
      passwordSecret: databasePasswordSecret!,
    } as const;
    const engine = parseEngineConfig({});
    new PgProof(stack, 'PgProof', {
      ...rest,
      fleet: {
        connection,
        databases: [
          { id: 'shop-eu', name: 'shop', connection, engine },
          { id: 'blog', name: 'blog', connection, engine },
        ],
      },
    });
    const fleetResources = Template.fromStack(stack).toJSON().Resources;
    const vars = reportFunction(fleetResources).Properties.Environment.Variables;
    expect(JSON.parse(vars.PGPROOF_DATABASE_NAMES)).toEqual({ 'shop-eu': 'shop' });
    const chat = ofType(fleetResources, 'AWS::Lambda::Function').find(([id]) =>
      /NotifyNotifyChat[0-9A-F]{8}$/.test(id),
    )![1];
    expect(chat.Properties.Environment.Variables.PGPROOF_REPORT_URL).toBeUndefined();
  });
});
