import { applyDatabaseSettings, type AppliedDatabaseSettings } from '../../containers/common/database-settings';
import type { Logger } from '../../containers/common/log';
import type { Manifest } from '../../containers/common/manifest';
import { connect, type ConnectionParams } from '../../containers/common/pg-connection';

/**
 * Applies the backup's database-level settings, comment and grants to the restored database `into` (they are
 * kept by the database's OID, so they survive a later rename). What the target cannot take (a grantee or role
 * that does not exist there, a refused statement) is logged as a warning naming each item and returned: the
 * data is restored, and the person restoring decides about the rest. Older manifests have nothing to apply.
 */
export async function restoreDatabaseSettings(
  into: ConnectionParams,
  manifest: Manifest,
  logger: Logger,
  options: { withRoles: boolean } = { withRoles: true },
): Promise<AppliedDatabaseSettings | undefined> {
  if (!manifest.databaseSettings) return undefined;
  // Without owners and grants (--no-owner), the database's grants and role settings are left out as well.
  const settings = options.withRoles
    ? manifest.databaseSettings
    : { ...manifest.databaseSettings, settings: manifest.databaseSettings.settings.filter((s) => s.role === null) };
  if (!options.withRoles)
    logger.info('database grants and role settings not applied (restore without owners and grants)', {
      database: into.database,
    });
  const client = await connect(into, 'pgproof-restore');
  try {
    const result = await applyDatabaseSettings(client, settings, into.database, { grants: options.withRoles });
    logger.info('database settings applied', { database: into.database, applied: result.applied });
    if (result.problems.length > 0) {
      logger.warn(
        `${result.problems.length} database-level settings or grants of the backup were not applied to "${into.database}"; apply them by hand if needed`,
        { problems: result.problems },
      );
    }
    return result;
  } finally {
    await client.end();
  }
}
