import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { EngineConfig } from '../common/engine-config';
import { BackupNotFound, VerificationFailed } from '../common/errors';
import { logBackupVerified, logCheck } from '../common/engine-log';
import type { Logger } from '../common/log';
import { backupAt, newestVerifiedBackup } from '../common/backup-catalog';
import { parseBackupKey } from '../common/keys';
import { readManifest, writeVerificationRecord, type Manifest } from '../common/manifest';
import { connect } from '../common/pg-connection';
import { discoverPgInstalls, selectRestoreServer, type DiscoveryOptions } from '../common/pg-tools';
import { assertExtensionsAvailable, prepareRestoreList } from '../common/restore-list';
import type { StorageLocation } from '../common/s3';
import { applyHashSessionSettings, countLargeObjects, listTables, quoteIdent, tableStats } from '../common/table-stats';
import { startThrowawayCluster, unprivilegedAccount, type ThrowawayCluster } from '../common/throwaway-cluster';
import { createWorkDir } from '../common/work-dir';
import { runFreshnessCheck, runSqlCheck } from './checks';
import { checkVerifySpace } from './disk-space';
import { downloadArchive } from '../common/download';
import { compareTables } from '../common/compare-tables';
import type { CheckOutcome } from './evaluate';
import { runPgRestore } from '../common/pg-restore';
import { createReferencedRoles } from '../common/dump-roles';
import { proveDatabaseSettings } from './prove-database-settings';

export interface VerifySettings {
  /** The database's id (`ENGINE_ENV.database`), when the task was given one. */
  readonly database?: string;
  readonly storage: StorageLocation;
  /** The dump key (or its manifest key) to verify. */
  readonly key: string;
  readonly config: EngineConfig;
  readonly discovery: DiscoveryOptions;
  readonly zstdPath: string | undefined;
  /** Where the archive and the throwaway cluster go (the task's ephemeral storage). @default - the OS temp dir */
  readonly workDir?: string;
}

export interface VerifyDeps {
  readonly s3: S3Client;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: 'download' | 'restore' | 'checks', detail: string) => void;
}

/** What the verify task reports. `restoreSeconds` is the day's measured recovery time. */
export interface VerifyResult {
  readonly runId: string;
  readonly database: string;
  readonly key: string;
  readonly bytes: number;
  readonly downloadSeconds: number;
  readonly restoreSeconds: number;
  readonly serverMajor: number;
  readonly tables: number;
  readonly rows: number;
  readonly checks: CheckOutcome[];
  readonly deepProof: boolean;
  /** RDS-only extensions the dump creates, left out of the restore: "not restorable outside RDS: skipped". */
  readonly skippedExtensions: string[];
  /**
   * The newest verified backup of the same database before this run, to compare size and restore time with; null
   * when there is none (always present: the state machine selects the field, and a missing one would fail it).
   */
  readonly previous: PreviousVerified | null;
}

/** A verified backup's figures, as the run's message compares them ("size −40 % vs previous verified backup"). */
export interface PreviousVerified {
  readonly runId: string;
  readonly dumpBytes: number;
  readonly restoreSeconds: number;
}

/**
 * The newest verified backup of the database before `runId`, through the catalog. A failed lookup only loses the
 * comparison: the backup is verified already, so it is logged and the result goes without it.
 */
async function previousVerified(
  deps: VerifyDeps,
  storage: StorageLocation,
  manifest: Manifest,
): Promise<PreviousVerified | undefined> {
  try {
    const previous = await newestVerifiedBackup(deps.s3, storage, manifest.database, { before: manifest.runId });
    if (!previous?.verified) return undefined;
    return {
      runId: previous.runId,
      dumpBytes: previous.manifest.bytes,
      restoreSeconds: previous.verified.restoreSeconds,
    };
  } catch (error) {
    deps.logger.warn('previous verified backup not found; the result has no comparison', {
      error: (error as Error).message,
    });
    return undefined;
  }
}

/**
 * The manifest of the backup to verify: a complete backup (dump and manifest) at `key`, which a re-verification
 * takes from its input. Throws BackupNotFound naming the key and how to list the keys.
 */
async function manifestToVerify(s3: S3Client, storage: StorageLocation, key: string): Promise<Manifest> {
  try {
    const base = storage.prefix.replace(/^\/+|\/+$/g, '');
    if (base && !key.startsWith(`${base}/`))
      throw new BackupNotFound(`${key} is not under this deployment's key prefix "${base}/"`);
    // A manifest key is verified as it always was; a dump key must have its manifest and its dump object.
    if (parseBackupKey(key)?.kind === 'manifest') return await readManifest(s3, storage.bucket, key);
    const { manifest } = await backupAt(s3, storage.bucket, key);
    if (manifest.key !== key)
      throw new BackupNotFound(`the manifest beside s3://${storage.bucket}/${key} describes ${manifest.key}`);
    return manifest;
  } catch (error) {
    if (!(error instanceof BackupNotFound)) throw error;
    throw new BackupNotFound(
      `backup ${key} cannot be verified: ${error.message}. \`pgproof backups\` lists the backups and their keys`,
      { cause: error },
    );
  }
}

function summarise(outcomes: readonly CheckOutcome[]): string {
  return outcomes
    .filter((o) => !o.passed)
    .slice(0, 10)
    .map((o) => `${o.name}: ${o.value} (expected ${o.expectation})${o.detail ? ` — ${o.detail}` : ''}`)
    .join('; ');
}

/** Runs the database-settings proof over a connection of its own, to the cluster's maintenance database. */
async function proveDatabaseSettingsIn(
  cluster: ThrowawayCluster,
  manifest: Manifest,
): Promise<CheckOutcome | undefined> {
  if (!manifest.databaseSettings) return undefined;
  const admin = await connect(cluster.connection('postgres'), 'pgproof-verify');
  try {
    return await proveDatabaseSettings(admin, manifest);
  } finally {
    await admin.end();
  }
}

/**
 * Proves one backup: download with SHA-256 check, restore into a throwaway cluster of the dump's major, compare
 * every table with the manifest, run the user's checks, and mark the backup verified only if all passed.
 * The cluster and the downloaded archive are removed whatever happens.
 */
export async function runVerify(settings: VerifySettings, deps: VerifyDeps): Promise<VerifyResult> {
  const { logger } = deps;
  // A stop signal between steps stops the run there: in particular, nothing is marked verified after it.
  const checkpoint = () => {
    if (deps.signal?.aborted) throw deps.signal.reason;
  };
  checkpoint();
  const manifest = await manifestToVerify(deps.s3, settings.storage, settings.key);
  const installs = await discoverPgInstalls(settings.discovery);
  const server = selectRestoreServer(manifest.server.major, manifest.pgDump.major, installs);
  if (server.major !== manifest.server.major) {
    logger.warn("no server of the dump's major is installed; restoring into a newer major", {
      dumpMajor: manifest.server.major,
      restoreMajor: server.major,
    });
  }

  const parent = settings.workDir ?? os.tmpdir();
  // Private (0700): the decompressed archive is a plaintext copy of the database. Owned by the throwaway
  // server's user when we run as root (it must traverse into its directory; root reads the archive anyway).
  const workDir = await createWorkDir(parent, 'pgproof-verify-', unprivilegedAccount());
  let cluster: ThrowawayCluster | undefined;
  try {
    await checkVerifySpace(workDir, manifest);
    const archive = path.join(workDir, `${manifest.runId}.dump`);
    logger.info('download starting', { key: manifest.key, bytes: manifest.bytes });
    const download = await downloadArchive({
      s3: deps.s3,
      bucket: settings.storage.bucket,
      manifest,
      destination: archive,
      zstdPath: settings.zstdPath,
      ...(deps.signal ? { signal: deps.signal } : {}),
      onProgress: (bytes) => deps.onProgress?.('download', `${bytes}/${manifest.bytes} bytes`),
    });
    logger.info('download verified', { sha256: download.sha256, seconds: download.seconds });
    checkpoint();

    // RDS-only extensions cannot exist here: the restore leaves them out (and refuses if user objects need them).
    const restoreList = await prepareRestoreList({
      binDir: server.binDir,
      file: archive,
      workDir,
      rdsOnlyExtensions: settings.config.rdsOnlyExtensions,
    });
    if (restoreList.skippedExtensions.length > 0)
      logger.info('not restorable outside RDS: skipped', { extensions: restoreList.skippedExtensions });

    const restoreStarted = Date.now();
    cluster = await startThrowawayCluster({ binDir: server.binDir, parentDir: workDir });
    const admin = await connect(cluster.connection('postgres'), 'pgproof-verify');
    try {
      await assertExtensionsAvailable(admin, restoreList.extensions, restoreList.skippedExtensions);
      // Referenced roles with the source's attributes (superusers too): owners restore exactly (issue 10.1).
      const created = await createReferencedRoles(admin, manifest.roles, manifest.roleAttributes);
      await admin.query(
        `create database ${quoteIdent(manifest.database)} template template0 encoding '${manifest.server.encoding.replace(/'/g, "''")}' locale 'C'`,
      );
      logger.info('throwaway cluster ready', { major: server.major, rolesCreated: created.length });
    } finally {
      await admin.end();
    }
    checkpoint();
    const jobs = settings.config.restoreJobs ?? Math.max(1, os.availableParallelism());
    let items = 0;
    await runPgRestore({
      binDir: server.binDir,
      file: archive,
      target: cluster.connection(manifest.database),
      jobs,
      ...(restoreList.listFile ? { extraArgs: [`--use-list=${restoreList.listFile}`] } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
      onItem: () => deps.onProgress?.('restore', `${++items} items`),
    });
    const restoreSeconds = (Date.now() - restoreStarted) / 1000;
    logger.info('restore complete', { restoreSeconds, jobs });
    // The archive is no longer needed: free the disk before the checks.
    await rm(archive, { force: true });

    checkpoint();
    const client = await connect(cluster.connection(manifest.database), 'pgproof-verify');
    // Interrupted during the checks: ending the connection cancels the running query.
    const onAbort = () => void client.end().catch(() => undefined);
    deps.signal?.addEventListener('abort', onAbort, { once: true });
    const outcomes: CheckOutcome[] = [];
    try {
      if (manifest.deepProof) await applyHashSessionSettings(client);
      // The manifest's hash version: older manifests are proven the way they were written.
      const restored = await tableStats(client, await listTables(client), {
        contentHash: manifest.deepProof,
        hashVersion: manifest.hashVersion ?? 1,
      });
      const rowProblems = compareTables(manifest.tables, restored, 'rows');
      const rows = restored.reduce((sum, t) => sum + t.rows, 0);
      outcomes.push({
        name: 'row counts',
        kind: 'row-counts',
        passed: rowProblems.length === 0,
        value:
          rowProblems.length === 0
            ? `${restored.length} tables, ${rows} rows match`
            : `${rowProblems.length} tables differ`,
        expectation: `${manifest.tables.length} tables as in the dump's snapshot`,
        ...(rowProblems.length ? { detail: rowProblems.slice(0, 5).join('; ') } : {}),
      });
      const largeObjects = await countLargeObjects(client);
      outcomes.push({
        name: 'large objects',
        kind: 'large-objects',
        passed: largeObjects === manifest.largeObjects,
        value: String(largeObjects),
        expectation: `= ${manifest.largeObjects}`,
      });
      if (manifest.deepProof) {
        const hashProblems = compareTables(manifest.tables, restored, 'contentHash');
        outcomes.push({
          name: 'content hash',
          kind: 'content-hash',
          passed: hashProblems.length === 0,
          value:
            hashProblems.length === 0 ? `${restored.length} tables identical` : `${hashProblems.length} tables differ`,
          expectation: "every table identical to the dump's snapshot",
          ...(hashProblems.length ? { detail: hashProblems.slice(0, 5).join('; ') } : {}),
        });
      }
      // Database-level settings, comment and grants (not in a dump without --create): applied, then read back.
      const settingsOutcome = await proveDatabaseSettingsIn(cluster, manifest);
      if (settingsOutcome) outcomes.push(settingsOutcome);
      deps.onProgress?.('checks', 'user checks');
      for (const check of settings.config.checks) {
        checkpoint();
        outcomes.push(await runSqlCheck(client, check));
      }
      for (const check of settings.config.freshness) {
        checkpoint();
        outcomes.push(await runFreshnessCheck(client, check, new Date(manifest.snapshotAt)));
      }
      checkpoint();

      for (const o of outcomes) logCheck(logger, { database: manifest.database, ...o });
      const failed = outcomes.filter((o) => !o.passed);
      if (failed.length > 0) {
        throw new VerificationFailed(
          `${failed.length} of ${outcomes.length} checks failed for ${manifest.key}: ${summarise(outcomes)}`,
        );
      }
      const result = {
        runId: manifest.runId,
        database: manifest.database,
        key: manifest.key,
        bytes: manifest.bytes,
        downloadSeconds: download.seconds,
        restoreSeconds,
        serverMajor: server.major,
        tables: restored.length,
        rows,
        checks: outcomes,
        deepProof: manifest.deepProof,
        skippedExtensions: restoreList.skippedExtensions,
      } satisfies Omit<VerifyResult, 'previous'>;
      await writeVerificationRecord(
        deps.s3,
        settings.storage.bucket,
        {
          runId: manifest.runId,
          key: manifest.key,
          verifiedAt: new Date().toISOString(),
          restoreSeconds,
          serverMajor: server.major,
          tables: restored.length,
          rows,
          checks: outcomes.map((o) => ({ name: o.name, passed: o.passed })),
          deepProof: manifest.deepProof,
          skippedExtensions: restoreList.skippedExtensions,
        },
        settings.storage.kmsKeyId,
      );
      logBackupVerified(logger, {
        database: manifest.database,
        key: manifest.key,
        restoreSeconds,
        checks: outcomes.length,
      });
      const previous = await previousVerified(deps, settings.storage, manifest);
      return { ...result, previous: previous ?? null };
    } finally {
      deps.signal?.removeEventListener('abort', onAbort);
      if (!deps.signal?.aborted) await client.end().catch(() => undefined);
    }
  } finally {
    await cluster?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
