import { beforeAll, describe, expect, it } from 'vitest';
import { STATE, TASK_STATES } from '../../../lib/contracts/state-names';
import { renderLocalDefinition } from '../../../lib/local/local-definition';
import { renderDefinition, type AslDefinition } from '../../../lib/render-definition';
import { buildPgProof } from '../../helpers/cdk';

let asl: AslDefinition;

beforeAll(() => {
  // GIVEN the definition the deployed state machine runs
  asl = renderDefinition(buildPgProof().pgProof.stateMachine);
});

describe('state names contract', () => {
  it('names every state of the rendered definition, and no state the definition lacks', () => {
    expect(Object.keys(asl.States).sort()).toEqual(Object.values(STATE).sort());
    expect(asl.StartAt).toBe(STATE.prepareRunId);
  });

  it('names the same states in the definition the local runtime executes', () => {
    const local = renderLocalDefinition('orders');
    expect(Object.keys(local.States).sort()).toEqual(Object.values(STATE).sort());
  });

  it('lists exactly the Task states as the states that take time', () => {
    const tasks = Object.entries(asl.States)
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
