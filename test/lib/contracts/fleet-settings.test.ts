import { describe, expect, it } from 'vitest';
import {
  globToRegExp,
  isExcluded,
  isFleetSettings,
  mergeEngine,
  overlayFields,
} from '../../../lib/contracts/fleet-settings';

describe('fleet settings contract', () => {
  it('tells the keyed form from a plain engine configuration', () => {
    expect(isFleetSettings({ defaults: {}, databases: {} })).toBe(true);
    expect(isFleetSettings({ checks: [], sizeGuard: { maxShrink: 0.5 } })).toBe(false);
    expect(isFleetSettings(null)).toBe(false);
  });

  it('lays fields over the shared ones one by one, and a group whole', () => {
    const shared = { host: 'db1', user: 'u', secret: 's1', key: 'k1' };
    expect(overlayFields<Partial<typeof shared>>(shared, { host: 'db2' }, [['secret', 'key']])).toEqual({
      ...shared,
      host: 'db2',
    });
    // A database naming its own secret does not keep the shared secret's key.
    expect(overlayFields<Partial<typeof shared>>(shared, { secret: 's2' }, [['secret', 'key']])).toEqual({
      host: 'db1',
      user: 'u',
      secret: 's2',
    });
    expect(overlayFields(undefined, { host: 'x' })).toEqual({ host: 'x' });
  });

  it("replaces the defaults' engine fields with a database's own, ignoring anything else in its entry", () => {
    const defaults = { checks: ['a'], compression: { method: 'none' } };
    expect(mergeEngine(defaults, { checks: [] })).toEqual({ checks: [], compression: { method: 'none' } });
    expect(mergeEngine(defaults, { name: 'x', connection: {} } as never)).toEqual(defaults);
  });

  it.each([
    ['tmp_*', 'tmp_2026', true],
    ['tmp_*', 'xtmp_1', false],
    ['db?', 'db1', true],
    ['db?', 'db10', false],
    ['a.b', 'aXb', false],
    ['rdsadmin', 'rdsadmin', true],
    ['(x)+', '(x)+', true],
  ])('glob %s on %s: %s', (pattern, name, matches) => {
    expect(globToRegExp(pattern).test(name)).toBe(matches);
    expect(isExcluded(name, ['nothing', pattern])).toBe(matches);
  });
});
