import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackupResult } from '../../../containers/backup/backup';
import type { ConnectionParams } from '../../../containers/common/pg-connection';
import { runVerify, type VerifySettings } from '../../../containers/verify/verify';
import { lastJson, pgproof } from '../../helpers/pgproof-process';
import {
  captureLogger,
  createBucket,
  createSourceDatabase,
  testS3,
  backupForTest,
  verifySettingsFor,
} from '../../helpers/fixtures';

// The source cluster and the verify server share one PostgreSQL installation. An extension's files are put in its
// extension directory only while the source database creates it, then removed: the dump references an extension
// the verify server lacks, as an RDS dump does outside RDS.
const binDir = inject('source').binDir;
const extensionDir = path.join(
  execFileSync(path.join(binDir, 'pg_config'), ['--sharedir'], { encoding: 'utf8' }).trim(),
  'extension',
);
const controlFile = (name: string) => path.join(extensionDir, `${name}.control`);

async function createExtensionInSource(
  sql: (text: string) => Promise<unknown>,
  name: string,
  script: string,
  schema?: string,
): Promise<void> {
  const files = [controlFile(name), path.join(extensionDir, `${name}--1.0.sql`)];
  try {
    await writeFile(
      files[0]!,
      `comment = 'pgproof test stand-in'\ndefault_version = '1.0'\nrelocatable = false\n${schema ? `schema = ${schema}\n` : ''}`,
    );
    await writeFile(files[1]!, script);
    await sql(`create extension ${name}`);
  } finally {
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }
}

// A stand-in for RDS's aws_commons, laid out as on RDS (\dx shows it in public; its script creates the schema
// aws_commons for its members): a type, a function and a configuration table.
const AWS_COMMONS_SQL = `
create schema aws_commons;
create type aws_commons._s3_uri_1 as (bucket text, file_path text, region text);
create function aws_commons.create_s3_uri(b text, f text, r text) returns aws_commons._s3_uri_1
  language sql immutable as $$ select (b, f, r)::aws_commons._s3_uri_1 $$;
create table aws_commons.settings (k text primary key, v text);
select pg_catalog.pg_extension_config_dump('aws_commons.settings', '');
`;

async function withAwsCommons(sql: (text: string) => Promise<unknown>): Promise<void> {
  await createExtensionInSource(sql, 'aws_commons', AWS_COMMONS_SQL);
  await sql("comment on extension aws_commons is 'S3 helpers'");
  await sql("insert into aws_commons.settings values ('region', 'eu-west-1')");
}

let workRoot: string;
beforeAll(async () => {
  workRoot = await mkdtemp(path.join(os.tmpdir(), 'pgproof-rds-ext-test-'));
  await chmod(workRoot, 0o711);
});
afterAll(() => rm(workRoot, { recursive: true, force: true }));

const backup = backupForTest;

async function verifySettings(bucket: string, key: string, config: unknown = {}): Promise<VerifySettings> {
  const workDir = await mkdtemp(path.join(workRoot, 'w-'));
  await chmod(workDir, 0o711);
  return verifySettingsFor(bucket, key, workDir, config);
}

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error) => e,
  );

describe('verify with RDS-only extensions', () => {
  let bucket: string;
  let rdsDb: ConnectionParams;
  let rdsBackup: BackupResult;
  const grantee = `pgproof_s3_user_${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    bucket = await createBucket();
    rdsDb = await createSourceDatabase('rds_ext', async (sql) => {
      await withAwsCommons(sql);
      await sql(`create role ${grantee} nologin`);
      await sql(`grant usage on schema aws_commons to ${grantee}`);
      await sql(`grant execute on function aws_commons.create_s3_uri(text, text, text) to ${grantee}`);
      await sql('create table orders (id int primary key, total numeric)');
      await sql('insert into orders select g, g * 1.5 from generate_series(1, 50) g');
      // Calls the extension at run time only: restorable without it.
      await sql(
        "create function export_orders() returns void language plpgsql as $$ begin perform aws_commons.create_s3_uri('b', 'orders.csv', 'eu-west-1'); end $$",
      );
    });
    rdsBackup = await backup(rdsDb, bucket);
  });

  it('restores everything else, reports the extension as skipped, and row counts match', async () => {
    // GIVEN a dump that creates aws_commons (on the default list), which the verify server lacks
    expect(existsSync(controlFile('aws_commons'))).toBe(false);
    const settings = await verifySettings(bucket, rdsBackup.key, {
      checks: [
        { name: 'orders restored', sql: 'select count(*) from public.orders', expect: { equals: 50 } },
        {
          name: 'export function restored',
          sql: "select count(*) from pg_proc where proname = 'export_orders'",
          expect: { equals: 1 },
        },
        {
          name: 'no aws_commons here',
          sql: "select count(*) from pg_extension where extname = 'aws_commons'",
          expect: { equals: 0 },
        },
      ],
    });
    const { logger, lines } = captureLogger();
    // WHEN
    const result = await runVerify(settings, { s3: testS3(), logger });
    // THEN
    expect(result.skippedExtensions).toEqual(['aws_commons']);
    expect(result.checks.map((c) => [c.name, c.passed])).toEqual([
      ['row counts', true],
      ['large objects', true],
      ['database settings', true],
      ['orders restored', true],
      ['export function restored', true],
      ['no aws_commons here', true],
    ]);
    expect(result.checks[0]!.value).toBe('1 tables, 50 rows match');
    expect(lines.some((l) => l.includes('not restorable outside RDS: skipped') && l.includes('aws_commons'))).toBe(
      true,
    );
  });

  it('fails naming the extension when the list is overridden without it, and says what to do', async () => {
    const error = await failureOf(
      runVerify(await verifySettings(bucket, rdsBackup.key, { rdsOnlyExtensions: ['aws_s3'] }), {
        s3: testS3(),
        logger: captureLogger().logger,
      }),
    );
    expect(error).toMatchObject({
      name: 'RestoreFailed',
      message: expect.stringMatching(
        /the dump creates the extension "aws_commons", which the restore server lacks: install it in the verify image .*add the name to rdsOnlyExtensions/,
      ),
    });
  });

  it('fails, naming an extension that is missing and not on the list', async () => {
    // GIVEN
    const missing = `pgproof_missing_ext_${randomBytes(4).toString('hex')}`;
    const db = await createSourceDatabase('missing_ext', async (sql) => {
      await createExtensionInSource(
        sql,
        missing,
        `create function ${missing}_answer() returns int language sql as 'select 42';`,
      );
      await sql('create table t (id int); insert into t values (1)');
    });
    const b = await backup(db, bucket);
    expect(existsSync(controlFile(missing))).toBe(false);
    // WHEN / THEN: the default list
    const error = await failureOf(
      runVerify(await verifySettings(bucket, b.key), { s3: testS3(), logger: captureLogger().logger }),
    );
    expect(error).toMatchObject({
      name: 'RestoreFailed',
      message: expect.stringContaining(`the dump creates the extension "${missing}", which the restore server lacks`),
    });
    // AND with the extension on a configured list, it is skipped
    const result = await runVerify(await verifySettings(bucket, b.key, { rdsOnlyExtensions: [missing] }), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    expect(result.skippedExtensions).toEqual([missing]);
    expect(result.checks.every((c) => c.passed)).toBe(true);
  });

  it('refuses, naming them, user objects that cannot exist without the skipped extension', async () => {
    // GIVEN a table with a column of the extension's type and a view calling its function
    const db = await createSourceDatabase('rds_ext_dep', async (sql) => {
      await withAwsCommons(sql);
      await sql(
        "create table exports (id int primary key, target aws_commons._s3_uri_1); insert into exports values (1, aws_commons.create_s3_uri('b', 'f', 'r'))",
      );
      await sql(
        "create view export_targets as\n  select id, aws_commons.create_s3_uri('b', 'x', 'r') as uri\n    from exports",
      );
      await sql('create table plain (id int); insert into plain values (1)');
    });
    const b = await backup(db, bucket);
    const { logger, lines } = captureLogger();
    // WHEN
    const error = await failureOf(runVerify(await verifySettings(bucket, b.key), { s3: testS3(), logger }));
    // THEN
    expect(error).toMatchObject({ name: 'RestoreFailed' });
    expect(error!.message).toMatch(
      /object\(s\) of the dump depend on the extension\(s\) aws_commons, which exist only on Amazon RDS/,
    );
    expect(error!.message).toContain('TABLE public.exports');
    expect(error!.message).toContain('VIEW public.export_targets');
    expect(error!.message).not.toContain('public.plain');
    expect(lines.some((l) => l.includes('throwaway cluster ready'))).toBe(false);
  });

  it('carries verify.skippedExtensions in the --json result and says "not restorable outside RDS: skipped" in the chat message', async () => {
    const stateDir = path.join(workRoot, 'state');
    const url = `postgres://${rdsDb.user}@${rdsDb.host}:${rdsDb.port}/${rdsDb.database}`;
    const out = await pgproof(['run', '--local', '--database-url', url, '--state-dir', stateDir, '--json'], {
      env: { PGPASSWORD: rdsDb.password ?? '' },
    });
    const result = lastJson(out);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      databases: [expect.objectContaining({ verify: expect.objectContaining({ skippedExtensions: ['aws_commons'] }) })],
    });
    expect((result.chat as { text: string }).text).toMatch(
      /^Extensions: not restorable outside RDS: skipped: aws_commons$/m,
    );
    expect(out.stdout + out.stderr).toContain('extensions: not restorable outside RDS: skipped: aws_commons');
  });
});
