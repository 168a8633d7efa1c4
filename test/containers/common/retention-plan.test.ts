import { describe, expect, it } from 'vitest';
import { prunePlan } from '../../../bin/cli/prune-plan';
import type { BackupCatalog, CatalogBackup, IncompleteRun } from '../../../containers/common/backup-catalog';
import { retentionMarks, retentionPlan, retentionTagValue, runIdTime } from '../../../containers/common/retention-plan';
import type { RetentionPolicy } from '../../../lib/common/retention';

const NOW = new Date('2026-12-01T04:00:00Z');
const policy: RetentionPolicy = {
  keepDaily: 2,
  keepWeekly: 0,
  keepMonthly: 0,
  keepYearly: 0,
  keepVerifiedMin: 1,
  unverifiedDays: 7,
};

const dayOfRun = (runId: string) => `${runId.slice(0, 4)}-${runId.slice(4, 6)}-${runId.slice(6, 8)}`;
const base = (folder: string, runId: string) => `pgproof/${folder}/${dayOfRun(runId)}/${runId}`;

/** A catalog backup with the fields the plan reads; `roles` adds the role-definitions sidecar. */
function backup(runId: string, verified: boolean, options: { database?: string; roles?: boolean } = {}): CatalogBackup {
  const database = options.database ?? 'shop';
  const stem = base(database.replace(/[^A-Za-z0-9._-]/g, '_'), runId);
  return {
    runId,
    database,
    date: dayOfRun(runId),
    dumpKey: `${stem}.dump.zst`,
    manifestKey: `${stem}.manifest.json`,
    ...(verified ? { verifiedKey: `${stem}.verified.json` } : {}),
    sidecarKeys: options.roles ? [`${stem}.roles.sql`] : [],
    totalBytes: 100,
    verified: verified ? { restoreSeconds: 3 } : undefined,
  } as unknown as CatalogBackup;
}

function incomplete(runId: string, endings: string[]): IncompleteRun {
  return {
    runId,
    folder: 'shop',
    date: dayOfRun(runId),
    keys: endings.map((e) => `${base('shop', runId)}${e}`),
    totalBytes: 10,
    reason: 'no manifest (the run did not complete)',
  };
}

const A = '20261201T030000Z-aaaaaaaaaa'; // verified, newest: daily + min
const B = '20261130T030000Z-bbbbbbbbbb'; // verified: daily
const C = '20261129T030000Z-cccccccccc'; // verified, third day: expired
const D = '20261128T030000Z-dddddddddd'; // never verified, 3 days old: unverified
const E = '20261110T030000Z-eeeeeeeeee'; // never verified, 21 days old: expired
const F = '20261130T050000Z-ffffffffff'; // a run that died before its manifest, 1 day old: unverified
const G = '20261101T030000Z-0000000000'; // a run that died, a month old: expired

const catalog: BackupCatalog = {
  backups: [backup(A, true, { roles: true }), backup(B, true), backup(C, true), backup(D, false), backup(E, false)],
  incomplete: [incomplete(F, ['.dump.zst']), incomplete(G, ['.dump.zst', '.roles.sql'])],
  foreign: [{ key: 'pgproof/shop/notes.txt', bytes: 5, lastModified: undefined }],
};

describe('retentionPlan', () => {
  it('lists every backup, then every incomplete run, each with all its objects and its decision', () => {
    const plan = retentionPlan(catalog, policy, NOW);
    expect(plan.map((b) => [b.key, b.keptBy, b.expired])).toEqual([
      [`${base('shop', A)}.dump.zst`, ['daily', 'min'], false],
      [`${base('shop', B)}.dump.zst`, ['daily'], false],
      [`${base('shop', C)}.dump.zst`, [], true],
      [`${base('shop', D)}.dump.zst`, ['unverified'], false],
      [`${base('shop', E)}.dump.zst`, [], true],
      [`${base('shop', F)}.dump.zst`, ['unverified'], false],
      [`${base('shop', G)}.dump.zst`, [], true],
    ]);
    expect(plan[0]!.objects).toEqual([
      `${base('shop', A)}.dump.zst`,
      `${base('shop', A)}.manifest.json`,
      `${base('shop', A)}.verified.json`,
      `${base('shop', A)}.roles.sql`,
    ]);
    expect(plan[3]!.objects).toEqual([`${base('shop', D)}.dump.zst`, `${base('shop', D)}.manifest.json`]);
    expect(plan[6]!.objects).toEqual([`${base('shop', G)}.dump.zst`, `${base('shop', G)}.roles.sql`]);
    expect(plan[0]!.createdAt).toEqual(runIdTime(A));
    expect(plan[3]!.expiresAt).toEqual(new Date('2026-12-05T03:00:00Z'));
  });

  it('is what prune deletes: exactly the objects of the expired entries', () => {
    const expired = retentionPlan(catalog, policy, NOW)
      .filter((b) => b.expired)
      .flatMap((b) => b.objects);
    expect(prunePlan(catalog, policy, NOW).deleted).toEqual(expired);
  });

  it('decides each database of a shared key folder on its own', () => {
    // "my db" and "my_db" share the folder my_db; each keeps its own newest verified backup.
    const shared: BackupCatalog = {
      backups: [
        backup(A, true, { database: 'my db' }),
        backup('20261201T020000Z-1111111111', true, { database: 'my_db' }),
      ],
      incomplete: [],
      foreign: [],
    };
    const plan = retentionPlan(shared, { ...policy, keepDaily: 1 }, NOW);
    expect(plan.map((b) => [b.database, b.keptBy])).toEqual([
      ['my db', ['daily', 'min']],
      ['my_db', ['daily', 'min']],
    ]);
  });
});

describe('retentionMarks', () => {
  const marks = retentionMarks(retentionPlan(catalog, policy, NOW), policy, NOW);
  const byKey = new Map(marks.map((m) => [m.key, m]));

  it('marks every object of every backup and incomplete run, and never a foreign object', () => {
    const everyObject = [
      ...catalog.backups.flatMap((b) => [
        b.dumpKey,
        b.manifestKey,
        ...(b.verifiedKey ? [b.verifiedKey] : []),
        ...b.sidecarKeys,
      ]),
      ...catalog.incomplete.flatMap((r) => r.keys),
    ];
    expect(marks.map((m) => m.key).sort()).toEqual(everyObject.sort());
    expect(byKey.has('pgproof/shop/notes.txt')).toBe(false);
  });

  it("tags each object with its backup's rules joined by +, or expired", () => {
    const tagOf = (runId: string, ending: string) => byKey.get(`${base('shop', runId)}${ending}`)?.tag;
    expect(tagOf(A, '.dump.zst')).toBe('daily+min');
    expect(tagOf(A, '.roles.sql')).toBe('daily+min');
    expect(tagOf(B, '.verified.json')).toBe('daily');
    expect(tagOf(C, '.manifest.json')).toBe('expired');
    expect(tagOf(D, '.manifest.json')).toBe('unverified');
    expect(tagOf(E, '.dump.zst')).toBe('expired');
    expect(tagOf(F, '.dump.zst')).toBe('unverified');
    expect(tagOf(G, '.roles.sql')).toBe('expired');
    expect(byKey.get(`${base('shop', A)}.manifest.json`)?.backupKey).toBe(`${base('shop', A)}.dump.zst`);
  });

  it('locks only the objects of kept verified backups, until their rules end', () => {
    const lockOf = (runId: string, ending: string) => byKey.get(`${base('shop', runId)}${ending}`)?.lockUntil;
    // daily with keepDaily 2: two days after the run
    for (const ending of ['.dump.zst', '.manifest.json', '.verified.json', '.roles.sql'])
      expect(lockOf(A, ending)).toEqual(new Date('2026-12-03T03:00:00Z'));
    expect(lockOf(B, '.dump.zst')).toEqual(new Date('2026-12-02T03:00:00Z'));
    for (const [runId, ending] of [
      [C, '.dump.zst'],
      [D, '.dump.zst'],
      [E, '.dump.zst'],
      [F, '.dump.zst'],
      [G, '.dump.zst'],
    ] as const)
      expect(lockOf(runId, ending)).toBeUndefined();
  });

  it('locks nothing kept by min alone, and no date already past', () => {
    // GIVEN two verified backups a month old: the daily rule still keeps them (no newer day has one)
    const old: BackupCatalog = {
      backups: [backup('20261101T030000Z-1111111111', true), backup('20261031T030000Z-2222222222', true)],
      incomplete: [],
      foreign: [],
    };
    const strict = { ...policy, keepDaily: 1, keepVerifiedMin: 2 };
    const plan = retentionPlan(old, strict, NOW);
    expect(plan.map((b) => b.keptBy)).toEqual([['daily', 'min'], ['min']]);
    // THEN neither is locked: one day after a month-old run is past, and min has no end
    expect(retentionMarks(plan, strict, NOW).filter((m) => m.lockUntil !== undefined)).toEqual([]);
    // AND at the run's own time the daily lock is still ahead
    const fresh = retentionMarks(plan, strict, new Date('2026-11-01T04:00:00Z'));
    expect(fresh.filter((m) => m.lockUntil).map((m) => m.key)).toEqual([
      'pgproof/shop/2026-11-01/20261101T030000Z-1111111111.dump.zst',
      'pgproof/shop/2026-11-01/20261101T030000Z-1111111111.manifest.json',
      'pgproof/shop/2026-11-01/20261101T030000Z-1111111111.verified.json',
    ]);
  });
});

describe('retentionTagValue', () => {
  it('joins the rules with +, and says expired for none', () => {
    expect(retentionTagValue(['daily', 'weekly', 'monthly', 'yearly', 'min'])).toBe('daily+weekly+monthly+yearly+min');
    expect(retentionTagValue(['unverified'])).toBe('unverified');
    expect(retentionTagValue([])).toBe('expired');
  });
});
