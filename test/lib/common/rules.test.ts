import { describe, expect, it } from 'vitest';
import {
  EPHEMERAL_STORAGE_GIB,
  ephemeralStorageProblem,
  FARGATE_CPU_UNITS,
  FARGATE_MEMORY_LIMITS_MIB,
  FARGATE_MEMORY_MIB,
  fargateSizeProblem,
  isPortNumber,
  keyPrefixProblem,
  pipelineNameProblem,
  sslModeProblem,
  clipText,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_REASON_CHARS,
  reasonProblem,
} from '../../../lib/common/rules';

describe('pipelineNameProblem', () => {
  it.each(['a', 'orders', 'orders-eu-1', 'a'.repeat(32)])('accepts "%s"', (name) => {
    expect(pipelineNameProblem('name', name)).toBeUndefined();
  });

  it.each(['', 'Orders', 'orders_db', '-orders', 'orders-', 'a'.repeat(33)])(
    'rejects "%s", naming the field and the value',
    (name) => {
      expect(pipelineNameProblem('name', name)).toBe(
        `name must be 1–32 lower-case letters, digits or dashes; got "${name}"`,
      );
    },
  );
});

describe('keyPrefixProblem', () => {
  it.each(['pgproof', 'p', 'team/backups', 'a.b_c-d'])('accepts "%s"', (prefix) => {
    expect(keyPrefixProblem('keyPrefix', prefix)).toBeUndefined();
  });

  it.each(['', '/backups', 'backups/', '/', 'a b'])('rejects "%s", naming the field and the value', (prefix) => {
    expect(keyPrefixProblem('bucket.prefix', prefix)).toBe(
      `bucket.prefix must not be empty or start or end with "/"; got "${prefix}"`,
    );
  });
});

describe('ephemeralStorageProblem', () => {
  it("accepts Fargate's range, ends included", () => {
    expect(ephemeralStorageProblem('gib', EPHEMERAL_STORAGE_GIB.min)).toBeUndefined();
    expect(ephemeralStorageProblem('gib', EPHEMERAL_STORAGE_GIB.max)).toBeUndefined();
  });

  it.each([20, 201, 100.5])('rejects %s, naming the field and the value', (gib) => {
    expect(ephemeralStorageProblem('verifyEphemeralStorageGiB', gib)).toBe(
      `verifyEphemeralStorageGiB must be a whole number from 21 to 200; got ${gib}`,
    );
  });
});

describe('fargateSizeProblem', () => {
  it('accepts the smallest and largest memory of every CPU size', () => {
    for (const cpu of FARGATE_CPU_UNITS) {
      const range = FARGATE_MEMORY_MIB[cpu]!;
      expect(fargateSizeProblem('size', { cpu, memoryMiB: range.min })).toBeUndefined();
      expect(fargateSizeProblem('size', { cpu, memoryMiB: range.max })).toBeUndefined();
    }
  });

  it('lists the CPU sizes and the memory limits the table holds', () => {
    expect(Object.keys(FARGATE_MEMORY_MIB).map(Number)).toEqual([...FARGATE_CPU_UNITS]);
    expect(Math.min(...Object.values(FARGATE_MEMORY_MIB).map((r) => r.min))).toBe(FARGATE_MEMORY_LIMITS_MIB.min);
    expect(Math.max(...Object.values(FARGATE_MEMORY_MIB).map((r) => r.max))).toBe(FARGATE_MEMORY_LIMITS_MIB.max);
  });

  it('rejects a CPU size Fargate lacks, naming the field and the value', () => {
    expect(fargateSizeProblem('backupSize', { cpu: 300, memoryMiB: 2048 })).toBe(
      'backupSize.cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384; got 300',
    );
  });

  it("rejects memory outside the CPU size's range or off its step, naming the field and the value", () => {
    expect(fargateSizeProblem('verifySize', { cpu: 2048, memoryMiB: 1024 })).toBe(
      'verifySize.memoryMiB 1024 does not fit 2048 CPU units on Fargate (allowed: 4096–16384 in steps of 1024)',
    );
    expect(fargateSizeProblem('verifySize', { cpu: 8192, memoryMiB: 17408 })).toMatch(
      /verifySize\.memoryMiB 17408 does not fit 8192 CPU units .*steps of 4096/,
    );
    expect(fargateSizeProblem('backupSize', { cpu: 256, memoryMiB: 1536 })).toBe(
      'backupSize.memoryMiB 1536 does not fit 256 CPU units on Fargate (allowed: 512, 1024, 2048)',
    );
  });
});

describe('sslModeProblem', () => {
  it.each(['disable', 'prefer', 'require', 'verify-full'])('accepts %s', (mode) => {
    expect(sslModeProblem('sslmode', mode)).toBeUndefined();
  });

  it('rejects another value, naming the field and the value', () => {
    expect(sslModeProblem('PGSSLMODE', 'verify')).toBe(
      'PGSSLMODE must be one of disable, allow, prefer, require, verify-ca, verify-full; got "verify"',
    );
  });
});

describe('isPortNumber', () => {
  it.each([1, 5432, 65535])('accepts %s', (port) => {
    expect(isPortNumber(port)).toBe(true);
  });

  it.each([0, 65536, 54.32, Number.NaN])('rejects %s', (port) => {
    expect(isPortNumber(port)).toBe(false);
  });
});

describe('reasonProblem', () => {
  it.each(['x', 'before migration', 'r'.repeat(MAX_REASON_CHARS)])('accepts a reason of %#', (reason) => {
    expect(reasonProblem('reason', reason)).toBeUndefined();
  });

  it('rejects an empty reason and one over the cap, naming the field and the length', () => {
    expect(reasonProblem('reason', '')).toBe('reason must not be empty');
    expect(reasonProblem('input.reason', 'r'.repeat(MAX_REASON_CHARS + 1))).toMatch(
      /^input\.reason is 501 characters long; at most 500 are allowed/,
    );
  });
});

describe('clipText', () => {
  it.each([
    ['short', 10, 'short'],
    ['x'.repeat(10), 10, 'x'.repeat(10)],
    ['abcdefghijk', 10, 'abcd…ghijk'],
    [
      `pg_restore exited with status 1: ${'progress '.repeat(100)}pg_restore: error: the cause`,
      60,
      expect.stringMatching(/^pg_restore exited.*….*pg_restore: error: the cause$/),
    ],
  ])('clips %s to at most %i characters', (text, max, expected) => {
    expect(clipText(text, max)).toEqual(expected);
    expect(clipText(text, max).length).toBeLessThanOrEqual(max);
  });

  it('caps error messages at 500 characters', () => {
    expect(MAX_ERROR_MESSAGE_CHARS).toBe(500);
  });
});
