import { describe, expect, it } from 'vitest';
import { selectDatabase } from '../../../containers/common/database-selection';
import { ConfigError } from '../../../lib/common/errors';
import { localFleet } from '../../../lib/local/local-fleet';

const check = (name: string) => ({ name, sql: 'select 1', expect: { min: 1 } });
/** What the engines make of the settings for one id (the server comes from the URL's libpq variables). */
const select = (config: unknown, id: string) =>
  selectDatabase({ PGPROOF_CONFIG: JSON.stringify(config), PGPROOF_DATABASE: id });

describe('localFleet', () => {
  it("keeps today's local run: one database, the URL's, with the plain engine configuration", () => {
    const fleet = localFleet({ file: { checks: [check('a')] }, urlDatabase: 'orders' });
    expect(fleet).toEqual({
      config: expect.objectContaining({ checks: [check('a')] }),
      ids: ['orders'],
      maxConcurrency: 4,
    });
    // A deployment file's single `database` does not change that: the URL names the database.
    const deployed = { database: { host: 'db', name: 'prod', passwordSecretName: 'x' } };
    expect(localFleet({ file: deployed, urlDatabase: 'orders' }).ids).toEqual(['orders']);
  });

  it("--databases lists the ids on the URL's server; the file's entries keep their names and checks", () => {
    // GIVEN a deployment file whose entries have their own servers and checks
    const file = {
      checks: [check('shared')],
      connection: { host: 'db1.example', passwordSecretName: 'pgproof/db1' },
      databases: ['orders', { id: 'eu-orders', name: 'orders_eu', host: 'db2.example', checks: [check('eu')] }],
    };
    // WHEN the flag picks two of them and a third
    const fleet = localFleet({ file, urlDatabase: 'ignored', databases: ['eu-orders', 'billing'], maxConcurrency: 2 });
    // THEN
    expect(fleet.ids).toEqual(['eu-orders', 'billing']);
    expect(fleet.maxConcurrency).toBe(2);
    const eu = select(fleet.config, 'eu-orders');
    expect(eu.selected).toMatchObject({ name: 'orders_eu', connection: {} });
    expect(eu.config.checks).toEqual([check('eu')]);
    expect(select(fleet.config, 'billing').config.checks).toEqual([check('shared')]);
    // No server or secret of the file travels: locally every database is on the URL's server.
    expect(JSON.stringify(fleet.config)).not.toMatch(/db1\.example|db2\.example|pgproof\/db1/);
  });

  it("takes the file's list and maxConcurrency when no flag is given", () => {
    const fleet = localFleet({ file: { databases: ['a', 'b'], maxConcurrency: 3 }, urlDatabase: 'x' });
    expect(fleet).toMatchObject({ ids: ['a', 'b'], maxConcurrency: 3 });
  });

  it('--databases all discovers, minus the exclude patterns, with databaseSettings', () => {
    const file = { databases: 'all', exclude: ['tmp_*'], databaseSettings: { billing: { checks: [check('b')] } } };
    const fromFile = localFleet({ file, urlDatabase: 'x' });
    expect(fromFile.ids).toBe('all');
    expect(select(fromFile.config, 'billing').config.checks).toEqual([check('b')]);
    expect(() => select(fromFile.config, 'tmp_1')).toThrow(/leaves out/);
    // Flags win over the file.
    const fromFlags = localFleet({ file: {}, urlDatabase: 'x', databases: 'all', exclude: ['old_*'] });
    expect(() => select(fromFlags.config, 'old_1')).toThrow(/leaves out/);
    expect(select(fromFlags.config, 'tmp_1').id).toBe('tmp_1');
  });

  it.each<[string, Parameters<typeof localFleet>[0], RegExp]>([
    ['an unsafe name', { urlDatabase: 'x', databases: ['a b'] }, /--databases: "a b" must be 1–63 letters/],
    ['a repeated name', { urlDatabase: 'x', databases: ['a', 'a'] }, /--databases names "a" twice/],
    ['an empty list', { urlDatabase: 'x', databases: [] }, /--databases must name at least one database/],
    [
      'more than 200 names',
      { urlDatabase: 'x', databases: Array.from({ length: 201 }, (_, i) => `d${i}`) },
      /--databases names 201 databases; at most 200/,
    ],
    [
      'exclusions without "all"',
      { urlDatabase: 'x', exclude: ['a*'] },
      /--exclude-databases applies only with --databases all/,
    ],
    [
      'maxConcurrency 0',
      { urlDatabase: 'x', maxConcurrency: 0 },
      /--max-concurrency must be a whole number from 1 to 40; got 0/,
    ],
    [
      'a bad file entry',
      { urlDatabase: 'x', file: { databases: [{ nam: 'a' }] } },
      /databases\.0: Unrecognized key: "nam"/,
    ],
    [
      'duplicate ids in the file',
      { urlDatabase: 'x', file: { databases: ['a', { name: 'a' }] } },
      /databases\.1\.id: duplicate id "a"/,
    ],
  ])('rejects %s', (_what, options, message) => {
    expect(() => localFleet(options)).toThrow(ConfigError);
    expect(() => localFleet(options)).toThrow(message);
  });

  it('fits 200 databases with a check each well inside the settings budget', () => {
    const databases = Array.from({ length: 200 }, (_, i) => `database_${i}`);
    const fleet = localFleet({ file: { checks: [check('rows')] }, urlDatabase: 'x', databases });
    expect(Buffer.byteLength(JSON.stringify(fleet.config))).toBeLessThan((48 * 1024) / 4);
  });
});
