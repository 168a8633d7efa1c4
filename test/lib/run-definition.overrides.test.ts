import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_REASON_CHARS } from '../../lib/common/rules';
import { renderDefinition } from '../../lib/render-definition';
import { STATE } from '../../lib/contracts/state-names';
import { allStates } from '../helpers/asl';
import { buildPgProof } from '../helpers/cdk';

// ECS RunTask refuses container overrides over 8,192 characters, JSON included (docs/aws-facts.md, "ECS and
// Fargate"). The definition fills them from the run state, so their worst case is computed here from the rendered
// definition: every `.$` path must have a worst-case value below, or the test fails naming it.
const ECS_OVERRIDES_LIMIT = 8_192;

// The worst character for JSON: a control character is written as \u0001, six characters.
const WORST_CHAR = '\u0001';
const WORST_CASE: Record<string, string> = {
  /** Step Functions documents task tokens of up to 2,048 characters (SendTaskSuccess `taskToken`). */
  '$$.Task.Token': 't'.repeat(2_048),
  /** The longest run id the engines accept (containers/common/keys.ts: 32 hex digits); the definition makes 29. */
  '$.runId': `20261124T030000Z-${'f'.repeat(32)}`,
  /** A reason at the cap, every character escaped. */
  '$.reason': WORST_CHAR.repeat(MAX_REASON_CHARS),
  /** S3's longest key (1,024 bytes of UTF-8), all ASCII so as many characters as possible. */
  '$.backup.key': 'k'.repeat(1_024),
  /** The database's id (PGPROOF_DATABASE), at PostgreSQL's longest name (63 bytes), every character escaped. */
  '$.item.database': WORST_CHAR.repeat(63),
};

type Json = Record<string, any>;

/** The overrides as Step Functions would send them, each `Key.$` path replaced by its worst-case value. */
function worstCase(value: unknown, unknownPaths: string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => worstCase(v, unknownPaths));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('.$')) {
      const path = inner as string;
      if (!(path in WORST_CASE)) unknownPaths.push(path);
      out[key.slice(0, -2)] = WORST_CASE[path] ?? '';
    } else out[key] = worstCase(inner, unknownPaths);
  }
  return out;
}

/** Each environment variable's share of the overrides, largest first. */
function largestFields(overrides: Json): Array<{ name: string; chars: number }> {
  return (overrides.ContainerOverrides as Json[])
    .flatMap((c) => (c.Environment ?? []) as Json[])
    .map((e) => ({ name: e.Name as string, chars: JSON.stringify(e).length }))
    .sort((a, b) => b.chars - a.chars);
}

let ecsTasks: Array<[string, Json]>;

beforeAll(() => {
  // GIVEN the rendered definition's ECS tasks, at any depth (they run inside the Map's item)
  const asl = renderDefinition(buildPgProof().pgProof.stateMachine);
  ecsTasks = Object.entries(allStates(asl)).filter(([, s]) => /ecs:runTask/.test(s.Resource ?? ''));
});

describe('ECS RunTask overrides, worst case', () => {
  it('covers both engines', () => {
    expect(ecsTasks.map(([name]) => name).sort()).toEqual([STATE.backupDatabase, STATE.verifyBackup].sort());
  });

  it.each([STATE.backupDatabase, STATE.verifyBackup])(
    '%s stays under 8,192 characters with the largest token, run id, key, database id and a reason at the cap',
    (name) => {
      // WHEN every path takes its worst-case value
      const unknownPaths: string[] = [];
      const overrides = worstCase(ecsTasks.find(([n]) => n === name)![1].Parameters.Overrides, unknownPaths) as Json;
      const json = JSON.stringify(overrides);

      // THEN every path has a worst case, and the whole fits, naming the largest field if not
      expect(unknownPaths, 'paths without a worst-case value in this test').toEqual([]);
      const [largest] = largestFields(overrides);
      expect(
        Buffer.byteLength(json, 'utf8'),
        `${name}: overrides of ${json.length} characters; the largest field is ${largest?.name} (${largest?.chars})`,
      ).toBeLessThan(ECS_OVERRIDES_LIMIT);
    },
  );

  it('the backup reason really is the escaped worst case (so the budget above is the one that counts)', () => {
    const overrides = worstCase(ecsTasks.find(([n]) => n === STATE.backupDatabase)![1].Parameters.Overrides, []);
    const reason = largestFields(overrides as Json).find((f) => f.name === 'PGPROOF_REASON')!;
    expect(reason.chars).toBeGreaterThan(6 * MAX_REASON_CHARS);
  });

  it.each([STATE.backupDatabase, STATE.verifyBackup])(
    "%s carries the item's database id (PGPROOF_DATABASE), counted at its worst case",
    (name) => {
      const overrides = worstCase(ecsTasks.find(([n]) => n === name)![1].Parameters.Overrides, []) as Json;
      const database = largestFields(overrides).find((f) => f.name === 'PGPROOF_DATABASE');
      expect(database?.chars).toBeGreaterThan(6 * 63);
    },
  );
});
