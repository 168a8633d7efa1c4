import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENGINE_ENV, LIBPQ_ENV } from '../../lib/contracts/engine-env';
import { selectDatabase, selectedDatabaseEnv } from '../common/database-selection';
import { resolveDatabaseEnv } from '../common/db-secret';
import { ConfigError } from '../common/errors';
import { isRunId } from '../common/keys';
import { connectionFromEnv } from '../common/pg-connection';
import { discoveryOptionsFromEnv } from '../common/pg-tools';
import { secondsFromEnv, storageFromEnv } from '../common/task-env';
import { which } from '../common/which';
import type { BackupSettings } from './backup';

/** Reads the backup task's settings from its environment (`ENGINE_ENV` and libpq's), failing fast on a bad one. */
export async function backupSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  secretsClient: () => SecretsManagerClient,
): Promise<BackupSettings> {
  // The database by its id (ENGINE_ENV.database): its entry's connection and secret replace the task environment's.
  const { id, config, selected } = selectDatabase(env);
  // A plain configuration serves one database: the id must name it (a Map item asking for another database must
  // not back up the task environment's one under its name); without PGDATABASE the id is the database.
  const configured = env[LIBPQ_ENV.database]?.trim();
  if (!selected && id !== undefined && configured && configured !== id) {
    throw new ConfigError(
      `${ENGINE_ENV.database} is "${id}" but ${LIBPQ_ENV.database} is "${configured}" and ${ENGINE_ENV.config} is a plain configuration (one database): give keyed settings with an entry for "${id}", or run the task for "${configured}"`,
    );
  }
  const databaseEnv = selected
    ? selectedDatabaseEnv(env, selected)
    : id !== undefined
      ? { ...env, [LIBPQ_ENV.database]: id }
      : env;
  // In AWS the password comes from the database secret, read with the task role; locally from PGPASSWORD.
  // A fleet database's secret that the role may not read fails this database alone (SecretUnreadable).
  const fromEntry = selected?.connection.passwordSecret !== undefined;
  const resolved = await resolveDatabaseEnv(databaseEnv, secretsClient, { unreadable: fromEntry });
  if (selected && !resolved[LIBPQ_ENV.host]?.trim()) {
    throw new ConfigError(
      `database "${selected.id}" has no host: neither its entry in "databases", nor "connection", nor its secret "${resolved[ENGINE_ENV.dbSecret] ?? '(none)'}" gives one. Set "host" in the database's entry or in "connection"`,
    );
  }
  const connection = connectionFromEnv(resolved);
  const storage = storageFromEnv(env);
  const lockWait = secondsFromEnv(env, ENGINE_ENV.lockWaitTimeoutSeconds);
  const stall = secondsFromEnv(env, ENGINE_ENV.stallTimeoutSeconds);
  const runId = env[ENGINE_ENV.runId];
  if (runId && !isRunId(runId)) {
    throw new ConfigError(
      `${ENGINE_ENV.runId} must look like 20261124T030000Z-0123456789 (UTC time, dash, hex), got "${runId}"`,
    );
  }
  const reason = env[ENGINE_ENV.reason];
  return {
    database: id ?? connection.database,
    connection,
    storage,
    config,
    discovery: discoveryOptionsFromEnv(env),
    zstdPath: await which('zstd', env.PATH ?? ''),
    ...(runId ? { runId } : {}),
    ...(reason ? { reason } : {}),
    ...(lockWait ? { lockWaitTimeoutSeconds: lockWait } : {}),
    ...(stall ? { stallTimeoutSeconds: stall } : {}),
  };
}
