import { describe, expect, it } from 'vitest';
import { globMatches, matchingPattern } from '../../../lib/common/name-glob';

describe('globMatches', () => {
  it.each([
    // literal: the whole name, case-sensitively
    ['orders', 'orders', true],
    ['orders', 'orders2', false],
    ['orders', 'my_orders', false],
    ['orders', 'Orders', false],
    ['', '', true],
    ['', 'a', false],
    // * : any run of characters, also none
    ['*', '', true],
    ['*', 'anything at all', true],
    ['scratch_*', 'scratch_', true],
    ['scratch_*', 'scratch_2026', true],
    ['scratch_*', 'Scratch_2026', false],
    ['scratch_*', 'my_scratch_2026', false],
    ['*_test', 'orders_test', true],
    ['*_test', 'orders_test2', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYcZ', false],
    ['**', 'x', true],
    ['a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
    // ? : exactly one character
    ['db?', 'db1', true],
    ['db?', 'db', false],
    ['db?', 'db12', false],
    ['??', 'ab', true],
    ['?', 'é', true],
    ['?', '😀', true],
    ['tenant_?*', 'tenant_', false],
    ['tenant_?*', 'tenant_a', true],
    // everything else is literal: regular-expression and bracket characters included
    ['a.b', 'a.b', true],
    ['a.b', 'aXb', false],
    ['[ab]', 'a', false],
    ['[ab]', '[ab]', true],
    ['a+', 'aa', false],
    ['a\\*', 'a\\xyz', true],
    ['^x$', '^x$', true],
    ['my db', 'my db', true],
    ['my db', 'my_db', false],
  ])('"%s" on "%s": %s', (pattern, name, expected) => {
    expect(globMatches(pattern, name)).toBe(expected);
  });
});

describe('matchingPattern', () => {
  it('returns the first pattern that matches, or undefined', () => {
    expect(matchingPattern(['tmp_*', '*_old', 'scratch'], 'orders_old')).toBe('*_old');
    expect(matchingPattern(['tmp_*', '*_old'], 'tmp_old')).toBe('tmp_*');
    expect(matchingPattern(['tmp_*', '*_old'], 'orders')).toBeUndefined();
    expect(matchingPattern([], 'orders')).toBeUndefined();
  });
});
