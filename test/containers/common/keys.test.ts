import { describe, expect, it } from 'vitest';
import { dumpKey, parseBackupKey, rolesKeyFor, runIdOfKey } from '../../../containers/common/keys';

const RUN = '20261124T030000Z-0123456789';
const DUMP = dumpKey('pgproof', 'app db', RUN, '.dump.zst');

describe('backup keys', () => {
  it('finds the run id in every object a run writes, the role definitions included', () => {
    // GIVEN the four objects beside one backup
    const keys = [
      DUMP,
      DUMP.replace('.dump.zst', '.manifest.json'),
      DUMP.replace('.dump.zst', '.verified.json'),
      rolesKeyFor(DUMP),
    ];
    // THEN
    expect(rolesKeyFor(DUMP)).toBe(`pgproof/app_db/2026-11-24/${RUN}.roles.sql`);
    expect(keys.map(runIdOfKey)).toEqual([RUN, RUN, RUN, RUN]);
    expect(runIdOfKey(`pgproof/app_db/2026-11-24/${RUN}.txt`)).toBeUndefined();
    expect(runIdOfKey('pgproof/app_db/2026-11-24/not-a-run.dump')).toBeUndefined();
  });

  it('parses a key of the layout into folder, day, run id, kind and the base shared by the run', () => {
    expect(parseBackupKey(DUMP)).toEqual({
      key: DUMP,
      folder: 'app_db',
      date: '2026-11-24',
      runId: RUN,
      kind: 'dump',
      base: `pgproof/app_db/2026-11-24/${RUN}`,
    });
    expect(parseBackupKey(`x/db/2026-11-24/${RUN}.dump`)?.kind).toBe('dump');
    expect(parseBackupKey(`x/db/2026-11-24/${RUN}.manifest.json`)?.kind).toBe('manifest');
    expect(parseBackupKey(`x/db/2026-11-24/${RUN}.verified.json`)?.kind).toBe('verified');
    expect(parseBackupKey(`x/db/2026-11-24/${RUN}.roles.sql`)?.kind).toBe('roles');
    // An empty prefix writes `<database>/<date>/…`.
    expect(parseBackupKey(`db/2026-11-24/${RUN}.dump.zst`)?.folder).toBe('db');
  });

  it('rejects objects outside the layout', () => {
    for (const key of [
      `pgproof/db/2026-11-24/${RUN}.dump.gz`,
      `pgproof/db/latest/${RUN}.dump.zst`,
      `2026-11-24/${RUN}.dump.zst`,
      `pgproof/db/2026-11-24/notes.txt`,
      `pgproof/db/2026-11-24/20261124-0123456789.dump.zst`,
    ]) {
      expect(parseBackupKey(key), key).toBeUndefined();
    }
  });
});
