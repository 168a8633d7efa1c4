import { chown, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CopyObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runBackup, type BackupResult } from '../../../containers/backup/backup';
import { parseEngineConfig } from '../../../containers/common/engine-config';
import { writeVerificationRecord } from '../../../containers/common/manifest';
import { connect, type ConnectionParams } from '../../../containers/common/pg-connection';
import { unprivilegedAccount } from '../../../containers/common/throwaway-cluster';
import { which } from '../../../containers/common/which';
import { restoreBackup, type RestoreSettings } from '../../../bin/restore/restore-backup';
import { swapIn } from '../../../bin/restore/database-swap';
import { targetStateOf } from '../../../bin/restore/restore-errors';
import {
  captureLogger,
  createBucket,
  createSourceDatabase,
  getObjectBytes,
  sourceConnection,
  testS3,
} from '../../helpers/fixtures';

const DISCOVERY = { roots: ['/usr/lib/postgresql'], searchPath: '' };

async function backupOf(db: ConnectionParams, bucket: string, verified = true): Promise<BackupResult> {
  const backup = await runBackup(
    {
      connection: db,
      storage: { bucket, prefix: 'pgproof', endpoint: inject('s3Endpoint') },
      config: parseEngineConfig({}),
      discovery: DISCOVERY,
      zstdPath: await which('zstd'),
    },
    { s3: testS3(), logger: captureLogger().logger },
  );
  if (verified) {
    await writeVerificationRecord(testS3(), bucket, {
      runId: backup.runId,
      key: backup.key,
      verifiedAt: new Date().toISOString(),
      restoreSeconds: 1,
      serverMajor: 15,
      tables: backup.tables,
      rows: backup.rows,
      checks: [],
      deepProof: false,
    });
  }
  return backup;
}

async function restore(
  bucket: string,
  backup: string,
  target: ConnectionParams,
  more: Partial<RestoreSettings> = {},
  s3: S3Client = testS3(),
) {
  return restoreBackup(
    {
      storage: { bucket, prefix: 'pgproof', endpoint: inject('s3Endpoint') },
      backup,
      target,
      force: false,
      roles: 'require',
      discovery: DISCOVERY,
      zstdPath: await which('zstd'),
      jobs: 2,
      ...more,
    },
    { s3, logger: captureLogger().logger },
  );
}

async function query<T = Record<string, unknown>>(conn: ConnectionParams, sql: string): Promise<T[]> {
  const client = await connect(conn);
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error,
  );
const manifestKey = (key: string) => key.replace(/\.dump(\.zst)?$/, '.manifest.json');

describe('restore --force replaces the whole target database (issue 10.4)', () => {
  let bucket: string;
  let backup: BackupResult;
  // The repro; a primary key of a partitioned table must include the partition key.
  const schema =
    'create table t (id int, k int, primary key (id, k)) partition by range (k); create table t1 partition of t for values from (0) to (10)';

  beforeAll(async () => {
    bucket = await createBucket();
    const source = await createSourceDatabase('force_src', async (sql) => {
      await sql(schema);
      await sql('insert into t select i, i % 10 from generate_series(1, 50) i');
    });
    backup = await backupOf(source, bucket);
  });

  const busyTarget = () =>
    createSourceDatabase('force_dst', async (sql) => {
      await sql(schema);
      await sql('insert into t values (1000, 5)');
      await sql('create table extra (i int)');
    });

  it("restores a partitioned table with a primary key over the same schema: the target holds the backup's rows, nothing else", async () => {
    const target = await busyTarget();
    const result = await restore(bucket, backup.key, target, { force: true });
    expect(result).toMatchObject({ tables: 1, rows: 50, replaced: { previousDropped: true } });
    expect(await query(target, 'select count(*)::int as n, max(id) as max from t')).toEqual([{ n: 50, max: 50 }]);
    expect(await query(target, "select to_regclass('public.extra') as extra")).toEqual([{ extra: null }]);
    // No side database is left behind.
    const side = await query(
      sourceConnection('postgres'),
      `select datname from pg_database where datname like '${target.database}_pgproof_%'`,
    );
    expect(side).toEqual([]);
  });

  it('a failed restore leaves the target untouched, drops the partial copy and says so', async () => {
    // GIVEN a manifest promising more rows than the dump holds (the dump itself is intact)
    const b2 = await createBucket();
    const manifest = JSON.parse((await getObjectBytes(bucket, manifestKey(backup.key))).toString());
    manifest.tables = manifest.tables.map((t: { rows: number }) => ({ ...t, rows: t.rows + 1 }));
    await testS3().send(
      new CopyObjectCommand({
        Bucket: b2,
        Key: backup.key,
        CopySource: `${bucket}/${backup.key}`,
        MetadataDirective: 'COPY',
      }),
    );
    await testS3().send(
      new PutObjectCommand({ Bucket: b2, Key: manifestKey(backup.key), Body: JSON.stringify(manifest) }),
    );
    const target = await busyTarget();
    // WHEN
    const error = await rejection(restore(b2, backup.key, target, { force: true }));
    // THEN
    expect(error.name).toBe('VerificationFailed');
    expect(targetStateOf(error)).toEqual({
      state: 'untouched',
      message: expect.stringMatching(
        new RegExp(
          `target database "?${target.database}"? was not touched; the partial restore in database "?${target.database}_pgproof_new_[0-9a-f]+"? was dropped`,
        ),
      ),
    });
    expect(await query(target, 'select count(*)::int as n from t')).toEqual([{ n: 1 }]);
    expect(await query(target, "select to_regclass('public.extra')::text as extra")).toEqual([{ extra: 'extra' }]);
    expect(
      await query(
        sourceConnection('postgres'),
        `select datname from pg_database where datname like '${target.database}_pgproof_%'`,
      ),
    ).toEqual([]);
  });

  it('names other sessions on the target and refuses before any change; --terminate-connections ends them', async () => {
    const target = await busyTarget();
    const app = await connect(target, 'billing-app');
    app.on('error', () => undefined);
    try {
      const error = await rejection(restore(bucket, backup.key, target, { force: true }));
      expect(error.name).toBe('RestoreRefused');
      expect(error.message).toMatch(/has 1 other connection\(s\): pid \d+ \(user \w+, application "billing-app"/);
      expect(error.message).toMatch(/--terminate-connections/);
      expect(await query(target, 'select count(*)::int as n from t')).toEqual([{ n: 1 }]);
      const result = await restore(bucket, backup.key, target, { force: true, terminateConnections: true });
      expect(result.rows).toBe(50);
    } finally {
      await app.end().catch(() => undefined);
    }
  });
});

describe('restore checks that the manifest describes the key asked for (issue 10.9)', () => {
  let bucket: string;
  let a: BackupResult;
  let b: BackupResult;

  beforeAll(async () => {
    bucket = await createBucket();
    a = await backupOf(
      await createSourceDatabase('swap_a', async (sql) => {
        await sql('create table a_only (i int)');
      }),
      bucket,
    );
    b = await backupOf(
      await createSourceDatabase('swap_b', async (sql) => {
        await sql('create table b_only (i int)');
      }),
      bucket,
    );
  });

  it('refuses a manifest swapped in from another database, restoring nothing', async () => {
    // GIVEN b's manifest replaced by a's
    await testS3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: manifestKey(b.key),
        Body: await getObjectBytes(bucket, manifestKey(a.key)),
      }),
    );
    const target = await createSourceDatabase('swap_dst');
    // WHEN
    const error = await rejection(restore(bucket, b.key, target));
    // THEN
    expect(error.name).toBe('ManifestMismatch');
    expect(error.message).toMatch(
      new RegExp(
        `the manifest beside ${b.key.replace(/\./g, '\\.')} does not describe that backup: it names the object ${a.key.replace(/\./g, '\\.')}`,
      ),
    );
    expect(await query(target, "select count(*)::int as n from pg_tables where schemaname = 'public'")).toEqual([
      { n: 0 },
    ]);
  });

  it('refuses keys with ".." or outside the prefix before any S3 request', async () => {
    const s3 = testS3();
    let requests = 0;
    s3.middlewareStack.add(
      (next) => (args) => {
        requests++;
        return next(args);
      },
      { step: 'initialize' },
    );
    const target = await createSourceDatabase('swap_keys');
    for (const key of [
      '../x.dump',
      'pgproof/../other/2026-01-01/20260101T000000Z-abcdef12.dump.zst',
      'elsewhere/app/2026-01-01/20260101T000000Z-abcdef12.dump.zst',
      'pgproof/app/2026-01-01/x.manifest.json',
    ]) {
      const error = await rejection(restore(bucket, key, target, {}, s3));
      expect(error.name, key).toBe('RestoreRefused');
    }
    expect(requests).toBe(0);
  });
});

describe('restore keeps what the target can hold and lists what it left out (issue 10.6)', () => {
  it('keeps tablespace placement when the tablespace exists, lists it when not, and restores subscriptions disabled', async () => {
    // GIVEN a tablespace on the server and a source with a table in it and a subscription (connect = false)
    const suffix = randomBytes(3).toString('hex');
    const space = `ts_${suffix}`;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-ts-'));
    const account = unprivilegedAccount();
    if (account) await chown(dir, account.uid, account.gid);
    const admin = sourceConnection('postgres');
    await query(admin, `create tablespace ${space} location '${dir}'`);
    const bucket = await createBucket();
    const source = await createSourceDatabase('place_src', async (sql) => {
      await sql(`create table placed (i int) tablespace ${space}`);
      await sql('insert into placed select generate_series(1, 10)');
      await sql(
        `create subscription sub_${suffix} connection 'host=127.0.0.1 port=1 dbname=nowhere' publication p with (connect = false)`,
      );
    });
    const backup = await backupOf(source, bucket);
    const placement = (c: ConnectionParams) =>
      query(
        c,
        "select coalesce(t.spcname, 'default') as space from pg_class c left join pg_tablespace t on t.oid = c.reltablespace where c.relname = 'placed'",
      );

    // WHEN the tablespace exists on the target server
    const kept = await createSourceDatabase('place_kept');
    const result = await restore(bucket, backup.key, kept);
    // THEN placement is kept, and the subscription restored disabled
    expect(await placement(kept)).toEqual([{ space }]);
    expect(result.leftOut).toEqual([]);
    expect(
      await query(
        kept,
        `select subname, subenabled from pg_subscription s join pg_database d on d.oid = s.subdbid where d.datname = current_database()`,
      ),
    ).toEqual([{ subname: `sub_${suffix}`, subenabled: false }]);
    expect(result.notes).toEqual([
      expect.stringMatching(
        new RegExp(`subscription sub_${suffix} restored disabled .*ALTER SUBSCRIPTION "?sub_${suffix}"? ENABLE`),
      ),
    ]);

    // WHEN the tablespace no longer exists
    await query(kept, 'drop table placed');
    await query(source, 'drop table placed');
    await query(admin, `drop tablespace ${space}`);
    const moved = await createSourceDatabase('place_moved');
    const second = await restore(bucket, backup.key, moved);
    // THEN the table is in the default tablespace and the output says why
    expect(await placement(moved)).toEqual([{ space: 'default' }]);
    expect(second.leftOut).toEqual([
      {
        object: `tablespace ${space}`,
        reason: 'does not exist on the target: its tables and indexes were placed in the default tablespace',
      },
    ]);
  });
});

describe('restore refuses, before any change, objects only a superuser may own (issue 10.1)', () => {
  let bucket: string;
  let backup: BackupResult;
  const suffix = randomBytes(3).toString('hex');
  const owner = `et_owner_${suffix}`;
  const restorer = `restorer_${suffix}`;

  beforeAll(async () => {
    bucket = await createBucket();
    const admin = sourceConnection('postgres');
    await query(admin, `create role ${owner} superuser nologin`);
    await query(admin, `create role ${restorer} login createdb password 'restorer-pw'`);
    const source = await createSourceDatabase('super_src', async (sql) => {
      await sql('create table kept (i int)');
      await sql(`set role ${owner}`);
      await sql('create function et_f() returns event_trigger language plpgsql as $$ begin null; end $$');
      await sql('create event trigger et on ddl_command_end execute function et_f()');
      await sql(`create foreign data wrapper fdw_${suffix}`);
      await sql('reset role');
    });
    backup = await backupOf(source, bucket);
  });

  it('refuses a restoring user who is not a superuser, naming the objects; the target stays empty', async () => {
    const target = await createSourceDatabase('super_nosu');
    await query(sourceConnection('postgres'), `alter database ${target.database} owner to ${restorer}`);
    const error = await rejection(
      restore(bucket, backup.key, { ...target, user: restorer, password: 'restorer-pw' }, { roles: 'skip-ownership' }),
    );
    expect(error.name).toBe('RestoreRefused');
    expect(error.message).toMatch(
      new RegExp(
        `only a superuser may create: foreign-data wrapper "?fdw_${suffix}"?, event trigger "?et"?; nothing was changed\\. Restore as a superuser`,
      ),
    );
    expect(await query(target, "select count(*)::int as n from pg_tables where schemaname = 'public'")).toEqual([
      { n: 0 },
    ]);
  });

  it('refuses owners that are not superusers on the target unless --no-owner, which then restores all', async () => {
    await query(sourceConnection('postgres'), `alter role ${owner} nosuperuser`);
    try {
      const target = await createSourceDatabase('super_owner');
      const error = await rejection(restore(bucket, backup.key, target));
      expect(error.name).toBe('RestoreRefused');
      expect(error.message).toMatch(
        new RegExp(
          `the owners of foreign-data wrapper "?fdw_${suffix}"? \\("?${owner}"?\\), event trigger "?et"? \\("?${owner}"?\\) are not superusers on the target.*ALTER ROLE "?${owner}"? SUPERUSER.*--no-owner`,
        ),
      );
      expect(await query(target, "select count(*)::int as n from pg_tables where schemaname = 'public'")).toEqual([
        { n: 0 },
      ]);
      const result = await restore(bucket, backup.key, target, { roles: 'skip-ownership' });
      expect(result.tables).toBe(1);
      expect(
        await query(target, 'select evtname, pg_get_userbyid(evtowner) = current_user as mine from pg_event_trigger'),
      ).toEqual([{ evtname: 'et', mine: true }]);
    } finally {
      await query(sourceConnection('postgres'), `alter role ${owner} superuser`);
    }
  });
});

describe('the swap itself (issue 10.4)', () => {
  it('leaves the target as it was and keeps the checked copy when a session appears before the swap; swaps once it is gone', async () => {
    const target = await createSourceDatabase('swap_target', async (sql) => {
      await sql('create table old_stuff (i int)');
    });
    const fresh = await createSourceDatabase('swap_fresh', async (sql) => {
      await sql('create table restored (i int)');
    });
    const old = `${target.database}_old`;
    const app = await connect(target, 'late-app');
    app.on('error', () => undefined);
    try {
      const error = await rejection(swapIn(target, { target: target.database, fresh: fresh.database, old }, false));
      expect(error.name).toBe('RestoreRefused');
      expect(error.message).toMatch(
        new RegExp(
          `application "late-app".*The target was not touched; the restored, checked copy is kept in database "?${fresh.database}"?`,
        ),
      );
      expect(await query(target, "select to_regclass('public.old_stuff')::text as t")).toEqual([{ t: 'old_stuff' }]);
      expect(await query(fresh, "select to_regclass('public.restored')::text as t")).toEqual([{ t: 'restored' }]);
    } finally {
      await app.end().catch(() => undefined);
    }
    expect(await swapIn(target, { target: target.database, fresh: fresh.database, old }, false)).toEqual({
      oldDropped: true,
    });
    expect(
      await query(
        target,
        "select to_regclass('public.restored')::text as t, to_regclass('public.old_stuff')::text as o",
      ),
    ).toEqual([{ t: 'restored', o: null }]);
    expect(
      await query(
        sourceConnection('postgres'),
        `select datname from pg_database where datname in ('${old}', '${fresh.database}')`,
      ),
    ).toEqual([]);
  });
});
