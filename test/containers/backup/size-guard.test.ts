import { describe, expect, it } from 'vitest';
import { checkSize } from '../../../containers/backup/size-guard';

describe('size guard', () => {
  it('passes the first run and normal growth or shrink, and trips on a large shrink', () => {
    expect(checkSize(10, undefined, 0.5).ok).toBe(true);
    expect(checkSize(60, { bytes: 100, key: 'k' }, 0.5).ok).toBe(true);
    expect(checkSize(50, { bytes: 100, key: 'k' }, 0.5).ok).toBe(true);
    const verdict = checkSize(49, { bytes: 100, key: 'prev' }, 0.5);
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toMatch(/49 bytes, 51\.0% smaller than the last verified backup \(100 bytes, prev\)/);
    expect(checkSize(1, { bytes: 100, key: 'k' }, 1).ok).toBe(true);
  });
});
