import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { BackupNotFound, ConfigError, PgVersionMismatch, VerificationFailed } from '../common/errors';
import { databasePrefix, runIdOfKey } from '../common/keys';
import type { Logger } from '../common/log';
import { listKeys, readManifest, readVerificationRecord, type Manifest } from '../common/manifest';
import { connect, describeTarget, type ConnectionParams } from '../common/pg-connection';
import { discoverPgInstalls, majorFromVersionNum, type DiscoveryOptions, type PgInstall } from '../common/pg-tools';
import type { StorageLocation } from '../common/s3';
import { listTables, quoteIdent, tableStats } from '../common/table-stats';
import { downloadArchive } from '../verify/download';
import { compareTables } from '../verify/evaluate';
import { createMissingRoles, runPgRestore } from '../verify/restore';
import { restoreDatabaseSettings } from './restore-database-settings';

/** What to do about roles the dump refers to that the target server lacks. */
export type RoleHandling = 'require' | 'create' | 'skip-ownership';

export interface RestoreSettings {
  readonly storage: StorageLocation;
  /** `latest` (the newest verified backup) or a dump key a run printed. */
  readonly backup: string;
  /** With `latest`: only backups of this source database. */
  readonly database?: string;
  readonly target: ConnectionParams;
  /** Restore into a non-empty database, dropping the dumped objects first (pg_restore --clean --if-exists). */
  readonly force: boolean;
  readonly roles: RoleHandling;
  readonly discovery: DiscoveryOptions;
  readonly zstdPath: string | undefined;
  readonly workDir?: string;
  readonly jobs?: number;
}

export interface RestoreResult {
  readonly key: string;
  readonly runId: string;
  readonly sourceDatabase: string;
  readonly snapshotAt: string;
  readonly verified: boolean;
  readonly target: string;
  readonly tables: number;
  readonly rows: number;
  readonly rolesCreated: string[];
  readonly seconds: number;
}

/**
 * The newest verified backup under the prefix, of `database` (compared with each manifest's own database name,
 * since different names can share a key folder). Without `database`, the bucket must hold one database only.
 */
export async function latestVerifiedKey(s3: S3Client, storage: StorageLocation, database?: string): Promise<string> {
  const prefix = database ? databasePrefix(storage.prefix, database) : `${storage.prefix.replace(/\/+$/, '')}/`;
  const keys = await listKeys(s3, storage.bucket, prefix);
  const verified = new Set(keys.filter((k) => k.endsWith('.verified.json')).map((k) => k.replace(/\.verified\.json$/, '')));
  const dumps = keys
    .filter((k) => /\.dump(\.zst)?$/.test(k) && verified.has(k.replace(/\.dump(\.zst)?$/, '')))
    .sort((a, b) => (runIdOfKey(b) ?? '').localeCompare(runIdOfKey(a) ?? ''));
  if (!database) {
    const folders = new Set(dumps.map((k) => k.slice(prefix.length).split('/')[0]));
    if (folders.size > 1) {
      throw new ConfigError(`the bucket holds backups of several databases (${[...folders].join(', ')}): name one with --database`);
    }
  }
  for (const key of dumps) {
    if (!database || (await readManifest(s3, storage.bucket, key)).database === database) return key;
  }
  throw new BackupNotFound(`no verified backup${database ? ` of database "${database}"` : ''} under s3://${storage.bucket}/${prefix}; name one with --backup KEY (keys are printed by every run and listed by history)`);
}

async function relationsIn(client: Awaited<ReturnType<typeof connect>>): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(`
    select n.nspname || '.' || c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     order by 1`);
  return rows.map((r) => r.name);
}

function chooseRestoreClient(manifest: Manifest, targetMajor: number, installs: readonly PgInstall[]): PgInstall {
  // pg_restore must read the archive (>= the pg_dump that wrote it); prefer the target server's own major.
  const usable = installs.filter((i) => i.major >= manifest.pgDump.major);
  const chosen = usable.find((i) => i.major === targetMajor) ?? usable.sort((a, b) => a.major - b.major)[0];
  if (!chosen) {
    throw new PgVersionMismatch(
      `the backup was written by pg_dump ${manifest.pgDump.version}; restoring it needs pg_restore ${manifest.pgDump.major} or newer, ` +
        `found: ${installs.map((i) => i.version).join(', ') || 'none'}`,
    );
  }
  return chosen;
}

/**
 * Disaster restore: the backup's SHA-256 is checked while it downloads (a corrupted object is refused before
 * anything touches the target), then pg_restore -j writes it into the target, and every table's row count is
 * compared with the manifest.
 */
export async function restoreBackup(settings: RestoreSettings, deps: { s3: S3Client; logger: Logger; signal?: AbortSignal }): Promise<RestoreResult> {
  const started = Date.now();
  const key = settings.backup === 'latest' ? await latestVerifiedKey(deps.s3, settings.storage, settings.database) : settings.backup;
  const manifest = await readManifest(deps.s3, settings.storage.bucket, key);
  const verified = (await readVerificationRecord(deps.s3, settings.storage.bucket, manifest.key)) !== undefined;
  if (!verified) deps.logger.warn('this backup was never verified by a restore; restoring it anyway because it was named explicitly', { key: manifest.key });

  const target = await connect(settings.target, 'pgproof-restore');
  let rolesCreated: string[] = [];
  let rolesToCreate: string[] = [];
  let client: PgInstall;
  try {
    const { rows } = await target.query<{ num: string }>("select current_setting('server_version_num') as num");
    client = chooseRestoreClient(manifest, majorFromVersionNum(Number(rows[0]!.num)), await discoverPgInstalls(settings.discovery));
    const existing = await relationsIn(target);
    if (existing.length > 0 && !settings.force) {
      throw new ConfigError(
        `the target ${describeTarget(settings.target)} is not empty (${existing.length} relations, e.g. ${existing.slice(0, 3).join(', ')}); ` +
          'restore into a new, empty database, or pass --force to drop and recreate the objects the backup contains',
      );
    }
    const { rows: roleRows } = await target.query<{ name: string }>('select rolname as name from pg_roles');
    const present = new Set(roleRows.map((r) => r.name));
    const missing = manifest.roles.filter((r) => !present.has(r));
    if (missing.length > 0 && settings.roles === 'require') {
      throw new ConfigError(
        `the backup refers to roles the target server lacks: ${missing.slice(0, 10).map(quoteIdent).join(', ')}${missing.length > 10 ? ' …' : ''}; ` +
          'create them first, pass --create-roles to create them as NOLOGIN roles, or --no-owner to restore without owners and grants',
      );
    }
    rolesToCreate = settings.roles === 'create' ? missing : [];
  } finally {
    await target.end();
  }

  // The decompressed archive is a plaintext copy of the whole database: private directory, removed in any case.
  const parent = settings.workDir ?? os.tmpdir();
  await mkdir(parent, { recursive: true });
  const workDir = await mkdtemp(path.join(parent, 'pgproof-restore-'));
  await chmod(workDir, 0o700);
  try {
    const archive = path.join(workDir, `${manifest.runId}.dump`);
    await downloadArchive({ s3: deps.s3, bucket: settings.storage.bucket, manifest, destination: archive, zstdPath: settings.zstdPath, ...(deps.signal ? { signal: deps.signal } : {}) });
    deps.logger.info('checksum verified; restoring', { key: manifest.key, target: describeTarget(settings.target) });
    // Only now, with the backup proven intact, is the target changed (roles are server-wide objects).
    if (deps.signal?.aborted) throw deps.signal.reason;
    if (rolesToCreate.length > 0) {
      const admin = await connect(settings.target, 'pgproof-restore');
      try {
        rolesCreated = await createMissingRoles(admin, rolesToCreate);
      } finally {
        await admin.end();
      }
    }
    await runPgRestore({
      binDir: client.binDir,
      file: archive,
      target: settings.target,
      jobs: settings.jobs ?? Math.max(1, os.availableParallelism()),
      extraArgs: [...(settings.force ? ['--clean', '--if-exists'] : []), ...(settings.roles === 'skip-ownership' ? ['--no-owner', '--no-privileges'] : [])],
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }

  // Database-level settings, comment and grants (not in the dump): onto the target, whatever its name (issue 10.3).
  await restoreDatabaseSettings(settings.target, manifest, deps.logger, { withRoles: settings.roles !== 'skip-ownership' });

  const check = await connect(settings.target, 'pgproof-restore');
  try {
    // Only the backup's tables: with --force, the target may hold others of its own.
    const wanted = new Set(manifest.tables.map((t) => `${t.schema}.${t.name}`));
    const present = (await listTables(check)).filter((t) => wanted.has(`${t.schema}.${t.name}`));
    const restored = await tableStats(check, present, { contentHash: false });
    const problems = compareTables(manifest.tables, restored, 'rows');
    if (problems.length > 0) throw new VerificationFailed(`the restore finished, but row counts differ from the backup's manifest: ${problems.slice(0, 5).join('; ')}`);
    return {
      key: manifest.key,
      runId: manifest.runId,
      sourceDatabase: manifest.database,
      snapshotAt: manifest.snapshotAt,
      verified,
      target: describeTarget(settings.target),
      tables: restored.length,
      rows: restored.reduce((sum, t) => sum + t.rows, 0),
      rolesCreated,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await check.end();
  }
}
