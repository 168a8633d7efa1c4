import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectTaggingCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ConnectionParams } from '../../containers/common/pg-connection';
import { createS3Client } from '../../containers/common/s3';
import { applyRetention, type RetentionPolicy } from '../../lib/common/retention';
import { EMBEDDED_S3_CREDENTIALS, startEmbeddedS3 } from '../../lib/local/embedded-s3';
import { createSourceDatabase } from '../helpers/fixtures';
import { lastJson, type PgproofRun, pgproof } from '../helpers/pgproof-process';
import { SOURCE_PASSWORD } from '../helpers/source-cluster';

/**
 * Retention end to end through `pgproof run --local`, `prune --local` and `restore --local`: real runs against the
 * shared source cluster, verification failing whenever the source holds more than 5 items (a check), and a policy
 * small enough that runs minutes apart must expire verified backups. Expectations come from the run records and the
 * bucket's keys through `applyRetention` itself, never from the prune command's code.
 */

/** Keeps the newest verified backup of today and the newest 3: within one day of runs, 3 verified backups. */
const POLICY: RetentionPolicy = {
  keepDaily: 1,
  keepWeekly: 0,
  keepMonthly: 0,
  keepYearly: 0,
  keepVerifiedMin: 3,
  // The smallest the policy allows: the failed runs of the last minutes are all still kept.
  unverifiedDays: 1,
};

/** `<prefix>/<db>/<date>/<runId><ending>` → the run id, read here from the key itself. */
const RUN_ID_OF = /\/(\d{8}T\d{6}Z-[0-9a-f]+)\.[a-z.]+$/;
const runIdOf = (key: string): string => {
  const m = RUN_ID_OF.exec(key);
  if (!m) throw new Error(`not a backup key: ${key}`);
  return m[1]!;
};
/** `20261201T162905Z-…` → 2026-12-01T16:29:05Z. */
const timeOf = (runId: string): Date =>
  new Date(runId.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-.*$/, '$1-$2-$3T$4:$5:$6Z'));

interface Run {
  readonly runId: string;
  readonly key: string;
  readonly verified: boolean;
  readonly n: number;
}

/** One source database with `items` (the check's table) and `log` (one row per run, to tell restored runs apart). */
async function retentionSource(prefix: string): Promise<ConnectionParams> {
  return createSourceDatabase(prefix, async (sql) => {
    await sql('create table items (id int primary key)');
    await sql('insert into items select generate_series(1, 5)');
    await sql('create table log (n int primary key)');
  });
}

async function query(conn: ConnectionParams, text: string): Promise<unknown[][]> {
  const client = await connect(conn);
  try {
    return (await client.query({ text, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await client.end();
  }
}

/** Every object key in the state dir's embedded S3 (the runs are not running: the server is ours alone). */
async function bucketKeys(stateDir: string): Promise<string[]> {
  const embedded = await startEmbeddedS3(stateDir);
  const s3 = createS3Client(
    { endpoint: embedded.endpoint },
    {
      accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  );
  try {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: embedded.bucket }));
    expect(out.IsTruncated).toBeFalsy();
    const keys = (out.Contents ?? []).map((o) => o.Key!);
    // Each run also writes the database's report and run log beside its backups: never tagged, never pruned
    const others = keys.filter((k) => !RUN_ID_OF.test(k));
    for (const k of others) expect(k).toMatch(/\/(report\.html|runs\.json)$/);
    return keys.filter((k) => RUN_ID_OF.test(k)).sort();
  } finally {
    s3.destroy();
    await embedded.stop();
  }
}

/** The `pgproof-retention` tag of each key (undefined: none), as the ApplyRetention step left it. */
async function retentionTags(stateDir: string, keys: readonly string[]): Promise<Map<string, string | undefined>> {
  const embedded = await startEmbeddedS3(stateDir);
  const s3 = createS3Client(
    { endpoint: embedded.endpoint },
    {
      accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  );
  try {
    const tags = new Map<string, string | undefined>();
    for (const key of keys) {
      const out = await s3.send(new GetObjectTaggingCommand({ Bucket: embedded.bucket, Key: key }));
      tags.set(key, out.TagSet?.find((t) => t.Key === 'pgproof-retention')?.Value);
    }
    return tags;
  } finally {
    s3.destroy();
    await embedded.stop();
  }
}

/** A scenario: one source database, one state dir, one configuration; `run(verified)` makes one local run. */
function scenario(name: string, retention: Record<string, unknown>) {
  const s = {
    dir: '',
    stateDir: '',
    config: '',
    source: undefined as unknown as ConnectionParams,
    runs: [] as Run[],
    async setUp() {
      s.dir = await mkdtemp(path.join(os.tmpdir(), `pgproof-${name}-`));
      s.stateDir = path.join(s.dir, 'state');
      s.config = path.join(s.dir, 'pgproof.config.json');
      s.source = await retentionSource(name);
      await writeFile(
        s.config,
        JSON.stringify({
          checks: [{ name: 'at most 5 items', sql: 'select count(*) from items', expect: { max: 5 } }],
          retention,
        }),
      );
    },
    /** One `run --local`: with a sixth item in the source its check fails, so the backup is made but not verified. */
    async run(verified: boolean): Promise<{ out: PgproofRun; json: Record<string, unknown>; run: Run }> {
      const n = s.runs.length + 1;
      await query(s.source, `insert into log values (${n})`);
      await query(
        s.source,
        verified ? 'delete from items where id > 5' : 'insert into items values (6) on conflict do nothing',
      );
      const c = s.source;
      const out = await pgproof(
        [
          'run',
          '--local',
          '--database-url',
          `postgres://${c.user}@${c.host}:${c.port}/${c.database}`,
          '--config',
          s.config,
          '--state-dir',
          s.stateDir,
          '--json',
        ],
        { env: { PGPASSWORD: SOURCE_PASSWORD } },
      );
      expect(out.code, out.stderr).toBe(verified ? 0 : 1);
      const json = lastJson(out);
      const [db] = json.databases as Array<{ status: string; backup?: { key: string }; error?: { state: string } }>;
      expect(db!.status).toBe(verified ? 'SUCCEEDED' : 'FAILED');
      if (!verified) expect(db!.error?.state).toBe('VerifyBackup');
      const key = db!.backup!.key;
      expect(runIdOf(key)).toBe(json.runId);
      const run = { runId: json.runId as string, key, verified, n };
      s.runs.push(run);
      return { out, json, run };
    },
    prune(...extra: string[]) {
      return pgproof(['prune', '--local', '--state-dir', s.stateDir, '--config', s.config, '--json', ...extra]);
    },
    async tearDown() {
      if (s.dir) await rm(s.dir, { recursive: true, force: true });
    },
  };
  return s;
}

describe('ten local runs, some failing verification, then prune --local', () => {
  const s = scenario('retention_ten', { ...POLICY });
  beforeAll(() => s.setUp());
  afterAll(() => s.tearDown());

  it('deletes exactly what the policy expires, every object of it, and restore --backup latest still works', {
    timeout: 400_000,
  }, async () => {
    // GIVEN ten runs: six verified, four failing their check (the last one too)
    const pattern = [true, true, false, true, false, true, true, false, true, false];
    for (const verified of pattern) await s.run(verified);
    const before = await bucketKeys(s.stateDir);
    // AND what the policy decides over the run records, now
    const now = new Date();
    const decisions = applyRetention(
      s.runs.map((r) => ({ key: r.key, createdAt: timeOf(r.runId), verified: r.verified })),
      POLICY,
      now,
    );
    const expectKept = decisions.filter((d) => !d.expired).map((d) => d.key);
    const expectExpired = new Set(decisions.filter((d) => d.expired).map((d) => runIdOf(d.key)));
    // (the three newest verified, and every failed run of the last day)
    const verifiedRuns = s.runs.filter((r) => r.verified);
    expect(expectExpired).toEqual(new Set(verifiedRuns.slice(0, 3).map((r) => r.runId)));
    expect(expectKept).toHaveLength(7);
    // AND the runs' own ApplyRetention step tagged every object as of the last verified run (the ninth): the same
    // decisions (the tenth, failed, is the only difference: no step ran after it, so its objects carry no tag)
    const tags = await retentionTags(s.stateDir, before);
    const last = s.runs.at(-1)!;
    for (const key of before) {
      const tag = tags.get(key);
      if (runIdOf(key) === last.runId) expect(tag, key).toBeUndefined();
      else if (expectExpired.has(runIdOf(key))) expect(tag, key).toBe('expired');
      else expect(tag, key).toMatch(/^(daily|min|unverified)(\+(daily|min|unverified))*$/);
    }

    // WHEN
    const out = await s.prune();
    // THEN prune kept and deleted exactly that
    expect(out.code, out.stderr).toBe(0);
    const plan = JSON.parse(out.stdout) as { deleted: string[]; kept: string[] };
    expect([...plan.kept].sort()).toEqual([...expectKept].sort());
    expect(new Set(plan.deleted.map(runIdOf))).toEqual(expectExpired);
    // AND the bucket holds exactly the kept backups' objects: every object of an expired run gone, nothing else
    const after = await bucketKeys(s.stateDir);
    expect([...plan.deleted].sort()).toEqual(before.filter((k) => expectExpired.has(runIdOf(k))));
    expect(after).toEqual(before.filter((k) => !expectExpired.has(runIdOf(k))));
    expect(new Set(after.map(runIdOf))).toEqual(new Set(expectKept.map(runIdOf)));
    // AND each kept backup is whole: its dump and manifest, and a verified marker exactly when it verified
    for (const r of s.runs.filter((r) => !expectExpired.has(r.runId))) {
      const stem = r.key.replace(/\.dump(\.zst)?$/, '');
      expect(after).toEqual(expect.arrayContaining([r.key, `${stem}.manifest.json`]));
      expect(after.includes(`${stem}.verified.json`)).toBe(r.verified);
    }

    // WHEN the latest verified backup is restored into a fresh database
    const target = await createSourceDatabase('retention_restored');
    const restore = await pgproof(
      [
        'restore',
        '--local',
        '--state-dir',
        s.stateDir,
        '--backup',
        'latest',
        '--database',
        s.source.database,
        '--target-url',
        `postgres://${target.user}@${target.host}:${target.port}/${target.database}`,
        '--json',
      ],
      { env: { PGPASSWORD: SOURCE_PASSWORD } },
    );
    // THEN it is the newest verified run's backup, with that run's data: 5 items, the log up to that run
    expect(restore.code, restore.stderr).toBe(0);
    const newest = verifiedRuns.at(-1)!;
    expect(lastJson(restore)).toMatchObject({ status: 'SUCCEEDED', key: newest.key, verified: true });
    expect(await query(target, 'select count(*)::int from items')).toEqual([[5]]);
    expect(await query(target, 'select max(n) from log')).toEqual([[newest.n]]);
  });
});

describe('retention.pruneLocal: run --local prunes after a verified run, never after a failed one', () => {
  const policy = { ...POLICY, keepVerifiedMin: 2 };
  const s = scenario('retention_auto', { ...policy, pruneLocal: true });
  beforeAll(() => s.setUp());
  afterAll(() => s.tearDown());

  it('keeps the newest verified backups through a run of failures, in the runs and in prune --local', {
    timeout: 300_000,
  }, async () => {
    const pruned = (json: Record<string, unknown>) =>
      (json.databases as Array<{ pruned?: { deleted: string[]; kept: string[] } }>)[0]!.pruned;
    // WHEN two verified runs: each prunes its database, and nothing has expired yet
    const one = await s.run(true);
    expect(pruned(one.json)).toEqual({ deleted: [], kept: [one.run.key] });
    expect(one.out.stderr).toMatch(new RegExp(`pruned ${s.source.database}: nothing expired; kept 1 backup\\b`));
    const two = await s.run(true);
    expect(pruned(two.json)).toEqual({ deleted: [], kept: [two.run.key, one.run.key] });
    // WHEN a third verified run
    const three = await s.run(true);
    // THEN it deleted every object of the first run (beyond keepVerifiedMin 2), and said so
    const p = pruned(three.json)!;
    expect(p.kept).toEqual([three.run.key, two.run.key]);
    expect(new Set(p.deleted.map(runIdOf))).toEqual(new Set([one.run.runId]));
    expect(p.deleted).toEqual(
      expect.arrayContaining([one.run.key, one.run.key.replace(/\.dump(\.zst)?$/, '.verified.json')]),
    );
    expect(three.out.stderr).toMatch(
      new RegExp(
        `pruned ${s.source.database}: deleted 1 expired backup \\(${p.deleted.length} objects: run ${one.run.runId}\\); kept 2 backups`,
      ),
    );
    const kept = await bucketKeys(s.stateDir);
    expect(new Set(kept.map(runIdOf))).toEqual(new Set([two.run.runId, three.run.runId]));

    // WHEN three runs in a row fail verification (more than keepVerifiedMin)
    for (let i = 0; i < 3; i++) {
      const failed = await s.run(false);
      // THEN none of them pruned: the failed database's result carries no `pruned`, and no object went away
      expect(pruned(failed.json)).toBeUndefined();
      expect(failed.out.stderr).not.toMatch(/pruned /);
      const now = await bucketKeys(s.stateDir);
      expect(now).toEqual(expect.arrayContaining(kept));
    }
    // WHEN prune --local after the failures
    const out = await s.prune();
    // THEN nothing verified is deleted: both verified backups stay, with their markers, and the failed runs stay too
    expect(out.code, out.stderr).toBe(0);
    const plan = JSON.parse(out.stdout) as { deleted: string[]; kept: string[] };
    expect(plan.deleted).toEqual([]);
    expect([...plan.kept].sort()).toEqual(
      s.runs
        .slice(1)
        .map((r) => r.key)
        .sort(),
    );
    const verified = (await bucketKeys(s.stateDir)).filter((k) => k.endsWith('.verified.json')).map(runIdOf);
    expect(verified.sort()).toEqual([two.run.runId, three.run.runId].sort());
    expect(verified.length).toBeGreaterThanOrEqual(policy.keepVerifiedMin);
  });

  it('refuses a bad retention.pruneLocal before the run, naming the field', async () => {
    const bad = path.join(s.dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ retention: { pruneLocal: 'yes' } }));
    const c = s.source;
    const out = await pgproof(
      [
        'run',
        '--local',
        '--database-url',
        `postgres://${c.user}@${c.host}:${c.port}/${c.database}`,
        '--config',
        bad,
        '--state-dir',
        s.stateDir,
      ],
      { env: { PGPASSWORD: SOURCE_PASSWORD } },
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/retention: pruneLocal: .*expected boolean/);
    expect(out.stderr + out.stdout).not.toContain(SOURCE_PASSWORD);
  });
});

describe('pgproof demo never prunes, whatever the configuration says', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-retention-demo-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps an older verified backup a pruning run --local would delete', { timeout: 300_000 }, async () => {
    // GIVEN demo runs of shop alone under a policy keeping only the newest verified backup, pruneLocal on
    const stateDir = path.join(dir, 'state');
    const config = path.join(dir, 'prune.json');
    await writeFile(
      config,
      JSON.stringify({ databases: ['shop'], retention: { keepVerifiedMin: 1, pruneLocal: true } }),
    );
    const first = await pgproof(['demo', '--state-dir', stateDir, '--config', config]);
    expect(first.code, first.stderr).toBe(0);
    // WHEN a second one
    const second = await pgproof(['demo', '--state-dir', stateDir, '--config', config, '--json']);
    // THEN it verified shop, pruned nothing and said nothing of pruning: both shop backups remain, verified
    expect(second.code, second.stderr).toBe(0);
    const json = lastJson(second);
    expect(json.databases).toEqual([expect.objectContaining({ database: 'shop', status: 'SUCCEEDED' })]);
    expect((json.databases as Array<Record<string, unknown>>)[0]).not.toHaveProperty('pruned');
    expect(second.stderr).not.toMatch(/pruned /);
    const markers = (await bucketKeys(stateDir)).filter((k) => /\/shop\/.*\.verified\.json$/.test(k));
    expect(markers).toHaveLength(2);
  });
});
