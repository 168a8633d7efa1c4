import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BackupNotFound, PgVersionMismatch, StorageError, VerificationFailed } from '../../containers/common/errors';
import { backupAt, listRuns, newestVerifiedIn, type CatalogBackup } from '../../containers/common/backup-catalog';
import { verifiedCandidates } from '../../containers/common/backup-listing';
import { databasePrefix } from '../../containers/common/keys';
import type { Logger } from '../../containers/common/log';
import type { Manifest } from '../../containers/common/manifest';
import { connect, describeTarget, type ConnectionParams } from '../../containers/common/pg-connection';
import {
  discoverPgInstalls,
  majorFromVersionNum,
  type DiscoveryOptions,
  type PgInstall,
} from '../../containers/common/pg-tools';
import type { StorageLocation } from '../../containers/common/s3';
import { listTables, quoteIdent, tableStats } from '../../containers/common/table-stats';
import { downloadArchive } from '../../containers/common/download';
import { compareTables } from '../../containers/common/compare-tables';
import { createMissingRoles, runPgRestore } from '../../containers/common/pg-restore';
import { readArchiveContents } from './archive-contents';
import { checkBackupKey, checkManifestDescribes, type DumpObjectFacts } from './backup-key';
import {
  checkCanReplace,
  clearSessions,
  createDatabaseLike,
  dropDatabase,
  sideDatabaseName,
  swapIn,
} from './database-swap';
import { RestoreRefused, withTargetState, type TargetState } from './restore-errors';
import { planRestore, type LeftOut, type RestorePlan } from './restore-plan';
import { targetFacts } from './target-server';
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
  /**
   * Replace the target database as a whole (it may be non-empty): restore into a new database on the same server,
   * check it, then swap it in and drop the old one. Never drops objects piecemeal.
   */
  readonly force: boolean;
  /** With `force`: end other sessions on the target before the swap. @default false - refuse, naming them */
  readonly terminateConnections?: boolean;
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
  /** What of the backup the target could not hold, and why. */
  readonly leftOut: LeftOut[];
  /** What was restored in a state that needs a person (disabled subscriptions). */
  readonly notes: string[];
  /** With `force`: the previous database was replaced. */
  readonly replaced?: { readonly previousDropped: boolean; readonly previousKeptAs?: string };
  readonly seconds: number;
}

/**
 * The newest verified backup under the prefix, of `database` (compared with each manifest's own database name,
 * since different names can share a key folder). Without `database`, the bucket must hold one database only.
 */
export async function latestVerifiedBackup(
  s3: S3Client,
  storage: StorageLocation,
  database?: string,
): Promise<CatalogBackup> {
  const { runs } = await listRuns(s3, storage, database);
  if (!database) {
    const folders = new Set(verifiedCandidates(runs).map((r) => r.folder));
    if (folders.size > 1) {
      throw new RestoreRefused(
        `the bucket holds backups of several databases (${[...folders].join(', ')}): name one with --database`,
      );
    }
  }
  const newest = await newestVerifiedIn(s3, storage.bucket, runs, database === undefined ? {} : { database });
  if (newest) return newest;
  const prefix = database ? databasePrefix(storage.prefix, database) : `${storage.prefix.replace(/\/+$/, '')}/`;
  throw new BackupNotFound(
    `no verified backup${database ? ` of database "${database}"` : ''} under s3://${storage.bucket}/${prefix}; name one with --backup KEY (keys are printed by every run and listed by history)`,
  );
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

/** Size and metadata of the dump object, held against its manifest before anything is downloaded. */
async function dumpObjectFacts(s3: S3Client, bucket: string, key: string): Promise<DumpObjectFacts> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { bytes: head.ContentLength, metadata: head.Metadata ?? {} };
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) {
      throw new BackupNotFound(`the backup object s3://${bucket}/${key} is missing (its manifest exists)`, {
        cause: error,
      });
    }
    throw new StorageError(`cannot read s3://${bucket}/${key}: ${e.name ?? ''} ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Disaster restore. Nothing on the target server changes until the backup is proven intact (manifest matching
 * the key, SHA-256 while downloading) and the target is known to hold all of it (superuser-only objects, roles,
 * tablespaces, subscriptions). Then pg_restore -j writes it into the empty target, or, with `force`, into a new
 * database that replaces the target only after every row count matched.
 */
export async function restoreBackup(
  settings: RestoreSettings,
  deps: { s3: S3Client; logger: Logger; signal?: AbortSignal; warn?: (sentence: string) => void },
): Promise<RestoreResult> {
  const started = Date.now();
  const untouched: TargetState = {
    state: 'untouched',
    message: `the target database ${quoteIdent(settings.target.database)} was not touched`,
  };
  // Later stages attach a more precise state to their errors; anything else left the target as it was.
  try {
    if (settings.backup !== 'latest') checkBackupKey(settings.backup, settings.storage.prefix);
    const backup =
      settings.backup === 'latest'
        ? await latestVerifiedBackup(deps.s3, settings.storage, settings.database)
        : await backupAt(deps.s3, settings.storage.bucket, settings.backup);
    const { manifest, dumpKey: key } = backup;
    checkManifestDescribes(
      key,
      manifest,
      await dumpObjectFacts(deps.s3, settings.storage.bucket, key),
      settings.database,
    );
    const verified = backup.verified !== undefined;
    if (!verified) {
      (deps.warn ?? ((s: string) => deps.logger.warn(s)))(
        `warning: the backup ${manifest.key} was never verified by a restore; restoring it anyway because it was named explicitly.`,
      );
    }
    const pre = await inspectTarget(settings, manifest);
    return await restoreVerified(settings, deps, { manifest, verified, started, ...pre });
  } catch (error) {
    throw withTargetState(error, untouched);
  }
}

interface TargetInspection {
  client: PgInstall;
  serverMajor: number;
  /** --force: restore into a new database, then swap it in. */
  replace: boolean;
  rolesToCreate: string[];
}

/** Read-only checks of the target: client version, emptiness, roles, the right to replace it, other sessions. */
async function inspectTarget(settings: RestoreSettings, manifest: Manifest): Promise<TargetInspection> {
  const target = await connect(settings.target, 'pgproof-restore');
  try {
    const { rows } = await target.query<{ num: string }>("select current_setting('server_version_num') as num");
    const serverMajor = majorFromVersionNum(Number(rows[0]!.num));
    const client = chooseRestoreClient(manifest, serverMajor, await discoverPgInstalls(settings.discovery));
    const existing = await relationsIn(target);
    if (existing.length > 0 && !settings.force) {
      throw new RestoreRefused(
        `the target ${describeTarget(settings.target)} is not empty (${existing.length} relations, e.g. ${existing.slice(0, 3).join(', ')}); ` +
          'restore into a new, empty database, or pass --force to replace the whole database with the backup',
      );
    }
    const { rows: roleRows } = await target.query<{ name: string }>('select rolname as name from pg_roles');
    const present = new Set(roleRows.map((r) => r.name));
    const missing = manifest.roles.filter((r) => !present.has(r));
    if (missing.length > 0 && settings.roles === 'require') {
      throw new RestoreRefused(
        `the backup refers to roles the target server lacks: ${missing.slice(0, 10).map(quoteIdent).join(', ')}${missing.length > 10 ? ' …' : ''}; ` +
          'create them first, pass --create-roles to create them as NOLOGIN roles, or --no-owner to restore without owners and grants',
      );
    }
    // --force always replaces the whole database: a target without relations may still hold functions or types.
    const replace = settings.force;
    if (replace) {
      await checkCanReplace(target, settings.target.database);
      // Checked again right before the swap; refusing now saves a long restore that could not be swapped in.
      if (!settings.terminateConnections)
        await clearSessions(target, settings.target.database, false, 'Nothing was changed.');
    }
    return { client, serverMajor, replace, rolesToCreate: settings.roles === 'create' ? missing : [] };
  } finally {
    await target.end();
  }
}

async function restoreVerified(
  settings: RestoreSettings,
  deps: { s3: S3Client; logger: Logger; signal?: AbortSignal },
  run: TargetInspection & { manifest: Manifest; verified: boolean; started: number },
): Promise<RestoreResult> {
  const { manifest } = run;
  const targetName = settings.target.database;
  // The decompressed archive is a plaintext copy of the whole database: private directory, removed in any case.
  const parent = settings.workDir ?? os.tmpdir();
  await mkdir(parent, { recursive: true });
  const workDir = await mkdtemp(path.join(parent, 'pgproof-restore-'));
  await chmod(workDir, 0o700);
  try {
    const archive = path.join(workDir, `${manifest.runId}.dump`);
    await downloadArchive({
      s3: deps.s3,
      bucket: settings.storage.bucket,
      manifest,
      destination: archive,
      zstdPath: settings.zstdPath,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    deps.logger.info('checksum verified; checking what the target can hold', {
      key: manifest.key,
      target: describeTarget(settings.target),
    });
    const contents = await readArchiveContents(run.client.binDir, archive, deps.signal);
    const probe = await connect(settings.target, 'pgproof-restore');
    let plan: RestorePlan;
    try {
      plan = planRestore(contents, await targetFacts(probe, run.serverMajor, contents.labelProviders), {
        noOwner: settings.roles === 'skip-ownership',
        rolesToCreate: run.rolesToCreate,
      });
    } finally {
      await probe.end();
    }
    if (deps.signal?.aborted) throw deps.signal.reason;

    // Only now, with the backup proven intact and the target able to hold it, does the server change.
    let rolesCreated: string[] = [];
    if (run.rolesToCreate.length > 0) {
      const admin = await connect(settings.target, 'pgproof-restore');
      try {
        rolesCreated = await createMissingRoles(admin, run.rolesToCreate);
      } finally {
        await admin.end();
      }
    }
    const rolesNote = rolesCreated.length
      ? ` (the roles created for it remain: ${rolesCreated.map(quoteIdent).join(', ')})`
      : '';
    const fresh = run.replace ? sideDatabaseName(targetName, 'new') : undefined;
    const into: ConnectionParams = fresh ? { ...settings.target, database: fresh } : settings.target;
    let counted: { tables: number; rows: number };
    const settingsNotes: string[] = [];
    try {
      if (fresh) {
        const admin = await connect(settings.target, 'pgproof-restore');
        try {
          await createDatabaseLike(admin, targetName, fresh);
        } finally {
          await admin.end();
        }
      }
      await runPgRestore({
        binDir: run.client.binDir,
        file: archive,
        target: into,
        jobs: settings.jobs ?? Math.max(1, os.availableParallelism()),
        extraArgs: settings.roles === 'skip-ownership' ? ['--no-owner', '--no-privileges'] : [],
        skip: plan.skip,
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      counted = await compareRowCounts(into, manifest);
      // Database-level settings, comment and grants (not in the dump), kept by the database's OID so they survive
      // the swap below; what the target cannot take is named in the result's notes (issue 10.3).
      const applied = await restoreDatabaseSettings(into, manifest, deps.logger, {
        withRoles: settings.roles !== 'skip-ownership',
      });
      for (const problem of applied?.problems ?? []) settingsNotes.push(`database setting not applied: ${problem}`);
    } catch (error) {
      if (!fresh) {
        throw withTargetState(error, {
          state: 'partial',
          message: `the target database ${quoteIdent(targetName)} holds a partial restore (pg_restore stops at the first error)${rolesNote}: drop and recreate it before trying again`,
        });
      }
      const dropped = await dropDatabase(settings.target, targetName, fresh).then(
        () => true,
        () => false,
      );
      throw withTargetState(error, {
        state: 'untouched',
        message:
          `the target database ${quoteIdent(targetName)} was not touched; the partial restore in database ${quoteIdent(fresh)} ` +
          `${dropped ? 'was dropped' : 'could not be dropped: drop it by hand'}${rolesNote}`,
      });
    }

    let replaced: RestoreResult['replaced'];
    if (fresh) {
      const old = sideDatabaseName(targetName, 'old');
      try {
        const swap = await swapIn(
          settings.target,
          { target: targetName, fresh, old },
          settings.terminateConnections ?? false,
        );
        replaced = { previousDropped: swap.oldDropped, ...(swap.oldDropped ? {} : { previousKeptAs: old }) };
        if (!swap.oldDropped) deps.logger.warn(`the previous database could not be dropped: ${swap.dropError}`);
      } catch (error) {
        throw withTargetState(error, {
          state: 'untouched',
          message: `the target database ${quoteIdent(targetName)} was not touched; the restored and checked copy is kept in database ${quoteIdent(fresh)}${rolesNote}`,
        });
      }
    }
    return {
      key: manifest.key,
      runId: manifest.runId,
      sourceDatabase: manifest.database,
      snapshotAt: manifest.snapshotAt,
      verified: run.verified,
      target: describeTarget(settings.target),
      tables: counted.tables,
      rows: counted.rows,
      rolesCreated,
      leftOut: plan.leftOut,
      notes: [...plan.notes, ...settingsNotes],
      ...(replaced ? { replaced } : {}),
      seconds: (Date.now() - run.started) / 1000,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Every table of the manifest, counted in the restored database and compared. */
async function compareRowCounts(into: ConnectionParams, manifest: Manifest): Promise<{ tables: number; rows: number }> {
  const check = await connect(into, 'pgproof-restore');
  try {
    const wanted = new Set(manifest.tables.map((t) => `${t.schema}.${t.name}`));
    const present = (await listTables(check)).filter((t) => wanted.has(`${t.schema}.${t.name}`));
    const restored = await tableStats(check, present, { contentHash: false });
    const problems = compareTables(manifest.tables, restored, 'rows');
    if (problems.length > 0)
      throw new VerificationFailed(
        `the restore finished, but row counts differ from the backup's manifest: ${problems.slice(0, 5).join('; ')}`,
      );
    return { tables: restored.length, rows: restored.reduce((sum, t) => sum + t.rows, 0) };
  } finally {
    await check.end();
  }
}
