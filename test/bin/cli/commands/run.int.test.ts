import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionParams } from '../../../../containers/common/pg-connection';
import { createSampleDatabase } from '../../../../lib/local/sample-database';
import { startFakeHttpServer, type FakeHttpServer } from '../../../helpers/fake-http-server';
import { createSourceDatabase } from '../../../helpers/fixtures';
import { SOURCE_PASSWORD } from '../../../helpers/source-cluster';
import { lastJson, pgproof } from '../../../helpers/pgproof-process';

const url = (c: ConnectionParams) =>
  `postgres://${c.user}:${encodeURIComponent(c.password ?? '')}@${c.host}:${c.port}/${c.database}`;
const CHAT_TOKEN = 'T0CHAT/B0HOOK/chatSecretToken123';
const SNITCH_TOKEN = 'snitchSecretToken456';

describe('pgproof run --local', () => {
  let source: ConnectionParams;
  let http: FakeHttpServer;
  let dir: string;
  let chatUrl: string;
  let snitchUrl: string;

  beforeAll(async () => {
    source = await createSourceDatabase('cli_run', async (sql) => {
      await createSampleDatabase({ query: sql } as unknown as Parameters<typeof createSampleDatabase>[0], {
        rows: 400,
      });
    });
    http = await startFakeHttpServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-run-'));
    chatUrl = `${http.baseUrl}/services/${CHAT_TOKEN}`;
    snitchUrl = `${http.baseUrl}/ping/${SNITCH_TOKEN}`;
  });
  afterAll(async () => {
    await http.close();
    await rm(dir, { recursive: true, force: true });
  });

  const secretsIn = (text: string) =>
    [SOURCE_PASSWORD, CHAT_TOKEN, SNITCH_TOKEN, 'chatSecretToken123'].filter((s) => text.includes(s));

  it('runs the state machine: backup, verify, one chat post, one check-in, and the history shows it', async () => {
    // GIVEN
    const config = path.join(dir, 'ok.json');
    await writeFile(
      config,
      JSON.stringify({
        checks: [{ name: 'customers exist', sql: 'select count(*) from shop.customers', expect: { min: 1 } }],
        name: 'orders',
      }),
    );
    const stateDir = path.join(dir, 'state-ok');
    http.requests.length = 0;
    // WHEN
    const out = await pgproof([
      'run',
      '--local',
      '--database-url',
      url(source),
      '--config',
      config,
      '--state-dir',
      stateDir,
      '--chat-webhook',
      chatUrl,
      '--snitch-url',
      snitchUrl,
      '--input',
      '{"reason":"e2e"}',
      '--json',
    ]);
    // THEN
    expect(out.code).toBe(0);
    const result = lastJson(out);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      database: source.database,
      reason: 'e2e',
      chat: { posted: true },
      snitch: { checkedIn: true },
    });
    const [database] = result.databases as Array<Record<string, any>>;
    expect(result.databases).toHaveLength(1);
    expect(database).toMatchObject({ database: source.database, status: 'SUCCEEDED' });
    expect(database!.backup).toMatchObject({
      key: expect.stringMatching(new RegExp(`^pgproof/${source.database}/`)),
      bytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(database!.verify.restoreSeconds).toBeGreaterThan(0);
    expect(database!.verify.checks).toBeGreaterThanOrEqual(1);
    const chats = http.requests.filter((r) => r.url.startsWith('/services/'));
    const pings = http.requests.filter((r) => r.url.startsWith('/ping/'));
    expect(chats).toHaveLength(1);
    expect(pings).toHaveLength(1);
    expect(chats[0]!.body).toMatch(/Backup verified/);
    const history = await pgproof(['history', '--local', '--json', '--state-dir', stateDir]);
    expect(JSON.parse(history.stdout)).toEqual([expect.objectContaining({ runId: result.runId, status: 'SUCCEEDED' })]);
    expect(secretsIn(out.stdout + out.stderr + history.stdout)).toEqual([]);
  });

  it('fails a run whose user check fails: the chat says so, the snitch stays silent, exit 1', async () => {
    const config = path.join(dir, 'failing.json');
    await writeFile(
      config,
      JSON.stringify({
        checks: [{ name: 'at most ten customers', sql: 'select count(*) from shop.customers', expect: { max: 10 } }],
      }),
    );
    http.requests.length = 0;
    const out = await pgproof([
      'run',
      '--local',
      '--database-url',
      url(source),
      '--config',
      config,
      '--state-dir',
      path.join(dir, 'state-fail'),
      '--chat-webhook',
      chatUrl,
      '--snitch-url',
      snitchUrl,
      '--json',
    ]);
    expect(out.code).toBe(1);
    const result = lastJson(out);
    expect(result).toMatchObject({
      status: 'FAILED',
      error: {
        state: 'VerifyBackup',
        name: 'VerificationFailed',
        message: expect.stringMatching(/at most ten customers: 400 \(expected <= 10\)/),
      },
    });
    const chats = http.requests.filter((r) => r.url.startsWith('/services/'));
    expect(chats).toHaveLength(1);
    expect(chats[0]!.body).toMatch(/VerifyBackup/);
    expect(http.requests.filter((r) => r.url.startsWith('/ping/'))).toEqual([]);
    expect(secretsIn(out.stdout + out.stderr)).toEqual([]);
  });

  it('exits 2 naming the file or the field on a missing or invalid configuration, and on bad flags', async () => {
    const missing = await pgproof([
      'run',
      '--local',
      '--database-url',
      url(source),
      '--config',
      path.join(dir, 'nope.json'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the configuration file .*nope\.json: no such file/);
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ sizeGuard: { maxShrink: 3 } }));
    const invalid = await pgproof(['run', '--local', '--database-url', url(source), '--config', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/bad\.json: sizeGuard\.maxShrink/);
    const typo = path.join(dir, 'typo.json');
    await writeFile(typo, JSON.stringify({ checkz: [] }));
    const unknown = await pgproof(['run', '--local', '--database-url', url(source), '--config', typo]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/typo\.json: checkz: unknown field/);
    expect((await pgproof(['run', '--database-url', url(source)])).code).toBe(2);
    expect((await pgproof(['run', '--local', '--bogus'])).code).toBe(2);
    const url2 = await pgproof(['run', '--local', '--database-url', 'mysql://x']);
    expect(url2.code).toBe(2);
    expect(url2.stderr).toMatch(/must start with postgres:\/\//);
  });

  it('rejects an unknown manual-input field in ValidateInput, before any backup', async () => {
    http.requests.length = 0;
    const out = await pgproof([
      'run',
      '--local',
      '--database-url',
      url(source),
      '--state-dir',
      path.join(dir, 'state-input'),
      '--input',
      '{"reasn":"typo"}',
      '--chat-webhook',
      chatUrl,
      '--json',
    ]);
    expect(out.code).toBe(1);
    expect(lastJson(out)).toMatchObject({
      status: 'FAILED',
      error: { state: 'ValidateInput', name: 'InvalidInput', message: expect.stringMatching(/reasn/) },
    });
    expect(lastJson(out).databases).toBeUndefined();
    expect(http.requests.filter((r) => r.url.startsWith('/services/'))).toHaveLength(1);
  });

  it('stops cleanly on Ctrl-C: exit 130, no throwaway cluster or child left behind', async () => {
    const big = await createSourceDatabase('cli_sigint', async (sql) => {
      await sql('create table big as select i, md5(i::text) as h from generate_series(1, 300000) i');
      await sql('create index big_h on big (h)');
    });
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'pgproof-sigint-'));
    let sent = false;
    const out = await pgproof(
      ['run', '--local', '--database-url', url(big), '--state-dir', path.join(dir, 'state-sigint')],
      {
        env: { TMPDIR: tmp },
        onStderr: (text, pid) => {
          if (!sent && text.includes('VerifyBackup')) {
            sent = true;
            setTimeout(() => process.kill(pid, 'SIGINT'), 300);
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(out.code).toBe(130);
    expect(out.stderr).toMatch(/SIGINT: stopping the run/);
    expect((await readdir(tmp)).filter((f) => f.startsWith('pgproof-'))).toEqual([]);
    expect(spawnSync('pgrep', ['-f', tmp], { encoding: 'utf8' }).stdout.trim()).toBe('');
    await rm(tmp, { recursive: true, force: true });
  });
});
