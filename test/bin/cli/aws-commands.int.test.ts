import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AccountMismatch,
  executionConsoleUrl,
  findDeployedStateMachine,
  findStateMachineArn,
  resolveAwsTarget,
  resolveStackName,
} from '../../../bin/cli/deployed-state-machine';
import { executionHistory, summarise } from '../../../bin/cli/execution-history';
import { runTable } from '../../../lib/local/run-result';
import { MAX_REASON_CHARS } from '../../../lib/common/rules';
import { parseManualInput, startExecution, waitForExecution } from '../../../bin/cli/start-execution';
import { ROOT } from '../../helpers/fixtures';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pgproof-main';
const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:pgproof-main:20261124T030000Z-0123456789';

beforeEach(() => {
  cfn.reset();
  sfn.reset();
});

describe('finding the deployed state machine', () => {
  it('takes the state machine ARN from the stack outputs, whatever the output is called', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand, { StackName: 'PgProof' }).resolves({
      Stacks: [
        {
          StackName: 'PgProof',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'BucketName', OutputValue: 'b' },
            { OutputKey: 'PgProofStateMachineArn1A2B', OutputValue: ARN },
          ],
        },
      ],
    });
    // Act / Assess
    await expect(findStateMachineArn(new CloudFormationClient({}), 'PgProof')).resolves.toBe(ARN);
  });
  it('names the stack as cdk deploy did: PgProof-<name> from the configuration file, unless --stack is given', () => {
    expect(resolveStackName('Mine', path.join(ROOT, 'pgproof.config.json'))).toBe('Mine');
    expect(resolveStackName(undefined, path.join(ROOT, 'pgproof.config.json'))).toBe('PgProof-orders');
    expect(resolveStackName(undefined, path.join(ROOT, 'no-such-config.json'))).toBeUndefined();
  });

  it('says how to fix a missing stack', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    await expect(findStateMachineArn(new CloudFormationClient({}), 'Nope')).rejects.toThrow(
      /stack "Nope" does not exist .*npx cdk deploy.*--stack NAME/,
    );
  });
});

describe('starting a run', () => {
  it('validates the manual input, naming an unknown field or a wrong type', () => {
    expect(parseManualInput('{"reason": "before migration"}')).toEqual({ reason: 'before migration' });
    expect(parseManualInput(undefined)).toEqual({});
    expect(() => parseManualInput('{"reasn": "x"}')).toThrow(/--input: .*reasn/);
    expect(() => parseManualInput('{"reason": 5}')).toThrow(/--input: reason: .*string/);
    expect(() => parseManualInput('nope')).toThrow(/not valid JSON/);
  });

  it('refuses a reason longer than MAX_REASON_CHARS (it travels in the ECS overrides) or empty', () => {
    const atCap = 'r'.repeat(MAX_REASON_CHARS);
    expect(parseManualInput(JSON.stringify({ reason: atCap }))).toEqual({ reason: atCap });
    expect(() => parseManualInput(JSON.stringify({ reason: `${atCap}r` }))).toThrow(
      `--input: reason is ${MAX_REASON_CHARS + 1} characters long; at most ${MAX_REASON_CHARS} are allowed`,
    );
    expect(() => parseManualInput('{"reason": ""}')).toThrow('--input: reason must not be empty');
  });

  it('starts an execution named as a manual start and links to the console', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    const started = await startExecution(new SFNClient({}), ARN, { reason: 'test' });
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call).toMatchObject({ stateMachineArn: ARN, input: '{"reason":"test"}' });
    expect(call.name).toMatch(/^manual-\d{8}T\d{6}Z-[0-9a-f]{10}$/);
    expect(started.consoleUrl).toBe(executionConsoleUrl(EXEC));
    expect(started.consoleUrl).toMatch(
      /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\/home\?region=eu-west-1#\/v2\/executions\/details\/arn%3Aaws%3Astates/,
    );
  });

  it('follows an execution to its end', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: EXEC, stateMachineArn: ARN, status: 'RUNNING', startDate: new Date() })
      .resolves({
        executionArn: EXEC,
        stateMachineArn: ARN,
        status: 'FAILED',
        startDate: new Date(),
        error: 'DumpFailed',
      });
    const statuses: string[] = [];
    const done = await waitForExecution(new SFNClient({}), EXEC, { intervalMs: 1, onPoll: (s) => statuses.push(s) });
    expect(statuses).toEqual(['RUNNING', 'FAILED']);
    expect(done.error).toBe('DumpFailed');
  });

  it('exits 2 on bad --input before calling AWS', () => {
    const out = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin', 'pgproof.mjs'), 'start', '--input', '{"unknown": 1}'],
      { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    );
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/--input: .*unknown/);
  });
});

describe('run history from AWS', () => {
  it('lists executions newest first with size, durations and checks from their output', async () => {
    const t0 = new Date('2026-11-23T03:00:00Z');
    const t1 = new Date('2026-11-24T03:00:00Z');
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: `${EXEC}-a`, stateMachineArn: ARN, name: 'a', status: 'SUCCEEDED', startDate: t0 },
        { executionArn: `${EXEC}-b`, stateMachineArn: ARN, name: 'b', status: 'FAILED', startDate: t1 },
      ],
    });
    sfn.on(DescribeExecutionCommand, { executionArn: `${EXEC}-a` }).resolves({
      executionArn: `${EXEC}-a`,
      stateMachineArn: ARN,
      name: 'a',
      status: 'SUCCEEDED',
      startDate: t0,
      stopDate: new Date(t0.getTime() + 95_000),
      output: JSON.stringify({
        backup: { key: 'k', bytes: 2_500_000, sha256: 'ab'.repeat(32), seconds: 12.5 },
        verify: {
          restoreSeconds: 30.25,
          checks: [
            { name: 'a', passed: true },
            { name: 'b', passed: true },
          ],
        },
      }),
    });
    sfn.on(DescribeExecutionCommand, { executionArn: `${EXEC}-b` }).resolves({
      executionArn: `${EXEC}-b`,
      stateMachineArn: ARN,
      name: 'b',
      status: 'FAILED',
      startDate: t1,
      stopDate: t1,
      error: 'ChecksumMismatch',
    });
    const runs = await executionHistory(new SFNClient({}), ARN);
    expect(runs.map((r) => [r.runId, r.status])).toEqual([
      ['b', 'FAILED'],
      ['a', 'SUCCEEDED'],
    ]);
    expect(runs[1]).toMatchObject({
      seconds: 95,
      backup: { key: 'k', bytes: 2_500_000 },
      verify: { restoreSeconds: 30.25, checks: [{ passed: true }, { passed: true }] },
    });
    const table = runTable(runs, { showDatabase: false });
    expect(table).toMatch(/2026-11-23 03:00:00 +SUCCEEDED +95 s +2\.38 MiB +12\.5 +30\.3 +2\/2/);
    expect(table).toMatch(/FAILED .*ChecksumMismatch/);
  });

  it('reports the run id the state machine made, not the execution name', () => {
    expect(
      summarise({
        name: 'exec-from-eventbridge',
        status: 'SUCCEEDED',
        output: JSON.stringify({ runId: '20261124T030000Z-0123456789ab' }),
      }).runId,
    ).toBe('20261124T030000Z-0123456789ab');
  });

  it('survives an execution whose output is not JSON', () => {
    expect(summarise({ name: 'x', status: 'SUCCEEDED', output: 'not json' })).toMatchObject({
      runId: 'x',
      status: 'SUCCEEDED',
    });
  });
});

describe('region, profile and account of start and history', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgproof-aws-target-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** A deployed configuration file with the given top-level fields. */
  const configFile = (fields: Record<string, unknown>) => {
    const file = path.join(dir, `${Object.values(fields).join('-') || 'empty'}.json`);
    writeFileSync(file, JSON.stringify({ name: 'main', ...fields }));
    return file;
  };
  const stackWith = (arn: string) => ({
    Stacks: [
      {
        StackName: 'PgProof-main',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE' as const,
        Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: arn }],
      },
    ],
  });

  it('takes the region from the configuration file unless --region is given, and --profile as given', () => {
    const file = configFile({ region: 'eu-central-1', account: '123456789012' });
    expect(resolveAwsTarget({}, file)).toEqual({ region: 'eu-central-1', account: '123456789012' });
    expect(resolveAwsTarget({ region: 'us-east-2', profile: 'backups' }, file)).toEqual({
      region: 'us-east-2',
      profile: 'backups',
      account: '123456789012',
    });
    expect(resolveAwsTarget({}, configFile({}))).toEqual({});
    expect(resolveAwsTarget({ profile: 'backups' }, path.join(dir, 'missing.json'))).toEqual({ profile: 'backups' });
  });

  it('reads the stack and starts runs with clients of the region and profile asked for', async () => {
    // Prepare
    const arn = 'arn:aws:states:eu-central-1:123456789012:stateMachine:pgproof-main';
    cfn.on(DescribeStacksCommand, { StackName: 'PgProof-main' }).resolves(stackWith(arn));
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${arn.replace('stateMachine', 'execution')}:manual-x`, startDate: new Date() });
    const target = resolveAwsTarget(
      { profile: 'backups' },
      configFile({ region: 'eu-central-1', account: '123456789012' }),
    );

    // Act
    const { stateMachineArn, sfn: client } = await findDeployedStateMachine('PgProof-main', target);
    await startExecution(client, stateMachineArn, {});

    // Assess: every client that called AWS was made for that region and profile
    const callers = [
      cfn.commandCalls(DescribeStacksCommand)[0]!.thisValue,
      sfn.commandCalls(StartExecutionCommand)[0]!.thisValue,
    ] as Array<CloudFormationClient | SFNClient>;
    for (const caller of callers) {
      expect(await caller.config.region()).toBe('eu-central-1');
      expect((caller.config as { profile?: string }).profile).toBe('backups');
    }
    expect(stateMachineArn).toBe(arn);
  });

  it('refuses a stack in another account than the configuration names, naming both and the fix', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves(stackWith('arn:aws:states:eu-central-1:999999999999:stateMachine:pgproof-main'));
    const target = resolveAwsTarget({}, configFile({ region: 'eu-central-1', account: '123456789012' }));

    const error = await findDeployedStateMachine('PgProof-main', target).then(
      () => new Error('no error thrown'),
      (e: unknown) => e as Error,
    );

    expect(error).toBeInstanceOf(AccountMismatch);
    expect(error.message).toMatch(
      /reach account 999999999999, but the configuration names account 123456789012: .*--profile/,
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('accepts any account when the configuration names none', async () => {
    const arn = 'arn:aws:states:eu-west-1:999999999999:stateMachine:pgproof-main';
    cfn.on(DescribeStacksCommand).resolves(stackWith(arn));
    await expect(
      findDeployedStateMachine('PgProof-main', resolveAwsTarget({}, configFile({ region: 'eu-west-1' }))),
    ).resolves.toMatchObject({ stateMachineArn: arn });
  });

  it("suspects the credentials' account when the stack is missing and the configuration names one", async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id PgProof-main does not exist'), { name: 'ValidationError' }));
    const target = resolveAwsTarget(
      { profile: 'dev' },
      configFile({ region: 'eu-central-1', account: '123456789012' }),
    );
    await expect(findDeployedStateMachine('PgProof-main', target)).rejects.toThrow(
      /stack "PgProof-main" does not exist .*looked with profile "dev", region eu-central-1; the configuration names account 123456789012: .*--profile/,
    );
  });
});
