import { describe, expect, it } from 'vitest';
import { MAX_DATABASES } from '../../../lib/common/rules';
import { assertSelectionSize, CONNECTABLE_DATABASES_SQL, selectDatabases } from '../../../containers/discover/discover';

const SERVER = { host: 'db1.example', port: 5433, user: 'pgproof_backup' };

/** What `fn` throws, as name and message. */
function failure(fn: () => unknown): { name: string; message: string } {
  try {
    fn();
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected a failure');
}

describe('selectDatabases', () => {
  it('drops the names matching any exclude pattern and sorts the rest by name', () => {
    // GIVEN the server's databases in catalog order
    const names = ['orders', 'scratch_1', 'billing', 'postgres', 'tmp', 'Orders_old', 'orders_old'];
    // WHEN
    const selection = selectDatabases(names, ['scratch_*', '*_old', 'tm?']);
    // THEN
    expect(selection.selected).toEqual(['billing', 'orders', 'postgres']);
    expect(selection.excluded).toEqual([
      { database: 'Orders_old', pattern: '*_old' },
      { database: 'orders_old', pattern: '*_old' },
      { database: 'scratch_1', pattern: 'scratch_*' },
      { database: 'tmp', pattern: 'tm?' },
    ]);
  });

  it('keeps everything, sorted, without patterns; a pattern matches whole names only and case-sensitively', () => {
    expect(selectDatabases(['b', 'a', 'C'], []).selected).toEqual(['C', 'a', 'b']);
    expect(selectDatabases(['orders', 'orders2', 'my_orders', 'Orders'], ['orders']).selected).toEqual([
      'Orders',
      'my_orders',
      'orders2',
    ]);
  });

  it('sorts by code point, not by locale, so every runtime gives the same order', () => {
    expect(selectDatabases(['é', 'z', 'Z', 'a', '_'], []).selected).toEqual(['Z', '_', 'a', 'z', 'é']);
  });
});

describe('assertSelectionSize', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `db_${String(i).padStart(3, '0')}`);

  it(`accepts 1 to ${MAX_DATABASES} databases`, () => {
    expect(() => assertSelectionSize(selectDatabases(['a'], []), SERVER, [])).not.toThrow();
    expect(() => assertSelectionSize(selectDatabases(names(MAX_DATABASES), []), SERVER, [])).not.toThrow();
  });

  it('fails with TooManyDatabases above the cap, naming the count, the server and the way out', () => {
    // WHEN
    const error = failure(() => assertSelectionSize(selectDatabases(names(205), ['tmp_*']), SERVER, ['tmp_*']));
    // THEN
    expect(error.name).toBe('TooManyDatabases');
    expect(error.message).toContain('205 databases to back up on db1.example:5433');
    expect(error.message).toContain(`more than the ${MAX_DATABASES}`);
    expect(error.message).toContain('"tmp_*"');
    expect(error.message).toMatch(/add exclude patterns .* or split the databases across several stacks/);
  });

  it('counts after exclusion: 205 databases of which 5 are excluded pass', () => {
    const all = names(205);
    const selection = selectDatabases(all, ['db_20?']);
    expect(selection.selected).toHaveLength(MAX_DATABASES);
    expect(() => assertSelectionSize(selection, SERVER, ['db_20?'])).not.toThrow();
  });

  it('fails with NoDatabasesFound when the server has none this role can connect to, naming server and user', () => {
    const error = failure(() => assertSelectionSize(selectDatabases([], []), SERVER, []));
    expect(error.name).toBe('NoDatabasesFound');
    expect(error.message).toContain('no database on db1.example:5433');
    expect(error.message).toContain('user "pgproof_backup"');
    expect(error.message).toContain('exclude patterns: none');
    expect(error.message).toMatch(/grant CONNECT/);
  });

  it('fails with NoDatabasesFound when every database is excluded, naming the patterns and what they left out', () => {
    const exclude = ['*'];
    const error = failure(() => assertSelectionSize(selectDatabases(['orders', 'postgres'], exclude), SERVER, exclude));
    expect(error.name).toBe('NoDatabasesFound');
    expect(error.message).toContain('every database on db1.example:5433');
    expect(error.message).toContain('"*" left out "orders", "postgres"');
    expect(error.message).toMatch(/narrow the exclude patterns/);
  });

  it('names at most ten excluded databases, so the message stays under the 500-character cap', () => {
    const error = failure(() => assertSelectionSize(selectDatabases(names(150), ['db_*']), SERVER, ['db_*']));
    expect(error.message).toContain('and 140 more');
    expect(error.message.length).toBeLessThan(500);
  });
});

describe('CONNECTABLE_DATABASES_SQL', () => {
  it('asks for connectable, non-template databases this role may CONNECT to', () => {
    const sql = CONNECTABLE_DATABASES_SQL.replace(/\s+/g, ' ');
    expect(sql).toBe(
      "select datname from pg_database where datallowconn and not datistemplate and has_database_privilege(datname, 'CONNECT')",
    );
  });
});
