import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAT_TOKEN,
  createWorld,
  everyOutput,
  expectBaselineIntact,
  runPgproof,
  secretsIn,
  SNITCH_TOKEN,
  type FaultWorld,
} from './harness';
import { SOURCE_PASSWORD } from '../helpers/source-cluster';

describe('secret hygiene of full runs', () => {
  let world: FaultWorld;
  beforeAll(async () => {
    world = await createWorld('secrets');
  });
  afterAll(() => world.close());

  it('a full success run (chat posted, snitch checked in) shows no password, webhook or snitch token in any output', async () => {
    const run = await runPgproof(world);
    expect(run.code).toBe(0);
    expect(run.chatRequests).toHaveLength(1);
    expect(run.snitchRequests).toHaveLength(1);
    // The snitch was really called with its token (so the scan below could have found it, had it leaked).
    expect(run.snitchRequests[0]!.url).toContain(SNITCH_TOKEN);
    await expectBaselineIntact(world);
    const text = await everyOutput(world, run);
    expect(text).toMatch(/"status":"SUCCEEDED"/);
    expect(secretsIn(text)).toEqual([]);
  });

  it('a full failure run shows none either, in stdout, stderr, history, execution log, chat message or manifests', async () => {
    const config = path.join(world.dir, 'failing.json');
    await writeFile(
      config,
      JSON.stringify({
        checks: [{ name: 'impossible', sql: 'select count(*) from shop.customers', expect: { max: 0 } }],
      }),
    );
    const run = await runPgproof(world, { args: ['--config', config] });
    expect(run.code).toBe(1);
    expect(run.chatRequests).toHaveLength(1);
    expect(run.snitchRequests).toEqual([]);
    expect(secretsIn(await everyOutput(world, run))).toEqual([]);
  });

  it('the scan finds a secret that did leak (it is not vacuous)', async () => {
    const run = await runPgproof(world);
    const leaked = { ...run, stderr: `${run.stderr}\nconnecting with ${SOURCE_PASSWORD} to ${world.chatUrl}` };
    expect(secretsIn(await everyOutput(world, leaked))).toEqual(expect.arrayContaining([SOURCE_PASSWORD, CHAT_TOKEN]));
  });
});
