import { describe, expect, it } from 'vitest';
import { pgRestoreArgs } from '../../../containers/common/pg-restore';

describe('pg_restore arguments', () => {
  it('restores in parallel into the named database and stops at the first error', () => {
    const args = pgRestoreArgs('/tmp/x.dump', 4, 'app');
    expect(args).toEqual(
      expect.arrayContaining(['--dbname=app', '--exit-on-error', '--jobs=4', '--no-tablespaces', '--no-subscriptions']),
    );
    expect(args).not.toContain('--no-owner');
    expect(args.at(-1)).toBe('/tmp/x.dump');
  });
});
