import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { shortSummary } from '../../../lambdas/snitch-checkin/check-in-summary';
import { createSnitchCheckInHandler } from '../../../lambdas/snitch-checkin/handler';
import { checkInRefusal } from '../../../lambdas/snitch-checkin/snitch-checkin';
import { captureOutput } from '../../helpers/capture-output';
import { startFakeHttpServer, type FakeHttpServer } from '../../helpers/fake-http-server';
import { failedOutcome, fleetRun, verifiedOutcome, withOneOutcome } from '../../helpers/outcome-runs';
import { failedRun, succeededRun, thrown } from '../../helpers/runs';

const TOKEN = 'c2354d53d2SnitchToken77';
const http = { policy: { maxAttempts: 2, timeoutMs: 300, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 1_500 } };
const dumpFailed = { state: 'BackupDatabase', name: 'DumpFailed', message: 'secret-looking text' };
const REFUSAL_END =
  ", and the dead-man's switch must only hear about fully successful runs so that it alerts on failures";

describe('checkInRefusal', () => {
  it('allows a verified run, with or without outcomes', () => {
    expect(checkInRefusal(parseRunResult(succeededRun()))).toBeUndefined();
    expect(checkInRefusal(parseRunResult(withOneOutcome(succeededRun())))).toBeUndefined();
    expect(checkInRefusal(parseRunResult(fleetRun([verifiedOutcome('a'), verifiedOutcome('b')])))).toBeUndefined();
  });

  it("refuses a run whose status is not SUCCEEDED, in today's words", () => {
    expect(checkInRefusal(parseRunResult(failedRun()))).toBe(
      `refusing to check in for app (run 20261124T030000Z-fedcba9876): its status is FAILED${REFUSAL_END}`,
    );
    expect(
      checkInRefusal(parseRunResult(fleetRun([verifiedOutcome('a'), verifiedOutcome('b')], { status: 'FAILED' }))),
    ).toBe(`refusing to check in for prod (run 20261124T030000Z-0123456789): its status is FAILED${REFUSAL_END}`);
  });

  it('refuses a run marked SUCCEEDED when any outcome failed, naming the first five failed ids, not their errors', () => {
    const outcomes = [
      verifiedOutcome('ok'),
      ...Array.from({ length: 7 }, (_, i) => failedOutcome(`db${i}`, dumpFailed)),
    ];

    const refusal = checkInRefusal(parseRunResult(fleetRun(outcomes, { status: 'SUCCEEDED' })));

    expect(refusal).toBe(
      `refusing to check in for prod (run 20261124T030000Z-0123456789): 7 of 8 databases failed (db0, db1, db2, db3, db4, …)${REFUSAL_END}`,
    );
    expect(refusal).not.toContain('secret-looking');
  });

  it('refuses a run that proved no database', () => {
    expect(checkInRefusal(parseRunResult(fleetRun([], { status: 'SUCCEEDED' })))).toBe(
      `refusing to check in for prod (run 20261124T030000Z-0123456789): it proved no database${REFUSAL_END}`,
    );
  });
});

describe('snitch-checkin handler, runs with outcomes', () => {
  let server: FakeHttpServer;
  let logs: ReturnType<typeof captureOutput>;
  beforeEach(async () => {
    server = await startFakeHttpServer();
    logs = captureOutput();
  });
  afterEach(async () => {
    logs.restore();
    await server.close();
  });

  it('refuses a fleet with a failed database before reading the secret or sending anything', async () => {
    const secrets = { getSecretString: vi.fn(async () => `${server.baseUrl}/${TOKEN}`) };
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL_SECRET_NAME: 'pgproof/snitch' }, secrets, http });
    const event = fleetRun([verifiedOutcome('a'), failedOutcome('b', dumpFailed)], { status: 'SUCCEEDED' });

    const error = await thrown(() => handle(event));

    expect(error.name).toBe('CheckInRefused');
    expect(error.message).toMatch(/^refusing to check in for prod \(run .*\): 1 of 2 databases failed \(b\)/);
    expect(secrets.getSecretString).not.toHaveBeenCalled();
    expect(server.requests).toHaveLength(0);
    expect(logs.lines().find((l) => l.message === 'snitch check-in failed')).toMatchObject({
      database: 'prod',
      status: 'SUCCEEDED',
      databases: 2,
      failed: 1,
      error: { name: 'CheckInRefused' },
    });
  });

  it('checks in once for an all-verified fleet, with the summed summary, logging the counts', async () => {
    const handle = createSnitchCheckInHandler({
      env: { SNITCH_URL: `${server.baseUrl}/${TOKEN}`, SNITCH_KIND: 'deadmanssnitch' },
      http,
    });
    const event = fleetRun([verifiedOutcome('a'), verifiedOutcome('b', { isNew: true })]);

    const output = await handle(event);

    const summary = shortSummary(parseRunResult(event));
    expect(summary).toMatch(/^pgproof prod: 2 databases verified, 200 MiB, /);
    expect(server.requests).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(server.requests[0]?.body))).toEqual({ m: summary, s: '0' });
    expect(output).toMatchObject({ checkedIn: true, kind: 'deadmanssnitch', summary });
    expect(logs.lines().find((l) => l.message === "checked in with the dead-man's switch")).toMatchObject({
      database: 'prod',
      status: 'SUCCEEDED',
      databases: 2,
      verified: 2,
      failed: 0,
    });
    expect(logs.text()).not.toContain(TOKEN);
  });

  it('fails with SnitchCheckInFailed naming the label and count, never the URL', async () => {
    server.script({ status: 404, body: `unknown /${TOKEN}` });
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL: `${server.baseUrl}/${TOKEN}` }, http });

    const error = await thrown(() => handle(fleetRun([verifiedOutcome('a'), verifiedOutcome('b')])));

    expect(error.name).toBe('SnitchCheckInFailed');
    expect(error.message).toMatch(
      /^checking in with the generic dead-man's switch for prod \(run 20261124T030000Z-0123456789: 2 databases verified\) failed: HTTP 404/,
    );
    expect(error.message).not.toContain(TOKEN);
  });
});
