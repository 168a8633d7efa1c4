import { describe, expect, it } from 'vitest';
import { parseDatabaseList, validateRunFlags } from '../../../bin/cli/local-run-command';
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
