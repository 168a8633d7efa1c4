import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBundles, ROOT } from '../../bin/bundles.mjs';

describe('ensureBundles', () => {
  it('records the sources the CLI bundle was built from (not the packages), and does not rebuild an up-to-date bundle', async () => {
    // GIVEN the CLI bundle, built if a source changed
    const { cli } = await ensureBundles(['cli']);
    const builtAt = (await stat(cli)).mtimeMs;

    // WHEN it is asked for again
    await ensureBundles(['cli']);

    // THEN it was not compiled again, and its list of sources is what a start stats
    expect((await stat(cli)).mtimeMs).toBe(builtAt);
    expect(path.relative(ROOT, cli)).toBe(path.join('dist', 'pgproof.mjs'));
    const inputs = JSON.parse(await readFile(`${cli}.inputs.json`, 'utf8')) as string[];
    expect(inputs).toEqual(
      expect.arrayContaining([
        'bin/pgproof.ts',
        'bin/cli/program.ts',
        'bin/cli/commands/run.ts',
        'lib/local/local-run.ts',
      ]),
    );
    expect(inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
  });
});
