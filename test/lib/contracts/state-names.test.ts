import { beforeAll, describe, expect, it } from 'vitest';
import { STATE, TASK_STATES } from '../../../lib/contracts/state-names';
import { renderLocalDefinition } from '../../../lib/local/local-definition';
import { renderDefinition, type AslDefinition } from '../../../lib/render-definition';
import { buildPgProof } from '../../helpers/cdk';

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

beforeAll(() => {
  // GIVEN the definition the deployed state machine runs
  asl = renderDefinition(buildPgProof().pgProof.stateMachine);
});

describe('state names contract', () => {
  it('names every state of the rendered definition, and no state the definition lacks', () => {
    expect(
      allStates(asl.States as StatesLike)
        .map(([name]) => name)
        .sort(),
    ).toEqual(Object.values(STATE).sort());
    expect(asl.StartAt).toBe(STATE.prepareRunId);
  });

  it('names the same states in the definition the local runtime executes', () => {
    const local = renderLocalDefinition('orders');
    expect(
      allStates(local.States as StatesLike)
        .map(([name]) => name)
        .sort(),
    ).toEqual(Object.values(STATE).sort());
  });

  it('lists exactly the Task states as the states that take time', () => {
    const tasks = allStates(asl.States as StatesLike)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => name);
    expect([...TASK_STATES].sort()).toEqual(tasks.sort());
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
    });
    expect(Object.keys(STATE)).toHaveLength(24);
  });
});
