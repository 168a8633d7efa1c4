import type pg from 'pg';
import { applyDatabaseSettings } from '../common/database-settings';
import type { Logger } from '../common/log';
import type { Manifest } from '../common/manifest';

/**
 * Applies the backup's database-level settings, comment and grants to the restored database. What the target
 * cannot take (a grantee or role that does not exist there, a refused statement) is reported as a warning
 * naming each item: the data is restored, and the person restoring decides about the rest.
 */
export async function restoreDatabaseSettings(
  client: pg.Client,
  manifest: Manifest,
  targetName: string,
  logger: Logger,
  options: { withRoles: boolean } = { withRoles: true },
): Promise<void> {
  if (!manifest.databaseSettings) return;
  // Without owners and grants (--no-owner), the database's grants and role settings are left out as well.
  const settings = options.withRoles ? manifest.databaseSettings : { ...manifest.databaseSettings, settings: manifest.databaseSettings.settings.filter((s) => s.role === null) };
  if (!options.withRoles) logger.info('database grants and role settings not applied (restore without owners and grants)', { database: targetName });
  const { applied, problems } = await applyDatabaseSettings(client, settings, targetName, { grants: options.withRoles });
  logger.info('database settings applied', { database: targetName, applied });
  if (problems.length > 0) {
    logger.warn(`${problems.length} database-level settings or grants of the backup were not applied to "${targetName}"; apply them by hand if needed`, { problems });
  }
}
