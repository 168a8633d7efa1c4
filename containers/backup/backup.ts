import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { planCompression, type ManifestCompression } from '../common/compression';
import type { EngineConfig } from '../common/engine-config';
import { DumpFailed, PgProofError, SizeGuardTripped, StorageError } from '../common/errors';
import { dumpKey, manifestKeyFor, newRunId } from '../common/keys';
import { logBackupComplete } from '../common/engine-log';
import type { Logger } from '../common/log';
import { hasCompleteBackupIn, listRuns, newestVerifiedIn } from '../common/backup-catalog';
import { writeManifest, type Manifest } from '../common/manifest';
import { connect, describeTarget, libpqEnv, type ConnectionParams } from '../common/pg-connection';
import { discoverPgInstalls, majorFromVersionNum, selectDumpClient, type DiscoveryOptions } from '../common/pg-tools';
import { redact } from '../../lib/common/redact';
import type { StorageLocation } from '../common/s3';
import { partSizeFor, streamUpload, uploadError } from '../common/stream-upload';
import {
  applyHashSessionSettings,
  CONTENT_HASH_VERSION,
  countLargeObjects,
  listTables,
  tableStats,
} from '../common/table-stats';
import { readDatabaseSettings } from '../common/database-settings';
import { listReferencedRoles } from '../common/dump-roles';
import { assertLargeObjectsReadable } from './large-object-access';
import { backUpRoleDefinitions } from './role-definitions';
import { DumpStopped, startDump } from './dump-process';
import { checkSize } from './size-guard';

export interface BackupSettings {
  /** The database's id (`ENGINE_ENV.database`). @default - its name, `connection.database` */
  readonly database?: string;
  readonly connection: ConnectionParams;
  readonly storage: StorageLocation;
  readonly config: EngineConfig;
  readonly discovery: DiscoveryOptions;
  /** Path of the zstd binary, or undefined when it is not installed. */
  readonly zstdPath: string | undefined;
  /** @default - a new run id */
  readonly runId?: string;
  /** Why this run was started (manual runs). */
  readonly reason?: string;
  /** pg_dump's --lock-wait-timeout. @default 300 */
  readonly lockWaitTimeoutSeconds?: number;
  /** Fail when no byte was produced for this long (a hung pg_dump). @default 900 */
  readonly stallTimeoutSeconds?: number;
}

export interface BackupDeps {
  readonly s3: S3Client;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** Progress callback (bytes written so far). */
  readonly onProgress?: (bytes: number) => void;
}

/** What the backup task reports: the verify task and the chat message read it. Never holds a secret. */
export interface BackupResult {
  readonly runId: string;
  readonly database: string;
  readonly bucket: string;
  readonly key: string;
  readonly manifestKey: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
  readonly tables: number;
  readonly rows: number;
  readonly compression: ManifestCompression;
  readonly serverVersion: string;
  readonly pgDumpVersion: string;
  /**
   * The last verified backup's size (the size guard's baseline); null when there is none (always present: the state
   * machine selects the field, and a missing one would fail it).
   */
  readonly previousBytes: number | null;
  /** No complete backup (dump and manifest) of this database was in the bucket before this run. */
  readonly isNew: boolean;
}

interface SnapshotInfo {
  snapshot: string;
  snapshotAt: string;
}

async function serverInfo(client: pg.Client) {
  const { rows } = await client.query<{ num: string; version: string; encoding: string; size: string }>(
    `select current_setting('server_version_num') as num, current_setting('server_version') as version,
            current_setting('server_encoding') as encoding, pg_database_size(current_database())::text as size`,
  );
  const row = rows[0]!;
  const num = Number(row.num);
  return {
    major: majorFromVersionNum(num),
    version: row.version.split(' ')[0]!,
    encoding: row.encoding,
    size: Number(row.size),
  };
}

async function exportSnapshot(client: pg.Client): Promise<SnapshotInfo> {
  await client.query('begin isolation level repeatable read read only');
  const { rows } = await client.query<{ snapshot: string; at: Date }>(
    'select pg_export_snapshot() as snapshot, now() as at',
  );
  return { snapshot: rows[0]!.snapshot, snapshotAt: rows[0]!.at.toISOString() };
}

/**
 * One backup: pg_dump of the server's major in an exported snapshot, streamed (compressed, hashed) into S3,
 * with every table counted in that same snapshot while the dump runs, then the manifest.
 */
export async function runBackup(settings: BackupSettings, deps: BackupDeps): Promise<BackupResult> {
  const { logger } = deps;
  const runId = settings.runId ?? newRunId();
  const started = new Date();
  const checkpoint = () => {
    // A stop signal that arrives before or between steps must stop the run there, not after a full dump.
    if (deps.signal?.aborted) throw deps.signal.reason;
  };
  checkpoint();
  logger.info('backup starting', { runId, target: describeTarget(settings.connection) });
  const client = await connect(settings.connection, 'pgproof-backup');
  client.on('error', (error) => logger.warn('database connection error', { error: redact(String(error)) }));
  let clientEnded = false;
  const endClient = () => {
    if (clientEnded) return Promise.resolve();
    clientEnded = true;
    return client.end().catch(() => undefined);
  };
  try {
    checkpoint();
    const server = await serverInfo(client);
    const installs = await discoverPgInstalls(settings.discovery);
    const pgDump = selectDumpClient(server.major, server.version, installs);
    logger.info('connected', {
      target: describeTarget(settings.connection),
      serverVersion: server.version,
      pgDump: pgDump.version,
      pgDumpDir: pgDump.binDir,
    });

    // Read the size guard's baseline before dumping: a broken bucket fails the run at once, not after the dump.
    // The same one listing of the database's runs says whether it had any complete backup before this run.
    const database = settings.connection.database;
    const { runs } = await listRuns(deps.s3, settings.storage, database);
    const previous = (await newestVerifiedIn(deps.s3, settings.storage.bucket, runs, { database }))?.manifest;
    // A verified backup is a complete one: only a database without one has its manifests read further.
    const isNew =
      previous === undefined && !(await hasCompleteBackupIn(deps.s3, settings.storage.bucket, runs, database));

    checkpoint();
    const plan = planCompression(settings.config.compression, settings.zstdPath);
    if (plan.notice) logger.warn(plan.notice);

    if (settings.config.deepProof) await applyHashSessionSettings(client);
    const snap = await exportSnapshot(client);
    const [tables, referencedRoles, largeObjects] = [
      await listTables(client),
      await listReferencedRoles(client),
      await countLargeObjects(client),
    ];
    // Not in a dump without --create; read in the dump's snapshot (issue 10.3).
    const databaseSettings = await readDatabaseSettings(client);
    // pg_read_all_data does not cover large objects: say what to grant before dumping anything (issue 10.8).
    if (largeObjects > 0) await assertLargeObjectsReadable(client);
    const key = dumpKey(settings.storage.prefix, settings.connection.database, runId, plan.extension);
    logger.info('dump starting', {
      key,
      snapshotAt: snap.snapshotAt,
      tables: tables.length,
      compression: plan.manifest,
    });

    const dump = startDump({
      binDir: pgDump.binDir,
      snapshot: snap.snapshot,
      plan,
      env: libpqEnv(settings.connection),
      lockWaitTimeoutSeconds: settings.lockWaitTimeoutSeconds ?? 300,
      onStderrLine: (line) => logger.warn('pg_dump', { stderr: line }),
    });
    const stop = (reason: string) => dump.kill(reason);
    // Interrupted: stop pg_dump and end the snapshot connection, which cancels a running count or hash query.
    const onAbort = () => {
      stop('the task was interrupted');
      void endClient();
    };
    deps.signal?.addEventListener('abort', onAbort);

    // A hung pg_dump (a lock it waits for, a dead network) is stopped instead of waiting forever.
    const stallMs = (settings.stallTimeoutSeconds ?? 900) * 1000;
    let lastProgress = Date.now();
    let stalled = false;
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastProgress > stallMs) {
          stalled = true;
          stop(`no output for ${stallMs / 1000} s`);
        }
      },
      Math.min(5000, stallMs),
    );

    const counting = tableStats(client, tables, { contentHash: settings.config.deepProof }).catch((error: unknown) => {
      if (deps.signal?.aborted) throw deps.signal.reason;
      throw new DumpFailed(`counting rows in the dump's snapshot failed: ${redact((error as Error).message)}`, {
        cause: error,
      });
    });
    counting.catch(() => undefined); // observed below; the upload gate may see the rejection first
    const upload = streamUpload({
      client: deps.s3,
      bucket: settings.storage.bucket,
      key,
      source: dump.output,
      contentType: 'application/octet-stream',
      metadata: { 'pgproof-run-id': runId, 'pgproof-database': settings.connection.database },
      ...(settings.storage.kmsKeyId ? { kmsKeyId: settings.storage.kmsKeyId } : {}),
      partSize: partSizeFor(server.size),
      // The object appears only if pg_dump succeeded, the counts (and hashes) of its snapshot are complete, and
      // nobody stopped the task: a failed run never leaves a dump at its final key.
      beforeComplete: async () => {
        await dump.finished;
        await counting;
        checkpoint();
      },
      onProgress: (bytes) => {
        lastProgress = Date.now();
        deps.onProgress?.(bytes);
      },
      onAbortFailed: (error) =>
        logger.warn('could not abort the incomplete multipart upload; a lifecycle rule should clean it up', {
          error: String(error),
        }),
    });

    let uploaded: { bytes: number; sha256: string };
    let stats: Awaited<typeof counting>;
    try {
      [uploaded, stats] = await Promise.all([
        upload.catch((error: unknown) => {
          stop('the upload failed');
          throw error;
        }),
        counting.catch((error: unknown) => {
          stop('counting rows failed');
          throw error;
        }),
      ]);
    } catch (error) {
      // Wait for the children to end so nothing outlives the failed run.
      await dump.finished.catch(() => undefined);
      if (deps.signal?.aborted) throw deps.signal.reason;
      if (stalled)
        throw new DumpFailed(
          `pg_dump made no progress for ${stallMs / 1000} s and was stopped (is it waiting for a lock? is the network up?)`,
        );
      const dumpError = await dump.finished.then(
        () => undefined,
        (e: unknown) => e,
      );
      // pg_dump's own failure is the cause, unless we stopped it because something else failed first.
      if (dumpError instanceof DumpFailed && !(dumpError instanceof DumpStopped)) throw dumpError;
      if (error instanceof PgProofError) throw error;
      throw uploadError(error, settings.storage.bucket, key);
    } finally {
      clearInterval(watchdog);
      deps.signal?.removeEventListener('abort', onAbort);
    }
    // The snapshot's transaction stayed open until pg_dump finished (upload completion waited for it).
    await client.query('commit');
    checkpoint();
    // The server's role definitions beside the dump, for a restore onto a new server (issue 10.5); never fatal.
    const roleDefinitions = await backUpRoleDefinitions({
      s3: deps.s3,
      bucket: settings.storage.bucket,
      dumpKey: key,
      ...(settings.storage.kmsKeyId ? { kmsKeyId: settings.storage.kmsKeyId } : {}),
      binDir: pgDump.binDir,
      env: libpqEnv(settings.connection),
      database: settings.connection.database,
    });
    if (roleDefinitions.error)
      logger.warn('role definitions not backed up; the backup itself is complete', { reason: roleDefinitions.error });
    checkpoint();
    const finished = new Date();
    const seconds = (finished.getTime() - started.getTime()) / 1000;

    const manifest: Manifest = {
      manifestVersion: 1,
      runId,
      database: settings.connection.database,
      key,
      bytes: uploaded.bytes,
      sha256: uploaded.sha256,
      format: 'custom',
      compression: plan.manifest,
      server: { version: server.version, major: server.major, encoding: server.encoding },
      pgDump: { version: pgDump.version, major: pgDump.major },
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      snapshotAt: snap.snapshotAt,
      dumpSeconds: seconds,
      tables: stats,
      largeObjects,
      roles: referencedRoles.map((r) => r.name),
      roleAttributes: referencedRoles,
      roleDefinitions,
      databaseSettings,
      deepProof: settings.config.deepProof,
      ...(settings.config.deepProof ? { hashVersion: CONTENT_HASH_VERSION } : {}),
      sizeGuard: {
        maxShrink: settings.config.sizeGuard.maxShrink,
        ...(previous ? { previousKey: previous.key, previousBytes: previous.bytes } : {}),
      },
      ...(settings.reason ? { reason: settings.reason } : {}),
      uncompressedBytes: dump.archiveBytes(),
      databaseBytes: server.size,
    };
    try {
      await writeManifest(deps.s3, settings.storage.bucket, manifest, settings.storage.kmsKeyId);
    } catch (error) {
      throw error instanceof StorageError ? error : uploadError(error, settings.storage.bucket, manifestKeyFor(key));
    }
    const rows = stats.reduce((sum, t) => sum + t.rows, 0);
    logBackupComplete(logger, {
      database: settings.connection.database,
      key,
      bytes: uploaded.bytes,
      seconds,
      tables: stats.length,
      rows,
    });

    // Stored sizes compare only under the same compression: switching to zstd must not look like lost data.
    const comparable = previous !== undefined && JSON.stringify(previous.compression) === JSON.stringify(plan.manifest);
    if (previous && !comparable) {
      logger.warn('size guard not applied: the compression changed since the last verified backup', {
        previous: previous.compression,
        now: plan.manifest,
      });
    }
    const verdict = checkSize(
      uploaded.bytes,
      comparable ? { bytes: previous.bytes, key: previous.key } : undefined,
      settings.config.sizeGuard.maxShrink,
    );
    if (!verdict.ok) throw new SizeGuardTripped(`${verdict.message} This dump: ${key}.`);

    return {
      runId,
      database: settings.connection.database,
      bucket: settings.storage.bucket,
      key,
      manifestKey: manifestKeyFor(key),
      bytes: uploaded.bytes,
      sha256: uploaded.sha256,
      seconds,
      tables: stats.length,
      rows,
      compression: plan.manifest,
      serverVersion: server.version,
      pgDumpVersion: pgDump.version,
      previousBytes: previous?.bytes ?? null,
      isNew,
    };
  } finally {
    await endClient();
  }
}
