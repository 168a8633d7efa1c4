import { describe, expect, it } from 'vitest';
import {
  dumpKey,
  isRunId,
  keySegment,
  manifestKeyFor,
  newRunId,
  runIdOfKey,
  verifiedKeyFor,
} from '../../../containers/common/keys';

describe('run ids and keys', () => {
  it('gives runs started in the same second different, sortable ids', () => {
    const at = new Date('2026-11-24T03:00:00.123Z');
    const a = newRunId(at);
    const b = newRunId(at);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^20261124T030000Z-[0-9a-f]{10}$/);
    expect(isRunId(a)).toBe(true);
    expect(newRunId(new Date('2026-11-24T03:00:01Z')) > a).toBe(true);
  });

  it('lays out keys per database and day, with the manifest and verification record beside the dump', () => {
    const key = dumpKey('pgproof/', 'app db', '20261124T030000Z-0123456789', '.dump.zst');
    expect(key).toBe('pgproof/app_db/2026-11-24/20261124T030000Z-0123456789.dump.zst');
    expect(manifestKeyFor(key)).toBe('pgproof/app_db/2026-11-24/20261124T030000Z-0123456789.manifest.json');
    expect(verifiedKeyFor(key)).toBe('pgproof/app_db/2026-11-24/20261124T030000Z-0123456789.verified.json');
    expect(verifiedKeyFor(manifestKeyFor(key))).toBe(verifiedKeyFor(key));
    expect(runIdOfKey(key)).toBe('20261124T030000Z-0123456789');
    expect(keySegment('../etc')).toBe('.._etc');
    expect(() => dumpKey('p', 'db', 'not-a-run-id', '.dump')).toThrow(/not a run id/);
  });
});
