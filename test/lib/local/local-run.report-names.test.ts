import { describe, expect, it } from 'vitest';
import { parseEngineConfig } from '../../../containers/common/engine-config';
import { databaseNamesOf } from '../../../lib/local/local-run';

describe('the database names the local WriteReport binding gets', () => {
  it("maps only a fleet's ids that differ from their names; a plain configuration has none", () => {
    expect(
      databaseNamesOf({
        defaults: {},
        databases: { 'shop-eu': { name: 'shop' }, blog: { name: 'blog' } },
      }),
    ).toEqual({ 'shop-eu': 'shop' });
    expect(databaseNamesOf(parseEngineConfig({}))).toEqual({});
  });
});
