import { describe, expect, it } from 'vitest';
import { checkBackupKey } from '../../../bin/restore/backup-key';
import { RestoreRefused } from '../../../bin/restore/restore-errors';

const KEY = 'pgproof/app/2026-11-24/20261124T030000Z-0123456789.dump.zst';

describe('backup keys (issue 10.9)', () => {
  it('accepts a key a run printed', () => {
    expect(() => checkBackupKey(KEY, 'pgproof')).not.toThrow();
    expect(() => checkBackupKey('a/b/app/2026-11-24/20261124T030000Z-0123456789.dump', 'a/b/')).not.toThrow();
    expect(() => checkBackupKey('app/2026-11-24/20261124T030000Z-0123456789.dump', '')).not.toThrow();
  });

  it.each([
    ['../x.dump', /may not contain "\.\."/],
    ['pgproof/../secret/2026-11-24/20261124T030000Z-0123456789.dump.zst', /may not contain/],
    ['pgproof//2026-11-24/20261124T030000Z-0123456789.dump.zst', /empty path segments/],
    ['other/app/2026-11-24/20261124T030000Z-0123456789.dump.zst', /outside the prefix "pgproof\/"/],
    ['pgproofx/app/2026-11-24/20261124T030000Z-0123456789.dump.zst', /outside the prefix/],
    ['pgproof/app/2026-11-24/20261124T030000Z-0123456789.manifest.json', /not a backup key/],
    ['pgproof/app/20261124T030000Z-0123456789.dump.zst', /not a backup key/],
  ])('refuses %s', (key, message) => {
    expect(() => checkBackupKey(key, 'pgproof')).toThrow(RestoreRefused);
    expect(() => checkBackupKey(key, 'pgproof')).toThrow(message);
  });
});
