import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  localRunExitCode,
  PRUNE_FAILED_EXIT_CODE,
  parseDatabaseList,
  pruneVerified,
  validateRunFlags,
} from '../../../bin/cli/local-run-command';
import { DEFAULT_RETENTION_POLICY } from '../../../lib/common/defaults';
import type { RunFlags } from '../../../bin/cli/run-options';

const flags = (extra: Partial<RunFlags>): RunFlags => ({ stateDir: '.pgproof', prefix: 'pgproof', ...extra });
const usage = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect((error as { exitCode?: number }).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('no usage error');
};

describe('--databases', () => {
  it('takes comma-separated names, trimmed, in order; "all" discovers', () => {
    expect(parseDatabaseList('orders, billing,crm')).toEqual(['orders', 'billing', 'crm']);
    expect(parseDatabaseList('all')).toBe('all');
  });

  it('refuses an empty name, a name given twice and more than 200 names, saying which', () => {
    expect(usage(() => parseDatabaseList('orders,,crm'))).toMatch(/comma-separated database names.*"orders,,crm"/);
    expect(usage(() => parseDatabaseList('orders,crm,orders'))).toMatch(/names orders twice/);
    const many = Array.from({ length: 201 }, (_, i) => `db${i}`).join(',');
    expect(usage(() => parseDatabaseList(many))).toMatch(/201 databases; one run proves at most 200/);
  });
});

describe('validateRunFlags (fleet flags)', () => {
  it('refuses a --max-concurrency outside 1–40 or not a whole number', () => {
    for (const bad of ['0', '41', '2.5', 'four']) {
      expect(usage(() => validateRunFlags(flags({ maxConcurrency: bad })))).toMatch(
        /--max-concurrency must be a whole number from 1 to 40/,
      );
    }
    expect(() => validateRunFlags(flags({ maxConcurrency: '40', databases: 'a,b' }))).not.toThrow();
  });

  it('refuses an empty --exclude-databases pattern', () => {
    expect(usage(() => validateRunFlags(flags({ databases: 'all', excludeDatabases: [''] })))).toMatch(
      /needs a pattern/,
    );
  });
});

describe('pruning after a local run', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());
  const stale = 'pgproof/shop/2020-01-01/20200101T000000Z-0000000001.dump.zst';
  const storage = { bucket: 'pgproof-local', prefix: 'pgproof' };

  it('prunes each verified database alone, never a failed one, and keeps going past one that fails', async () => {
    // GIVEN shop holds a failed run from 2020 (expired), crm's listing fails, blog failed in the run
    s3.on(ListObjectsV2Command, { Prefix: 'pgproof/shop/' }).resolves({ Contents: [{ Key: stale, Size: 5 }] });
    s3.on(ListObjectsV2Command, { Prefix: 'pgproof/crm/' }).rejects(new Error('disk on fire'));
    s3.on(DeleteObjectCommand).resolves({});
    const databases = [
      { database: 'crm', status: 'SUCCEEDED' },
      { database: 'blog', status: 'FAILED' },
      { database: 'shop', status: 'SUCCEEDED' },
    ] as const;
    // WHEN
    const outcomes = await pruneVerified(
      { databases },
      new S3Client({ region: 'us-east-1' }),
      storage,
      DEFAULT_RETENTION_POLICY,
    );
    // THEN shop's expired run is deleted, crm's failure is its outcome, blog is never listed
    expect([...outcomes.keys()]).toEqual(['crm', 'shop']);
    expect(outcomes.get('shop')).toEqual({ deleted: [stale], kept: [] });
    expect(outcomes.get('crm')).toEqual({ error: expect.stringMatching(/cannot list .*disk on fire/) });
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'pgproof/crm/',
      'pgproof/shop/',
    ]);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'pgproof-local', Key: stale },
    ]);
  });

  it('exits 0 verified, 1 failed (pruned or not), 3 verified with a failed prune, a signal its own code', () => {
    const ok = new Map([['shop', { deleted: [], kept: [] }]]);
    const broken = new Map([['shop', { error: 'disk on fire' }]]);
    expect(localRunExitCode('SUCCEEDED', new Map(), undefined)).toBe(0);
    expect(localRunExitCode('SUCCEEDED', ok, undefined)).toBe(0);
    expect(localRunExitCode('SUCCEEDED', broken, undefined)).toBe(PRUNE_FAILED_EXIT_CODE);
    expect(PRUNE_FAILED_EXIT_CODE).toBe(3);
    expect(localRunExitCode('FAILED', broken, undefined)).toBe(1);
    expect(localRunExitCode('FAILED', ok, undefined)).toBe(1);
    expect(localRunExitCode('SUCCEEDED', broken, 130)).toBe(130);
  });
});
