import type pg from 'pg';
import { applyDatabaseSettings, compareDatabaseSettings, readDatabaseSettings } from '../common/database-settings';
import type { Manifest } from '../common/manifest';
import type { CheckOutcome } from './evaluate';

/**
 * Applies the manifest's database-level settings, comment and grants to the restored database, reads them back
 * from its catalogs and compares: a setting the restore would lose, or one the target refuses, fails the check.
 * Manifests written before pgproof backed these up have nothing to prove (undefined).
 */
export async function proveDatabaseSettings(admin: pg.Client, manifest: Manifest): Promise<CheckOutcome | undefined> {
  const expected = manifest.databaseSettings;
  if (!expected) return undefined;
  const { problems: refused } = await applyDatabaseSettings(admin, expected, manifest.database);
  const differences = compareDatabaseSettings(expected, await readDatabaseSettings(admin, manifest.database));
  const problems = [...refused, ...differences];
  const items = expected.settings.length + expected.grants.length + (expected.comment === null ? 0 : 1);
  return {
    name: 'database settings',
    kind: 'database-settings',
    passed: problems.length === 0,
    value: problems.length === 0 ? `${items} settings, grants and comment restored` : `${problems.length} differ`,
    expectation: 'database-level settings, comment and grants as on the source',
    ...(problems.length ? { detail: problems.slice(0, 5).join('; ') } : {}),
  };
}
