import { describe, expect, it } from 'vitest';
describe('toolchain', () => {
  it('runs TypeScript tests on Node 20+', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
  });
});
