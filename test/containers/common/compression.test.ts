import { describe, expect, it } from 'vitest';
import { decompressionFilter, planCompression } from '../../../containers/common/compression';
import { parseEngineConfig } from '../../../containers/common/engine-config';

describe('compression plan', () => {
  it('pipes an uncompressed archive through multi-threaded zstd by default', () => {
    const plan = planCompression(parseEngineConfig({}).compression, '/usr/bin/zstd');
    expect(plan.pgDumpArgs).toEqual(['-Z', '0']);
    expect(plan.filter).toEqual({ command: '/usr/bin/zstd', args: ['-q', '-c', '-1', '-T0'] });
    expect(plan.manifest).toEqual({ method: 'zstd', level: 1, threads: 0 });
    expect(plan.extension).toBe('.dump.zst');
  });
  it("falls back to pg_dump's gzip with a notice when zstd is missing", () => {
    const plan = planCompression({ method: 'zstd', level: 3, threads: 2 }, undefined);
    expect(plan).toMatchObject({
      pgDumpArgs: ['-Z', '6'],
      manifest: { method: 'pg_dump', level: 6 },
      extension: '.dump',
    });
    expect(plan.notice).toMatch(/zstd is not installed/);
  });
  it("uses pg_dump's own level when configured, and undoes zstd on the way back only", () => {
    expect(planCompression({ method: 'pg_dump', level: 9 }, '/usr/bin/zstd').pgDumpArgs).toEqual(['-Z', '9']);
    expect(decompressionFilter({ method: 'pg_dump', level: 6 }, undefined)).toBeUndefined();
    expect(decompressionFilter({ method: 'zstd', level: 1, threads: 0 }, '/z')).toEqual({
      command: '/z',
      args: ['-q', '-d', '-c'],
    });
    expect(() => decompressionFilter({ method: 'zstd', level: 1, threads: 0 }, undefined)).toThrow(/install it/);
  });
});
