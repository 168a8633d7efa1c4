import { beforeAll, describe, expect, it } from 'vitest';
import { STATE, TASK_STATES } from '../../../lib/contracts/state-names';
import { renderLocalDefinition } from '../../../lib/local/local-definition';
import { renderDefinition, type AslDefinition } from '../../../lib/render-definition';
import { buildPgProof } from '../../helpers/cdk';
import { buildFleetPgProof } from '../../helpers/fleet';

let asl: AslDefinition;

type StatesLike = Record<
  string,
  {
    Type?: string;
    Branches?: { States: StatesLike }[];
    ItemProcessor?: { States: StatesLike };
    Iterator?: { States: StatesLike };
  }
>;

/** Every state at any depth (Parallel branches, Map item processors): names are unique across the whole definition. */
function allStates(states: StatesLike): [string, { Type?: string }][] {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, { Type?: string }],
    ...(state.Branches ?? []).flatMap((branch) => allStates(branch.States)),
    ...[state.ItemProcessor, state.Iterator].flatMap((processor) => (processor ? allStates(processor.States) : [])),
  ]);
}

/**
 * Names the contract keeps although no definition renders them today: NotifySuccess (older executions, before the
 * Map, still summarize by it) and the discovery states, rendered only for `"databases": "all"` (coming next).
 */
const NOT_RENDERED = new Set<string>([
  STATE.notifySuccess,
  STATE.discoverDatabases,
  STATE.discoverDatabasesFailed,
  STATE.discoverDatabasesTimedOut,
]);
const RENDERED = Object.values(STATE)
  .filter((name) => !NOT_RENDERED.has(name))
  .sort();

let fleet: AslDefinition;

beforeAll(() => {
  // GIVEN the definition the deployed state machine runs, for one database and for several
  asl = renderDefinition(buildPgProof().pgProof.stateMachine);
  fleet = renderDefinition(buildFleetPgProof(['orders', 'billing']).pgProof.stateMachine);
});

const names = (definition: AslDefinition) =>
  allStates(definition.States as StatesLike)
    .map(([name]) => name)
    .sort();

describe('state names contract', () => {
  it('names every state of the rendered definitions (the Map item included), and none they lack but the kept ones', () => {
    expect(names(asl)).toEqual(RENDERED);
    expect(names(fleet)).toEqual(RENDERED);
    expect(asl.StartAt).toBe(STATE.prepareRunId);
    // The kept names really are in the contract (so the exception list cannot hide a typo)
    for (const name of NOT_RENDERED) expect(Object.values(STATE)).toContain(name);
  });

  it('names the same states in the definition the local runtime executes, for one database and several', () => {
    expect(names(renderLocalDefinition('orders'))).toEqual(RENDERED);
    expect(names(renderLocalDefinition('prod', { databases: ['orders', 'billing'], maxConcurrency: 2 }))).toEqual(
      RENDERED,
    );
  });

  it('lists exactly the Task states as the states that take time (the kept ones are Tasks too)', () => {
    const tasks = allStates(asl.States as StatesLike)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => name);
    expect(TASK_STATES.filter((name) => !NOT_RENDERED.has(name)).sort()).toEqual(tasks.sort());
    expect(tasks).toEqual(expect.arrayContaining([STATE.backupDatabase, STATE.verifyBackup, STATE.notifyRun]));
    expect([...TASK_STATES]).toEqual(expect.arrayContaining([STATE.notifySuccess, STATE.discoverDatabases]));
  });

  it('keeps the names people read in the run history (values are a user-visible contract)', () => {
    expect(STATE).toMatchObject({
      prepareRunId: 'PrepareRunId',
      validateInput: 'ValidateInput',
      backupDatabase: 'BackupDatabase',
      verifyBackup: 'VerifyBackup',
      notifySuccess: 'NotifySuccess',
      snitchCheckIn: 'SnitchCheckIn',
      notifyFailure: 'NotifyFailure',
      runFailed: 'RunFailed',
      backupDatabaseFailed: 'BackupDatabaseFailed',
      backupDatabaseTimedOut: 'BackupDatabaseTimedOut',
      chatPostFailed: 'ChatPostFailed',
      listDatabases: 'ListDatabases',
      discoverDatabases: 'DiscoverDatabases',
      proveDatabases: 'ProveDatabases',
      proveDatabasesFailed: 'ProveDatabasesFailed',
      databaseVerified: 'DatabaseVerified',
      summarizeRun: 'SummarizeRun',
      notifyRun: 'NotifyRun',
      checkAllVerified: 'CheckAllVerified',
      databasesFailed: 'DatabasesFailed',
      applyRetention: 'ApplyRetention',
      applyRetentionFailed: 'ApplyRetentionFailed',
      applyRetentionTimedOut: 'ApplyRetentionTimedOut',
      writeReports: 'WriteReports',
      writeReport: 'WriteReport',
      writeReportFailed: 'WriteReportFailed',
      writeReportsFailed: 'WriteReportsFailed',
    });
    expect(Object.keys(STATE)).toHaveLength(54);
    expect(new Set(Object.values(STATE)).size).toBe(54);
  });
});
