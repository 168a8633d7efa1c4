import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  backupAt,
  databasesWithCompleteBackup,
  hasCompleteBackupIn,
  listBackups,
  listRuns,
  newestVerifiedBackup,
} from '../../../containers/common/backup-catalog';
import { dumpKey, manifestKeyFor, rolesKeyFor, verifiedKeyFor } from '../../../containers/common/keys';
import { writeManifest, writeVerificationRecord, type Manifest } from '../../../containers/common/manifest';
import { createBucket, testS3 } from '../../helpers/fixtures';

const PREFIX = 'pgproof';
const A = '20261120T030000Z-aaaaaaaaaa';
const B = '20261121T030000Z-bbbbbbbbbb';
const C = '20261122T030000Z-cccccccccc';
const D = '20261123T030000Z-dddddddddd';
const E = '20261124T030000Z-eeeeeeeeee';

function manifestOf(database: string, runId: string, bytes: number): Manifest {
  return {
    manifestVersion: 1,
    runId,
    database,
    key: dumpKey(PREFIX, database, runId, '.dump.zst'),
    bytes,
    sha256: 'a'.repeat(64),
    format: 'custom',
    compression: { method: 'zstd', level: 1, threads: 0 },
    server: { version: '16.4', major: 16, encoding: 'UTF8' },
    pgDump: { version: '16.4', major: 16 },
    startedAt: '2026-11-24T03:00:00Z',
    finishedAt: '2026-11-24T03:01:00Z',
    snapshotAt: '2026-11-24T03:00:01Z',
    dumpSeconds: 60,
    tables: [],
    largeObjects: 0,
    roles: [],
    deepProof: false,
    sizeGuard: { maxShrink: 0.5 },
  };
}

async function put(bucket: string, key: string, body: string | Buffer): Promise<void> {
  await testS3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** A complete backup: dump, manifest and (when `restoreSeconds` is given) the verified marker. */
async function writeBackup(
  bucket: string,
  database: string,
  runId: string,
  bytes: number,
  restoreSeconds?: number,
): Promise<string> {
  const manifest = manifestOf(database, runId, bytes);
  await put(bucket, manifest.key, Buffer.alloc(bytes, 7));
  await writeManifest(testS3(), bucket, manifest);
  if (restoreSeconds !== undefined) {
    await writeVerificationRecord(testS3(), bucket, {
      runId,
      key: manifest.key,
      verifiedAt: '2026-11-24T03:05:00Z',
      restoreSeconds,
      serverMajor: 16,
      tables: 0,
      rows: 0,
      checks: [{ name: 'row counts', passed: true }],
      deepProof: false,
      skippedExtensions: [],
    });
  }
  return manifest.key;
}

describe('backup catalog (local S3 server)', () => {
  let bucket: string;
  const key = (database: string, runId: string) => dumpKey(PREFIX, database, runId, '.dump.zst');

  beforeAll(async () => {
    bucket = await createBucket();
    // GIVEN database "app": A verified with role definitions, B verified, C never verified, D a dump whose run
    // died before its manifest, E a marker beside a manifest that is not JSON; a foreign file in the folder
    await writeBackup(bucket, 'app', A, 300, 12);
    await put(bucket, rolesKeyFor(key('app', A)), 'CREATE ROLE app_owner;\n');
    await writeBackup(bucket, 'app', B, 200, 10);
    await writeBackup(bucket, 'app', C, 120);
    await put(bucket, key('app', D), Buffer.alloc(50));
    await put(bucket, key('app', E), Buffer.alloc(40));
    await put(bucket, manifestKeyFor(key('app', E)), '{ not json');
    await put(bucket, verifiedKeyFor(key('app', E)), '{}');
    await put(bucket, `${PREFIX}/app/notes.txt`, 'not a backup');
    // AND "my db" and "my_db" share the folder my_db; "other" has a folder of its own
    await writeBackup(bucket, 'my_db', A, 10, 1);
    await writeBackup(bucket, 'my db', B, 20, 2);
    await writeBackup(bucket, 'other', C, 30, 3);
  });

  it("lists a database's backups newest first, with manifest, marker, sidecars and sizes; incomplete runs and foreign objects apart", async () => {
    // WHEN
    const catalog = await listBackups(testS3(), { bucket, prefix: PREFIX }, 'app');
    // THEN
    expect(catalog.backups.map((b) => [b.runId, b.verified?.restoreSeconds])).toEqual([
      [C, undefined],
      [B, 10],
      [A, 12],
    ]);
    const a = catalog.backups[2]!;
    expect(a).toMatchObject({
      database: 'app',
      date: '2026-11-20',
      dumpKey: key('app', A),
      manifestKey: manifestKeyFor(key('app', A)),
      verifiedKey: verifiedKeyFor(key('app', A)),
      dumpBytes: 300,
    });
    expect(a.manifest.bytes).toBe(300);
    expect(a.verified?.skippedExtensions).toEqual([]);
    expect(a.sidecarKeys).toEqual([rolesKeyFor(key('app', A))]);
    expect(a.totalBytes).toBeGreaterThan(300 + 'CREATE ROLE app_owner;\n'.length);
    expect(a.lastModified).toBeInstanceOf(Date);
    expect(catalog.backups[0]!.verifiedKey).toBeUndefined();
    expect(catalog.incomplete.map((r) => [r.runId, r.reason])).toEqual([
      [E, expect.stringMatching(/is not valid JSON/)],
      [D, expect.stringMatching(/no manifest/)],
    ]);
    expect(catalog.incomplete[0]!.keys).toHaveLength(3);
    expect(catalog.foreign.map((f) => f.key)).toEqual([`${PREFIX}/app/notes.txt`]);
  });

  it('without a database, lists every database under the prefix', async () => {
    const catalog = await listBackups(testS3(), { bucket, prefix: PREFIX });
    expect(catalog.backups.map((b) => b.database).sort()).toEqual(['app', 'app', 'app', 'my db', 'my_db', 'other']);
  });

  it('finds the newest verified backup, passing over unverified and unreadable runs', async () => {
    const newest = await newestVerifiedBackup(testS3(), { bucket, prefix: PREFIX }, 'app');
    expect(newest?.runId).toBe(B);
  });

  it('with a run id, finds the newest verified backup before that run', async () => {
    const location = { bucket, prefix: PREFIX };
    expect((await newestVerifiedBackup(testS3(), location, 'app', { before: C }))?.runId).toBe(B);
    expect((await newestVerifiedBackup(testS3(), location, 'app', { before: B }))?.runId).toBe(A);
    expect(await newestVerifiedBackup(testS3(), location, 'app', { before: A })).toBeUndefined();
  });

  it("tells databases that share a key folder apart by the manifest's name", async () => {
    const location = { bucket, prefix: PREFIX };
    expect((await newestVerifiedBackup(testS3(), location, 'my_db'))?.runId).toBe(A);
    expect((await newestVerifiedBackup(testS3(), location, 'my db'))?.runId).toBe(B);
    expect((await listBackups(testS3(), location, 'my_db')).backups.map((b) => b.database)).toEqual(['my_db']);
  });

  it("hasCompleteBackupIn: a complete backup counts whether verified or not, of this database's name only", async () => {
    // GIVEN one listing per folder
    const location = { bucket, prefix: PREFIX };
    const runsOf = async (database: string) => (await listRuns(testS3(), location, database)).runs;
    // THEN "app" has complete backups; an incomplete run (D: no manifest; E: unreadable manifest) alone would not
    expect(await hasCompleteBackupIn(testS3(), bucket, await runsOf('app'), 'app')).toBe(true);
    const app = await runsOf('app');
    expect(
      await hasCompleteBackupIn(
        testS3(),
        bucket,
        app.filter((r) => r.runId === D || r.runId === E),
        'app',
      ),
    ).toBe(false);
    // AND an unverified complete backup is enough (C only)
    expect(
      await hasCompleteBackupIn(
        testS3(),
        bucket,
        app.filter((r) => r.runId === C),
        'app',
      ),
    ).toBe(true);
    // AND a shared folder is told apart by the manifest's name; an empty folder has none
    expect(await hasCompleteBackupIn(testS3(), bucket, await runsOf('my db'), 'my db')).toBe(true);
    expect(await hasCompleteBackupIn(testS3(), bucket, await runsOf('my_db'), 'my?db')).toBe(false);
    expect(await hasCompleteBackupIn(testS3(), bucket, await runsOf('never-backed-up'), 'never-backed-up')).toBe(false);
  });

  it('databasesWithCompleteBackup: one listing of the prefix for every name, told apart by the manifest', async () => {
    // GIVEN an S3 client that counts listings
    const s3 = testS3();
    let listings = 0;
    const send = s3.send.bind(s3) as (command: unknown) => Promise<unknown>;
    (s3 as { send: unknown }).send = (command: unknown) => {
      if (command instanceof ListObjectsV2Command) listings++;
      return send(command);
    };
    const names = ['app', 'my db', 'my_db', 'my?db', 'other', 'never-backed-up'];
    // WHEN
    const found = await databasesWithCompleteBackup(s3, { bucket, prefix: PREFIX }, names);
    // THEN "my?db" shares the folder my_db but no manifest names it; the prefix was listed once
    expect([...found].sort()).toEqual(['app', 'my db', 'my_db', 'other']);
    expect(listings).toBe(1);
    // AND the runs of the current run id are left out ("other" has only C; "app" has A and B besides)
    const except = await databasesWithCompleteBackup(s3, { bucket, prefix: PREFIX }, names, { exceptRunId: C });
    expect([...except].sort()).toEqual(['app', 'my db', 'my_db']);
    expect(await databasesWithCompleteBackup(s3, { bucket, prefix: 'elsewhere' }, names)).toEqual(new Set());
  });

  it('looks a backup up by its dump key', async () => {
    const a = await backupAt(testS3(), bucket, key('app', A));
    expect(a).toMatchObject({ runId: A, database: 'app', dumpBytes: 300, sidecarKeys: [rolesKeyFor(key('app', A))] });
    expect(a.verified?.restoreSeconds).toBe(12);
    expect((await backupAt(testS3(), bucket, key('app', C))).verified).toBeUndefined();
  });

  it('refuses a lookup whose manifest or dump is missing', async () => {
    await expect(backupAt(testS3(), bucket, key('app', D))).rejects.toMatchObject({
      name: 'BackupNotFound',
      message: expect.stringMatching(/no manifest at/),
    });
    await expect(backupAt(testS3(), bucket, key('app', '20261125T030000Z-ffffffffff'))).rejects.toMatchObject({
      name: 'BackupNotFound',
    });
    const orphan = manifestOf('lost', '20261126T030000Z-0000000000', 5);
    await writeManifest(testS3(), bucket, orphan);
    await expect(backupAt(testS3(), bucket, orphan.key)).rejects.toMatchObject({
      name: 'BackupNotFound',
      message: expect.stringMatching(/is missing \(its manifest exists\)/),
    });
    await expect(backupAt(testS3(), bucket, manifestKeyFor(orphan.key))).rejects.toMatchObject({
      name: 'BackupNotFound',
      message: expect.stringMatching(/not a backup key/),
    });
  });
});
