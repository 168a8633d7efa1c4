import type { Command } from 'commander';
import { say } from '../output';
import { addRunOptions, type RunFlags } from '../run-options';
import { applyWorkDir, removeLeftovers } from '../work-dirs';
import { ENGINE_ENV } from '../../../lib/contracts/engine-env';

/** `pgproof demo`: a throwaway sample database, backed up and proven on this machine. */
export function addDemoCommand(program: Command): void {
  addRunOptions(
    program
      .command('demo')
      .description('back up and prove a throwaway sample database with an embedded S3 server, on this machine'),
  ).action(async (flags: RunFlags) => {
    // Loaded here, not at start: `--help` and usage errors must not wait for the local runtime.
    const { runLocalCommand, validateRunFlags } = await import('../local-run-command');
    const { startDemoSource } = await import('../../../lib/local/demo-source');
    validateRunFlags(flags);
    applyWorkDir(flags);
    await removeLeftovers(process.env[ENGINE_ENV.workDir]);
    say('pgproof demo: starting a throwaway source database with sample data…');
    const source = await startDemoSource();
    try {
      // Two databases, each with its own checks: the run proves them side by side (a Map over the databases).
      process.exitCode = await runLocalCommand(flags, source.connection, {
        file: {
          name: 'demo',
          deepProof: true,
          databases: [
            {
              name: 'shop',
              checks: [{ name: 'customers exist', sql: 'select count(*) from shop.customers', expect: { min: 1 } }],
              freshness: [{ table: 'shop.customers', column: 'created_at', maxAgeHours: 26 }],
            },
            {
              name: 'blog',
              checks: [
                {
                  name: 'every comment has its post',
                  sql: 'select count(*) from comments c left join posts p on p.id = c.post_id where p.id is null',
                  expect: { max: 0 },
                },
              ],
            },
          ],
        },
        input: { reason: 'pgproof demo' },
        // The demo's state dir may hold the user's own local runs: a demo never deletes any of them.
        neverPrune: true,
      });
    } finally {
      await source.stop();
    }
  });
}
