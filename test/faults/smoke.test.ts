import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, everyOutput, expectBaselineIntact, runPgproof, secretsIn, type FaultWorld } from './harness';

describe('fault harness', () => {
  let world: FaultWorld;
  beforeAll(async () => {
    world = await createWorld('harness');
  });
  afterAll(() => world.close());

  it('makes a verified baseline through the proxy, with one chat post and one check-in per good run, and no secret anywhere', async () => {
    const run = await runPgproof(world);
    expect(run.code).toBe(0);
    expect(run.chatRequests).toHaveLength(1);
    expect(run.snitchRequests).toHaveLength(1);
    await expectBaselineIntact(world);
    expect(secretsIn(await everyOutput(world, run))).toEqual([]);
  });
});
