// The project promises a maintained Node (package.json "engines") and installs that Node itself (npm's "node"
// package), so `npm test` and `npx pgproof` run on it even where the machine's own node is older.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};
const major = (version: string): number => Number(/^\D*(\d+)/.exec(version)?.[1]);

describe('runtime', () => {
  it('is a Node release that package.json engines allow', () => {
    // GIVEN: the floor that engines promise (">=24")
    expect(pkg.engines.node).toMatch(/^>=\d+$/);
    // THEN
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(major(pkg.engines.node));
  });

  it('is the node binary package.json installs, not the machine one', () => {
    // GIVEN: npm's "node" package, pinned to one release inside the engines range
    const pinned = pkg.dependencies.node;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(major(pinned!)).toBeGreaterThanOrEqual(major(pkg.engines.node));
    // THEN: npm scripts put node_modules/.bin first on PATH, so the tests run on exactly that release
    expect(process.versions.node).toBe(pinned);
  });
});
