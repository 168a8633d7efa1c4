import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionParams } from '../../../../containers/common/pg-connection';
import { readVerificationRecord, type VerificationRecord } from '../../../../containers/common/manifest';
import { createS3Client } from '../../../../containers/common/s3';
import { EMBEDDED_S3_CREDENTIALS, startEmbeddedS3 } from '../../../../lib/local/embedded-s3';
import { createSampleDatabase } from '../../../../lib/local/sample-database';
import { createSourceDatabase } from '../../../helpers/fixtures';
import { SOURCE_PASSWORD } from '../../../helpers/source-cluster';
import { lastJson, pgproof } from '../../../helpers/pgproof-process';

const url = (c: ConnectionParams) =>
  `postgres://${c.user}:${encodeURIComponent(c.password ?? '')}@${c.host}:${c.port}/${c.database}`;

describe('pgproof verify --local', () => {
  let source: ConnectionParams;
  let dir: string;
  let stateDir: string;
  let config: string;
  /** The backups of the two runs, oldest first. */
  const keys: string[] = [];

  /** The verified marker beside `key`, read from the state dir's embedded S3. */
  async function marker(key: string): Promise<VerificationRecord | undefined> {
    const s3 = await startEmbeddedS3(stateDir);
    try {
      const client = createS3Client(
        { endpoint: s3.endpoint },
        {
          accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID,
          secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
        },
      );
      return await readVerificationRecord(client, s3.bucket, key);
    } finally {
      await s3.stop();
    }
  }
  const backups = async () =>
    JSON.parse((await pgproof(['backups', '--local', '--state-dir', stateDir, '--json'])).stdout) as Array<{
      key: string;
      verified: boolean;
    }>;
  const verify = (backup: string, ...more: string[]) =>
    pgproof([
      'verify',
      '--local',
      '--backup',
      backup,
      '--database-url',
      url(source),
      '--config',
      config,
      '--state-dir',
      stateDir,
      '--json',
      ...more,
    ]);

  beforeAll(async () => {
    source = await createSourceDatabase('cli_verify', async (sql) => {
      await createSampleDatabase({ query: sql } as unknown as Parameters<typeof createSampleDatabase>[0], {
        rows: 200,
      });
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-verify-'));
    stateDir = path.join(dir, 'state');
    config = path.join(dir, 'ok.json');
    await writeFile(
      config,
      JSON.stringify({
        checks: [{ name: 'customers exist', sql: 'select count(*) from shop.customers', expect: { min: 1 } }],
      }),
    );
    // GIVEN two verified local runs of one database
    for (let i = 0; i < 2; i++) {
      const run = await pgproof([
        'run',
        '--local',
        '--database-url',
        url(source),
        '--config',
        config,
        '--state-dir',
        stateDir,
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      keys.push((lastJson(run).databases as Array<{ backup: { key: string } }>)[0]!.backup.key);
    }
  }, 240_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('verifies the older backup again: SUCCEEDED, its marker refreshed, no new backup, no check-in', {
    timeout: 180_000,
  }, async () => {
    const [older, newer] = keys as [string, string];
    const before = await marker(older);
    expect(before).toBeDefined();

    // WHEN
    const out = await verify(older, '--reason', 'before relying on it');

    // THEN it verified that backup, for its database, and says so
    expect(out.code, out.stderr).toBe(0);
    const result = lastJson(out);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      database: source.database,
      verifyBackup: older,
      reason: 'before relying on it',
      databases: [{ database: source.database, status: 'SUCCEEDED', isNew: false }],
    });
    const [database] = result.databases as Array<Record<string, any>>;
    expect(database!.backup).toBeUndefined();
    expect(database!.verify.checks).toBeGreaterThanOrEqual(3);
    // AND its comparison is with a verified backup before it: there is none (not itself, not the newer one)
    expect(database!.verify.previous).toBeUndefined();
    // AND no switch was checked in; the printed chat message names the backup as an existing one
    expect(result.snitch).toBeUndefined();
    expect((result.chat as { text: string }).text).toMatch(/Existing backup re-verified[\s\S]*no new backup was made/);
    expect(out.stderr).toContain(`existing backup re-verified: ${older}`);
    // AND its marker was written again; no third backup exists
    const after = await marker(older);
    expect(after).toMatchObject({ key: older, runId: before!.runId });
    expect(Date.parse(after!.verifiedAt)).toBeGreaterThan(Date.parse(before!.verifiedAt));
    expect((await backups()).map((b) => b.key).sort()).toEqual([older, newer].sort());
    // AND the history holds the re-verification as a third run
    const history = JSON.parse((await pgproof(['history', '--local', '--json', '--state-dir', stateDir])).stdout);
    expect(history).toHaveLength(3);
    expect(history[0]).toMatchObject({ runId: result.runId, verifyBackup: older });
    expect(`${out.stdout}${out.stderr}`).not.toContain(SOURCE_PASSWORD);
  });

  it('takes the newest verified backup for --backup latest, comparing it with the one before', {
    timeout: 180_000,
  }, async () => {
    const out = await verify('latest', '--database', source.database);
    expect(out.code, out.stderr).toBe(0);
    const result = lastJson(out);
    expect(result.verifyBackup).toBe(keys[1]);
    const [database] = result.databases as Array<Record<string, any>>;
    expect(database!.verify.previous).toMatchObject({ dumpBytes: expect.any(Number) });
  });

  it('fails with BackupNotFound naming the key and `pgproof backups` for a key that is no backup', {
    timeout: 180_000,
  }, async () => {
    const missing = keys[0]!.replace(/\d{8}T\d{6}Z-[0-9a-f]+/, '20200101T000000Z-abcdef012345');
    const out = await verify(missing);
    expect(out.code).toBe(1);
    const result = lastJson(out);
    expect(result).toMatchObject({
      status: 'FAILED',
      verifyBackup: missing,
      error: { state: 'VerifyBackup', name: 'BackupNotFound' },
    });
    const { message } = result.error as { message: string };
    expect(message).toContain(missing);
    expect(message).toContain('pgproof backups');
    expect(result.snitch).toBeUndefined();
    expect(await backups()).toHaveLength(2);
  });

  it('fails when a check of the backup now fails, naming the check', { timeout: 180_000 }, async () => {
    const strict = path.join(dir, 'strict.json');
    await writeFile(
      strict,
      JSON.stringify({
        checks: [{ name: 'at most ten customers', sql: 'select count(*) from shop.customers', expect: { max: 10 } }],
      }),
    );
    const out = await verify(keys[0]!, '--config', strict);
    expect(out.code).toBe(1);
    const result = lastJson(out);
    expect(result).toMatchObject({
      status: 'FAILED',
      verifyBackup: keys[0],
      error: { state: 'VerifyBackup', name: 'VerificationFailed', message: expect.stringContaining('at most ten') },
    });
    expect(result.snitch).toBeUndefined();
  });

  it('refuses usage errors before running: a key of another --database, latest with no verified backup', async () => {
    const other = await verify(keys[0]!, '--database', 'billing');
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/not of --database billing/);
    const none = await verify('latest', '--database', 'nothing_here');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no verified backup of database "nothing_here"/);
  });
});
