import { describe, expect, it } from 'vitest';
import { checkSize } from '../../containers/backup/size-guard';
import { decompressionFilter, planCompression } from '../../containers/common/compression';
import { parseEngineConfig } from '../../containers/common/engine-config';
import { dumpKey, isRunId, keySegment, manifestKeyFor, newRunId, runIdOfKey, verifiedKeyFor } from '../../containers/common/keys';
import { TailBuffer } from '../../containers/common/process';
import { clearSecrets, redact, registerSecret } from '../../lib/common/redact';
import { compareTables } from '../../containers/common/compare-tables';
import { freshnessVerdict, meetsExpectation } from '../../containers/verify/evaluate';
import { pgRestoreArgs } from '../../containers/common/pg-restore';

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

describe('compression plan', () => {
  it('pipes an uncompressed archive through multi-threaded zstd by default', () => {
    const plan = planCompression(parseEngineConfig({}).compression, '/usr/bin/zstd');
    expect(plan.pgDumpArgs).toEqual(['-Z', '0']);
    expect(plan.filter).toEqual({ command: '/usr/bin/zstd', args: ['-q', '-c', '-1', '-T0'] });
    expect(plan.manifest).toEqual({ method: 'zstd', level: 1, threads: 0 });
    expect(plan.extension).toBe('.dump.zst');
  });
  it('falls back to pg_dump\'s gzip with a notice when zstd is missing', () => {
    const plan = planCompression({ method: 'zstd', level: 3, threads: 2 }, undefined);
    expect(plan).toMatchObject({ pgDumpArgs: ['-Z', '6'], manifest: { method: 'pg_dump', level: 6 }, extension: '.dump' });
    expect(plan.notice).toMatch(/zstd is not installed/);
  });
  it('uses pg_dump\'s own level when configured, and undoes zstd on the way back only', () => {
    expect(planCompression({ method: 'pg_dump', level: 9 }, '/usr/bin/zstd').pgDumpArgs).toEqual(['-Z', '9']);
    expect(decompressionFilter({ method: 'pg_dump', level: 6 }, undefined)).toBeUndefined();
    expect(decompressionFilter({ method: 'zstd', level: 1, threads: 0 }, '/z')).toEqual({ command: '/z', args: ['-q', '-d', '-c'] });
    expect(() => decompressionFilter({ method: 'zstd', level: 1, threads: 0 }, undefined)).toThrow(/install it/);
  });
});

describe('engine configuration', () => {
  it('has safe defaults', () => {
    expect(parseEngineConfig('')).toEqual({
      compression: { method: 'zstd', level: 1, threads: 0 },
      sizeGuard: { maxShrink: 0.5 },
      checks: [],
      freshness: [],
      deepProof: false,
      rdsOnlyExtensions: ['aws_s3', 'aws_commons', 'rds_tools', 'apg_plan_mgmt', 'aws_lambda', 'aws_ml', 'rds_activity_stream', 'pg_transport'],
    });
  });
  it.each([
    ['{"checks": [{"name": "x", "sql": "select 1", "expect": {}}]}', /checks\.0\.expect: an expectation needs at least one of min, max, equals/],
    ['{"sizeGuard": {"maxShrink": 2}}', /sizeGuard\.maxShrink/],
    ['{"compression": {"method": "brotli"}}', /compression\.method/],
    ['{"deepProof": "yes"}', /deepProof/],
    ['{"checkz": []}', /Unrecognized key.*checkz/],
    ['{"freshness": [{"table": "t", "column": "c", "maxAgeHours": -1}]}', /freshness\.0\.maxAgeHours/],
    ['{"checks": [{"name": "a", "sql": "select 1", "expect": {"min": 1}}, {"name": "a", "sql": "select 1", "expect": {"min": 1}}]}', /checks\.1\.name: duplicate check name "a"/],
    ['{not json', /PGPROOF_CONFIG is not valid JSON/],
  ])('rejects %s naming the field', (input, message) => {
    expect(() => parseEngineConfig(input)).toThrow(message);
  });
});

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

describe('expectations and comparisons', () => {
  it('evaluates min, max and equals on values as PostgreSQL returns them', () => {
    expect(meetsExpectation('42', { min: 1 })).toBe(true);
    expect(meetsExpectation('0', { min: 1 })).toBe(false);
    expect(meetsExpectation(5, { min: 1, max: 4 })).toBe(false);
    expect(meetsExpectation(null, { min: 0 })).toBe(false);
    expect(meetsExpectation('0', { equals: 0 })).toBe(true);
    expect(meetsExpectation(true, { equals: true })).toBe(true);
    expect(meetsExpectation('abc', { equals: 'abc' })).toBe(true);
    expect(meetsExpectation(null, { equals: null })).toBe(true);
    expect(meetsExpectation('x', { min: 0 })).toBe(false);
  });
  it('names missing, extra and different tables', () => {
    const expected = [
      { schema: 's', name: 'a', rows: 1 },
      { schema: 's', name: 'b', rows: 2 },
    ];
    const actual = [
      { schema: 's', name: 'a', rows: 3 },
      { schema: 's', name: 'c', rows: 0 },
    ];
    expect(compareTables(expected, actual, 'rows')).toEqual([
      's.a: 3 rows restored, 1 in the dump\'s snapshot',
      's.b: missing after restore',
      's.c: present after restore but not in the manifest',
    ]);
  });
  it('judges freshness against the snapshot time', () => {
    const snapshot = new Date('2026-11-24T03:00:00Z');
    expect(freshnessVerdict(new Date('2026-11-23T03:00:00Z'), snapshot, 26)).toEqual({ passed: true, ageHours: 24 });
    expect(freshnessVerdict(new Date('2026-11-22T03:00:00Z'), snapshot, 26).passed).toBe(false);
    expect(freshnessVerdict(null, snapshot, 26)).toEqual({ passed: false, ageHours: null });
  });
});

describe('secret hygiene helpers', () => {
  it('masks registered secrets, URL credentials and password pairs', () => {
    clearSecrets();
    registerSecret('hunter2-secret');
    expect(redact('login failed for hunter2-secret')).toBe('login failed for ***');
    expect(redact('postgres://app:pa55word@db:5432/app')).toBe('postgres://app:***@db:5432/app');
    expect(redact('host=db password=abc123 user=x')).toBe('host=db password=*** user=x');
    clearSecrets();
  });
  it('keeps a bounded, redacted tail of stderr', () => {
    registerSecret('tail-secret-1');
    const tail = new TailBuffer(2);
    tail.push('one\ntwo\nthree tail-secret-1\npart');
    expect(tail.text()).toBe('two\nthree ***\npart');
    clearSecrets();
  });
});

describe('pg_restore arguments', () => {
  it('restores in parallel into the named database and stops at the first error', () => {
    const args = pgRestoreArgs('/tmp/x.dump', 4, 'app');
    expect(args).toEqual(expect.arrayContaining(['--dbname=app', '--exit-on-error', '--jobs=4', '--no-tablespaces', '--no-subscriptions']));
    expect(args).not.toContain('--no-owner');
    expect(args.at(-1)).toBe('/tmp/x.dump');
  });
});
