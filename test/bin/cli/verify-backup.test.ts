import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManualInput } from '../../../bin/cli/start-execution';
import { resolveBackupToVerify, verifyInAws, verifyRunInput } from '../../../bin/cli/verify-backup';
import { MAX_REASON_CHARS } from '../../../lib/common/rules';
import { captureOutput } from '../../helpers/capture-output';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pgproof-main';
const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:pgproof-main:manual-20261201T120000Z-0123456789';
const KEY = 'pgproof/orders/2026-11-24/20261124T030000Z-9f2c41d0ab12.dump.zst';
const RUN_ID = '20261201T120000Z-0123456789ab';

/** The output of a succeeded re-verification, as the state machine ends it (no snitch). */
const OUTPUT = {
  database: 'orders',
  runId: RUN_ID,
  reason: 'before migration',
  verifyBackup: KEY,
  status: 'SUCCEEDED',
  outcomes: [
    {
      database: 'orders',
      status: 'SUCCEEDED',
      isNew: false,
      backup: { key: KEY, bytes: null, seconds: null, sha256: null, previousBytes: null },
      verify: { restoreSeconds: 4, checks: 3, skippedExtensions: [], previous: null },
    },
  ],
  chat: { posted: true },
};

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  sfn.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

describe('verifyInAws', () => {
  it('starts the deployed state machine with {verifyBackup, reason}, follows it, and exits 0 when it verified', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: EXEC, stateMachineArn: ARN, status: 'RUNNING', startDate: new Date() })
      .resolves({
        executionArn: EXEC,
        stateMachineArn: ARN,
        status: 'SUCCEEDED',
        startDate: new Date('2026-12-01T12:00:00Z'),
        stopDate: new Date('2026-12-01T12:03:00Z'),
        output: JSON.stringify(OUTPUT),
      });
    // Act
    const code = await verifyInAws({
      sfn: new SFNClient({ region: 'eu-west-1' }),
      stateMachineArn: ARN,
      input: verifyRunInput(KEY, 'before migration'),
      json: true,
      intervalMs: 1,
    });
    // Assess
    expect(code).toBe(0);
    const start = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start.stateMachineArn).toBe(ARN);
    expect(JSON.parse(start.input!)).toEqual({ verifyBackup: KEY, reason: 'before migration' });
    expect(start.name).toMatch(/^manual-/);
    const printed = output.lines().at(-1)!;
    expect(printed).toMatchObject({
      status: 'SUCCEEDED',
      verifyBackup: KEY,
      executionArn: EXEC,
      databases: [{ database: 'orders', status: 'SUCCEEDED', verify: { checks: 3 } }],
    });
    expect(printed).not.toHaveProperty('snitch');
    expect(output.text()).toContain(`✅ verified again: ${KEY}`);
  });

  it('exits 1 with the error named when the backup did not verify', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXEC,
      stateMachineArn: ARN,
      status: 'FAILED',
      startDate: new Date(),
      stopDate: new Date(),
      error: 'DatabasesFailed',
    });
    const failed = {
      ...OUTPUT,
      status: 'FAILED',
      outcomes: [
        {
          database: 'orders',
          status: 'FAILED',
          error: { state: 'VerifyBackup', name: 'BackupNotFound', message: `backup ${KEY} cannot be verified` },
        },
      ],
    };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 9,
          timestamp: new Date(),
          type: 'FailStateEntered',
          stateEnteredEventDetails: { name: 'DatabasesFailed', input: JSON.stringify(failed) },
        },
      ],
    });
    const code = await verifyInAws({
      sfn: new SFNClient({ region: 'eu-west-1' }),
      stateMachineArn: ARN,
      input: verifyRunInput(KEY, undefined),
      json: false,
      intervalMs: 1,
    });
    expect(code).toBe(1);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!)).toEqual({
      verifyBackup: KEY,
    });
    expect(output.text()).toContain('VerifyBackup: BackupNotFound');
  });
});

describe('the re-verification input', () => {
  it('is what `start --input` accepts: verifyBackup text next to reason, nothing else', () => {
    expect(parseManualInput(JSON.stringify({ verifyBackup: KEY, reason: 'r' }))).toEqual({
      verifyBackup: KEY,
      reason: 'r',
    });
    expect(() => parseManualInput('{"verifyBackup": 5}')).toThrow(/--input: verifyBackup: .*string/);
    expect(() => parseManualInput('{"verifyBackup": ""}')).toThrow(/verifyBackup must be a backup key/);
    expect(() => parseManualInput('{"verifyBackup": "k", "dryRun": true}')).toThrow(/dryRun.*verifyBackup/);
  });

  it('refuses an empty key and a reason too long for the ECS overrides', () => {
    expect(() => verifyRunInput(' ', undefined)).toThrow(/--backup needs/);
    expect(() => verifyRunInput(KEY, 'r'.repeat(MAX_REASON_CHARS + 1))).toThrow(/--reason is/);
    expect(verifyRunInput(KEY, undefined)).toEqual({ verifyBackup: KEY });
  });

  it('takes a key as given, refuses one of another --database, and needs a bucket for latest', async () => {
    await expect(resolveBackupToVerify(KEY, undefined, undefined)).resolves.toEqual({ key: KEY, database: 'orders' });
    await expect(resolveBackupToVerify(KEY, 'orders', undefined)).resolves.toEqual({ key: KEY, database: 'orders' });
    await expect(resolveBackupToVerify(KEY, 'billing', undefined)).rejects.toThrow(/not of --database billing/);
    await expect(resolveBackupToVerify('latest', undefined, undefined)).rejects.toThrow(/latest needs .*--bucket/);
  });
});
