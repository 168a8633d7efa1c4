import { describe, expect, it } from 'vitest';
import { sideDatabaseName } from '../../../bin/restore/database-swap';

describe('side database names', () => {
  it('fits in 63 bytes and keeps the target name recognisable', () => {
    expect(sideDatabaseName('app', 'new', Buffer.from('a1b2c3d4', 'hex'))).toBe('app_pgproof_new_a1b2c3d4');
    const long = sideDatabaseName('é'.repeat(40), 'old', Buffer.from('a1b2c3d4', 'hex'));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^é+_pgproof_old_a1b2c3d4$/);
  });
});
