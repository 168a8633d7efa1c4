import { describe, expect, it } from 'vitest';
import {
  groupRunObjects,
  missingParts,
  runsByFolder,
  verifiedCandidates,
  type ListedObject,
} from '../../../containers/common/backup-listing';

const at = new Date('2026-11-24T03:10:00Z');
const object = (key: string, bytes = 10): ListedObject => ({ key, bytes, lastModified: at });
const OLD = '20261122T030000Z-aaaaaaaaaa';
const MID = '20261123T030000Z-bbbbbbbbbb';
const NEW = '20261124T030000Z-cccccccccc';
const run = (id: string, ...endings: string[]) =>
  endings.map((e) => object(`pgproof/app/${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}/${id}${e}`));

describe('grouping a listing into runs', () => {
  it("puts each run's dump, manifest, marker and sidecars together, newest run first, and sets foreign objects apart", () => {
    // GIVEN a listing in S3's (key) order, with a stray file
    const listing = [
      ...run(OLD, '.dump.zst', '.manifest.json', '.roles.sql', '.verified.json'),
      ...run(MID, '.dump.zst', '.manifest.json'),
      object('pgproof/app/README.txt'),
      ...run(NEW, '.dump.zst'),
    ];
    // WHEN
    const { runs, foreign } = groupRunObjects(listing);
    // THEN
    expect(runs.map((r) => r.runId)).toEqual([NEW, MID, OLD]);
    const old = runs[2]!;
    expect(old).toMatchObject({ folder: 'app', date: '2026-11-22', base: `pgproof/app/2026-11-22/${OLD}` });
    expect(old.dump?.key).toMatch(/\.dump\.zst$/);
    expect(old.manifest?.key).toMatch(/\.manifest\.json$/);
    expect(old.verified?.key).toMatch(/\.verified\.json$/);
    expect(old.sidecars.map((s) => s.key)).toEqual([`pgproof/app/2026-11-22/${OLD}.roles.sql`]);
    expect(runs[1]!.verified).toBeUndefined();
    expect(foreign.map((f) => f.key)).toEqual(['pgproof/app/README.txt']);
  });

  it('keeps two databases of one run apart (same run id, different folders)', () => {
    const listing = [object(`p/a/2026-11-24/${NEW}.dump`), object(`p/b/2026-11-24/${NEW}.dump`)];
    expect(groupRunObjects(listing).runs.map((r) => r.folder)).toEqual(['a', 'b']);
  });

  it('sets a second dump of the same run apart as foreign', () => {
    const { runs, foreign } = groupRunObjects(run(NEW, '.dump', '.dump.zst'));
    expect(runs[0]!.dump?.key).toMatch(/\.dump$/);
    expect(foreign.map((f) => f.key)).toEqual([`pgproof/app/2026-11-24/${NEW}.dump.zst`]);
  });
});

describe('verified candidates', () => {
  const { runs } = groupRunObjects([
    ...run(OLD, '.dump.zst', '.manifest.json', '.verified.json'),
    ...run(MID, '.dump.zst', '.manifest.json', '.verified.json'),
    ...run(NEW, '.dump.zst', '.manifest.json'),
  ]);

  it('lists only runs with dump, manifest and marker, newest first', () => {
    expect(verifiedCandidates(runs).map((r) => r.runId)).toEqual([MID, OLD]);
  });

  it('with a run id, only runs started before it', () => {
    expect(verifiedCandidates(runs, MID).map((r) => r.runId)).toEqual([OLD]);
    expect(verifiedCandidates(runs, OLD)).toEqual([]);
  });

  it('a marker without its manifest is no candidate', () => {
    const { runs: orphan } = groupRunObjects(run(NEW, '.dump.zst', '.verified.json'));
    expect(verifiedCandidates(orphan)).toEqual([]);
  });
});

describe('missing parts', () => {
  it('names what a run lacks to be a backup', () => {
    const [dumpOnly, manifestOnly, markerOnly, complete] = [
      groupRunObjects(run(NEW, '.dump.zst')).runs[0]!,
      groupRunObjects(run(NEW, '.manifest.json')).runs[0]!,
      groupRunObjects(run(NEW, '.verified.json')).runs[0]!,
      groupRunObjects(run(NEW, '.dump.zst', '.manifest.json')).runs[0]!,
    ];
    expect(missingParts(dumpOnly)).toMatch(/no manifest/);
    expect(missingParts(manifestOnly)).toMatch(/no dump object/);
    expect(missingParts(markerOnly)).toMatch(/neither dump nor manifest/);
    expect(missingParts(complete)).toBeUndefined();
  });
});

describe('runs by folder', () => {
  it("sorts one listing's runs into each database folder's, keeping their order", () => {
    // GIVEN one listing of the whole prefix
    const { runs } = groupRunObjects([
      object(`p/a/2026-11-22/${OLD}.dump`),
      object(`p/a/2026-11-24/${NEW}.dump`),
      object(`p/b/2026-11-23/${MID}.manifest.json`),
    ]);
    // WHEN
    const folders = runsByFolder(runs);
    // THEN
    expect([...folders.keys()].sort()).toEqual(['a', 'b']);
    expect(folders.get('a')!.map((r) => r.runId)).toEqual([NEW, OLD]);
    expect(folders.get('b')!.map((r) => r.runId)).toEqual([MID]);
    expect(runsByFolder([]).size).toBe(0);
  });
});
