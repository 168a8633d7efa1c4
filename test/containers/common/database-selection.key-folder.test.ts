import { describe, expect, it } from 'vitest';
import { selectDatabase } from '../../../containers/common/database-selection';
import { ConfigError } from '../../../containers/common/errors';
import type { FleetSettings } from '../../../lib/contracts/fleet-settings';

// A re-verification's item names its database by the backup key's folder: keySegment(name), not the id.
const check = (name: string) => ({ name, sql: 'select 1', expect: { min: 1 } });
const LISTED: FleetSettings = {
  defaults: { checks: [check('shared')] },
  databases: {
    orders: { name: 'orders', checks: [check('orders')] },
    billing: { name: 'billing db', checks: [check('invoices')] },
    eu: { name: 'eu-orders', checks: [check('eu')] },
  },
};
const env = (settings: unknown, database?: string) => ({
  PGPROOF_CONFIG: JSON.stringify(settings),
  ...(database === undefined ? {} : { PGPROOF_DATABASE: database }),
});
const checksOf = (settings: unknown, database: string) =>
  selectDatabase(env(settings, database), { orKeyFolder: true }).config.checks.map((c) => c.name);

describe('selectDatabase with orKeyFolder', () => {
  it('takes the id when it is one, else the database whose name makes the folder', () => {
    expect(checksOf(LISTED, 'orders')).toEqual(['orders']);
    expect(checksOf(LISTED, 'billing_db')).toEqual(['invoices']);
    expect(checksOf(LISTED, 'eu-orders')).toEqual(['eu']);
    expect(selectDatabase(env(LISTED, 'billing_db'), { orKeyFolder: true }).id).toBe('billing');
  });

  it('refuses a folder no configured name makes, saying where the database came from', () => {
    expect(() => checksOf(LISTED, 'nope')).toThrow(ConfigError);
    expect(() => checksOf(LISTED, 'nope')).toThrow(/backup key's folder \("nope"\).*pgproof backups/);
    // Without the option, a folder is not an id (the scheduled run's items always give ids)
    expect(() => selectDatabase(env(LISTED, 'billing_db'))).toThrow(/not a database of this configuration/);
  });

  it('refuses a folder several names make: their backups cannot be told apart', () => {
    const settings = { ...LISTED, databases: { a: { name: 'my db' }, b: { name: 'my/db' } } };
    expect(() => checksOf(settings, 'my_db')).toThrow(/several configured databases \("a", "b"\)/);
  });

  it('in a discovering fleet, finds the settings of a name the folder stands for, else takes the folder as the name', () => {
    const all: FleetSettings = {
      defaults: { checks: [check('shared')] },
      databases: {},
      exclude: ['tmp_*'],
      databaseSettings: { 'sales db': { checks: [check('sales')] }, crm: { checks: [check('crm')] } },
    };
    expect(checksOf(all, 'sales_db')).toEqual(['sales']);
    expect(checksOf(all, 'crm')).toEqual(['crm']);
    expect(checksOf(all, 'other')).toEqual(['shared']);
    expect(() => checksOf(all, 'tmp_1')).toThrow(/exclude/);
  });

  it('leaves a plain configuration (one database) as it is, whatever the folder', () => {
    expect(checksOf({ checks: [check('one')] }, 'any_folder')).toEqual(['one']);
  });
});
