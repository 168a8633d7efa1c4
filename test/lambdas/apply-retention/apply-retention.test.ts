// apply-retention with a mocked S3 client: Object Lock (which the local S3 server lacks), errors and configuration.
import {
  GetObjectCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { dumpKey, manifestKeyFor, verifiedKeyFor } from '../../../containers/common/keys';
import type { Manifest, VerificationRecord } from '../../../containers/common/manifest';
import { createApplyRetentionHandler } from '../../../lambdas/apply-retention/handler';
import type { LambdaLogger } from '../../../lambdas/common/logger';
import type { Environment } from '../../../lambdas/common/env';
import { APPLY_RETENTION_ACTIONS } from '../../../lib/contracts/retention-marking';
import { thrown } from '../../helpers/runs';

const BUCKET = 'backups-123';
const PREFIX = 'pgproof';
// keepWeekly 4: the newest verified backup is locked for 28 days; keepDaily 7 ends sooner.
const POLICY = { keepDaily: 7, keepWeekly: 4, keepMonthly: 0, keepYearly: 0, keepVerifiedMin: 1, unverifiedDays: 7 };
const NOW = new Date('2026-12-01T04:00:00Z');
const A = '20261201T030000Z-aaaaaaaaaa'; // verified: daily+weekly+min, locked until 2026-12-29T03:00Z
const C = '20261130T030000Z-cccccccccc'; // never verified: unverified, never locked
const A_UNTIL = new Date('2026-12-29T03:00:00Z');
const A_KEY = dumpKey(PREFIX, 'shop', A, '.dump.zst');
const C_KEY = dumpKey(PREFIX, 'shop', C, '.dump.zst');
const A_OBJECTS = [A_KEY, manifestKeyFor(A_KEY), verifiedKeyFor(A_KEY)];
// In the layout's shape one level too deep (folder "archive"): not a backup of this folder.
const NESTED = `${PREFIX}/shop/archive/2026-11-01/20261101T030000Z-1234567890.dump.zst`;
// What an AWS AccessDenied message quotes: it must not reach the error's text.
const SDK_MESSAGE = 'User: arn:aws:sts::123456789012:assumed-role/pgproof-mark-Role-Zx81/fn is not authorized';

const s3Mock = mockClient(S3Client);
const quietLogger: LambdaLogger = { debug() {}, info() {}, warn() {}, error() {} };

function manifestOf(runId: string, key: string): Manifest {
  return {
    manifestVersion: 1,
    runId,
    database: 'shop',
    key,
    bytes: 64,
    sha256: 'a'.repeat(64),
    format: 'custom',
    compression: { method: 'zstd', level: 1, threads: 0 },
    server: { version: '16.4', major: 16, encoding: 'UTF8' },
    pgDump: { version: '16.4', major: 16 },
    startedAt: '2026-12-01T03:00:00Z',
    finishedAt: '2026-12-01T03:01:00Z',
    snapshotAt: '2026-12-01T03:00:01Z',
    dumpSeconds: 60,
    tables: [],
    largeObjects: 0,
    roles: [],
    deepProof: false,
    sizeGuard: { maxShrink: 0.5 },
  } as Manifest;
}

const record: VerificationRecord = {
  runId: A,
  key: A_KEY,
  verifiedAt: '2026-12-01T03:05:00Z',
  restoreSeconds: 4,
  serverMajor: 16,
  tables: 0,
  rows: 0,
  checks: [{ name: 'row counts', passed: true }],
  deepProof: false,
};

/** An S3 error as the SDK throws it. */
function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: SDK_MESSAGE,
  });
}

const bodyOf = (value: unknown) => ({ transformToString: async () => JSON.stringify(value) });

const env = (overrides: Environment = {}): Environment => ({
  PGPROOF_BUCKET: BUCKET,
  PGPROOF_PREFIX: PREFIX,
  PGPROOF_RETENTION: JSON.stringify(POLICY),
  ...overrides,
});

const handle = (environment: Environment, event: unknown = { backupKey: A_KEY }) =>
  createApplyRetentionHandler({
    env: environment,
    s3: new S3Client({ region: 'us-east-1' }),
    logger: quietLogger,
    clock: () => NOW,
  })(event);

/** The commands sent, by name (e.g. `PutObjectRetentionCommand`). */
const sentCommands = () => s3Mock.calls().map((c) => (c.args[0] as object).constructor.name);

describe('apply-retention with a mocked S3', () => {
  beforeEach(() => {
    s3Mock.reset();
    // GIVEN the folder of shop: A verified, C never verified, a foreign file and a backup-like key nested deeper
    s3Mock.on(ListObjectsV2Command).resolves({
      Contents: [...A_OBJECTS, C_KEY, manifestKeyFor(C_KEY), `${PREFIX}/shop/notes.txt`, NESTED].map((Key) => ({
        Key,
        Size: 10,
        LastModified: NOW,
      })),
    });
    s3Mock
      .on(GetObjectCommand, { Key: manifestKeyFor(A_KEY) })
      .resolves({ Body: bodyOf(manifestOf(A, A_KEY)) } as never);
    s3Mock
      .on(GetObjectCommand, { Key: manifestKeyFor(C_KEY) })
      .resolves({ Body: bodyOf(manifestOf(C, C_KEY)) } as never);
    s3Mock.on(GetObjectCommand, { Key: verifiedKeyFor(A_KEY) }).resolves({ Body: bodyOf(record) } as never);
    s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    s3Mock.on(PutObjectTaggingCommand).resolves({});
    s3Mock.on(GetObjectRetentionCommand).rejects(s3Error('NoSuchObjectLockConfiguration', 404));
    s3Mock.on(PutObjectRetentionCommand).resolves({});
  });
  afterAll(() => {
    s3Mock.restore();
  });

  describe('Object Lock', () => {
    it('without a lock mode, reads and sets no retention', async () => {
      const output = await handle(env());

      expect(output).toEqual({ kept: 2, expired: 0, tagged: 5, locked: 0 });
      expect(s3Mock.commandCalls(GetObjectRetentionCommand)).toHaveLength(0);
      expect(s3Mock.commandCalls(PutObjectRetentionCommand)).toHaveLength(0);
    });

    it("locks every object of a kept verified backup until its rules' end, in the configured mode", async () => {
      const output = await handle(env({ PGPROOF_OBJECT_LOCK_MODE: 'GOVERNANCE' }));

      expect(output).toEqual({ kept: 2, expired: 0, tagged: 5, locked: 3 });
      const puts = s3Mock.commandCalls(PutObjectRetentionCommand).map((c) => c.args[0].input);
      expect(puts.map((p) => p.Key).sort()).toEqual([...A_OBJECTS].sort());
      for (const put of puts)
        expect(put).toEqual({
          Bucket: BUCKET,
          Key: put.Key,
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate: A_UNTIL },
        });
      // The unverified backup is neither read nor locked.
      expect(s3Mock.commandCalls(GetObjectRetentionCommand).map((c) => c.args[0].input.Key)).not.toContain(C_KEY);
    });

    it('never shortens a lock: a later retain-until date is left as it is', async () => {
      s3Mock
        .on(GetObjectRetentionCommand)
        .resolves({ Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date('2027-01-01T00:00:00Z') } });

      const output = await handle(env({ PGPROOF_OBJECT_LOCK_MODE: 'GOVERNANCE' }));

      expect(output.locked).toBe(0);
      expect(s3Mock.commandCalls(GetObjectRetentionCommand)).toHaveLength(3);
      expect(s3Mock.commandCalls(PutObjectRetentionCommand)).toHaveLength(0);
    });

    it('extends an earlier lock in force keeping its mode, and an elapsed one in the configured mode', async () => {
      s3Mock
        .on(GetObjectRetentionCommand, { Key: A_KEY })
        .resolves({ Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date('2026-12-10T00:00:00Z') } });
      s3Mock
        .on(GetObjectRetentionCommand, { Key: manifestKeyFor(A_KEY) })
        .resolves({ Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date('2026-11-20T00:00:00Z') } });

      const output = await handle(env({ PGPROOF_OBJECT_LOCK_MODE: 'COMPLIANCE' }));

      expect(output.locked).toBe(3);
      const byKey = new Map(
        s3Mock.commandCalls(PutObjectRetentionCommand).map((c) => [c.args[0].input.Key, c.args[0].input.Retention]),
      );
      expect(byKey.get(A_KEY)).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: A_UNTIL });
      expect(byKey.get(manifestKeyFor(A_KEY))).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: A_UNTIL });
      expect(byKey.get(verifiedKeyFor(A_KEY))).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: A_UNTIL });
    });

    it('keeps a governance lock in force as governance when the configured mode is compliance', async () => {
      s3Mock
        .on(GetObjectRetentionCommand)
        .resolves({ Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date('2026-12-10T00:00:00Z') } });

      await handle(env({ PGPROOF_OBJECT_LOCK_MODE: 'COMPLIANCE' }));

      const modes = s3Mock.commandCalls(PutObjectRetentionCommand).map((c) => c.args[0].input.Retention?.Mode);
      expect(modes).toEqual(['GOVERNANCE', 'GOVERNANCE', 'GOVERNANCE']);
    });
  });

  it('never sends a delete of any kind, even for expired objects', async () => {
    // GIVEN a policy under which C has expired
    const output = await handle(
      env({
        PGPROOF_RETENTION: JSON.stringify({ ...POLICY, unverifiedDays: 1 }),
        PGPROOF_OBJECT_LOCK_MODE: 'GOVERNANCE',
      }),
    );

    expect(output).toEqual({ kept: 1, expired: 1, tagged: 5, locked: 3 });
    const tagged = s3Mock.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input);
    expect(tagged.find((t) => t.Key === C_KEY)?.Tagging?.TagSet).toEqual([
      { Key: 'pgproof-retention', Value: 'expired' },
    ]);
    // Exactly the commands of the actions the role is given, and no delete among them.
    const actionOf: Record<string, string> = {
      ListObjectsV2Command: 's3:ListBucket',
      GetObjectCommand: 's3:GetObject',
      GetObjectTaggingCommand: 's3:GetObjectTagging',
      PutObjectTaggingCommand: 's3:PutObjectTagging',
      GetObjectRetentionCommand: 's3:GetObjectRetention',
      PutObjectRetentionCommand: 's3:PutObjectRetention',
    };
    const sent = [...new Set(sentCommands())];
    expect(sent.filter((name) => /Delete/.test(name))).toEqual([]);
    expect(sent.map((name) => actionOf[name] ?? name).sort()).toEqual(
      [
        ...APPLY_RETENTION_ACTIONS.bucket,
        ...APPLY_RETENTION_ACTIONS.objects,
        ...APPLY_RETENTION_ACTIONS.objectLock,
      ].sort(),
    );
    // The foreign file and the nested key are never read, tagged or locked.
    for (const untouched of ['notes.txt', '/archive/'])
      expect(s3Mock.calls().filter((c) => JSON.stringify(c.args[0].input).includes(untouched))).toEqual([]);
  });

  it('skips an object deleted since the listing (a delete marker too), and says so in the log', async () => {
    // GIVEN C's dump deleted (NoSuchKey) and A's manifest behind a delete marker (MethodNotAllowed) meanwhile
    s3Mock.on(GetObjectTaggingCommand, { Key: C_KEY }).rejects(s3Error('NoSuchKey', 404));
    s3Mock.on(GetObjectRetentionCommand, { Key: manifestKeyFor(A_KEY) }).rejects(s3Error('MethodNotAllowed', 405));
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const logger = { ...quietLogger, warn: (_: string, extra?: Record<string, unknown>) => warnings.push(extra) };

    const output = await createApplyRetentionHandler({
      env: env({ PGPROOF_OBJECT_LOCK_MODE: 'GOVERNANCE' }),
      s3: new S3Client({ region: 'us-east-1' }),
      logger,
      clock: () => NOW,
    })({ backupKey: A_KEY });

    // THEN the run succeeds; the gone objects are neither tagged nor locked
    expect(output).toEqual({ kept: 2, expired: 0, tagged: 4, locked: 2 });
    expect(s3Mock.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input.Key)).not.toContain(C_KEY);
    expect(s3Mock.commandCalls(PutObjectRetentionCommand).map((c) => c.args[0].input.Key)).not.toContain(
      manifestKeyFor(A_KEY),
    );
    expect(warnings).toEqual(expect.arrayContaining([{ key: C_KEY }, { key: manifestKeyFor(A_KEY) }]));
  });

  describe('errors', () => {
    it('AccessDenied on tagging names the object and the missing permission, not the SDK message', async () => {
      s3Mock.on(PutObjectTaggingCommand).rejects(s3Error('AccessDenied', 403));

      const error = await thrown(() => handle(env()));

      expect(error).toMatchObject({ name: 'ObjectMarkFailed' });
      expect(error.message).toMatch(
        /^PutObjectTagging on s3:\/\/backups-123\/pgproof\/shop\/2026-1[12]-\d\d\/\S+ was denied \(AccessDenied\): the function's role needs s3:PutObjectTagging on the backup prefix$/,
      );
      expect(error.message).not.toContain('123456789012');
      expect(error.message).not.toContain('assumed-role');
    });

    it('AccessDenied on reading a lock names s3:GetObjectRetention', async () => {
      s3Mock.on(GetObjectRetentionCommand).rejects(s3Error('AccessDenied', 403));

      const run = handle(env({ PGPROOF_OBJECT_LOCK_MODE: 'GOVERNANCE' }));

      await expect(run).rejects.toMatchObject({ name: 'ObjectMarkFailed' });
      await expect(run).rejects.toThrow(
        /GetObjectRetention on s3:\/\/backups-123\/pgproof\/shop\/2026-12-01\/.*needs s3:GetObjectRetention/,
      );
    });

    it('a bucket without Object Lock says so when a lock mode is set', async () => {
      s3Mock.on(GetObjectRetentionCommand).rejects(s3Error('InvalidRequest', 400));

      await expect(handle(env({ PGPROOF_OBJECT_LOCK_MODE: 'GOVERNANCE' }))).rejects.toThrow(
        /failed: InvalidRequest: is Object Lock enabled on the bucket\?/,
      );
      expect(s3Mock.commandCalls(PutObjectRetentionCommand)).toHaveLength(0);
    });

    it('another failure names the object, the action and the code', async () => {
      s3Mock.on(GetObjectTaggingCommand).rejects(s3Error('SlowDown', 503));

      await expect(handle(env())).rejects.toThrow(
        /^GetObjectTagging on s3:\/\/backups-123\/pgproof\/shop\/\S+ failed: SlowDown$/,
      );
    });

    it.each([
      ['no bucket', env({ PGPROOF_BUCKET: '' }), { name: 'MissingConfiguration' }, /PGPROOF_BUCKET is not set/],
      [
        'no policy',
        env({ PGPROOF_RETENTION: undefined }),
        { name: 'MissingConfiguration' },
        /PGPROOF_RETENTION is not set/,
      ],
      [
        'a policy out of range',
        env({ PGPROOF_RETENTION: JSON.stringify({ ...POLICY, unverifiedDays: 0 }) }),
        { name: 'ConfigError' },
        /PGPROOF_RETENTION\.unverifiedDays must be a whole number from 1 to 3660; got 0/,
      ],
      [
        'an unknown lock mode',
        env({ PGPROOF_OBJECT_LOCK_MODE: 'governance' }),
        { name: 'ConfigError' },
        /PGPROOF_OBJECT_LOCK_MODE must be one of GOVERNANCE, COMPLIANCE; got "governance"/,
      ],
    ])('fails before touching S3 with %s', async (_, environment, error, message) => {
      const run = handle(environment);

      await expect(run).rejects.toMatchObject(error);
      await expect(run).rejects.toThrow(message);
      expect(s3Mock.calls()).toHaveLength(0);
    });

    it.each([
      ['no backupKey', {}, /the event must be \{ "backupKey"/],
      [
        'a key that is not a dump',
        { backupKey: manifestKeyFor(A_KEY) },
        /is not a dump key under the prefix "pgproof"/,
      ],
      [
        'a dump under another prefix',
        { backupKey: A_KEY.replace(/^pgproof\//, 'other/') },
        /is not a dump key under the prefix/,
      ],
    ])('refuses an event with %s, touching nothing', async (_, event, message) => {
      const run = handle(env(), event);

      await expect(run).rejects.toMatchObject({ name: 'InvalidInput' });
      await expect(run).rejects.toThrow(message);
      expect(s3Mock.calls()).toHaveLength(0);
    });
  });
});
