// Step Functions rejects a definition with more than 10 intrinsic functions in one field ("you can nest up to 10
// intrinsic functions within a field"); aws-local-stepfunctions does not check it, so a local run cannot show it.
import { beforeAll, describe, expect, it } from 'vitest';
import { renderDefinition, type AslDefinition } from '../../lib/render-definition';
import { isRunId } from '../../containers/common/keys';
import { STATE } from '../../lib/contracts/state-names';
import { buildPgProof } from '../helpers/cdk';

/** Step Functions' limit of intrinsic functions per field. */
const MAX_PER_FIELD = 10;

let asl: AslDefinition;

beforeAll(() => {
  asl = renderDefinition(buildPgProof().pgProof.stateMachine);
});

/** Every string in the definition with its JSON path, e.g. `States.ReadInputReason.Parameters.runId.$`. */
function strings(value: unknown, at: string, out: Array<{ path: string; text: string }> = []): typeof out {
  if (typeof value === 'string') out.push({ path: at, text: value });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) strings(v, `${at}[${i}]`, out);
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) strings(v, `${at}.${k}`, out);
  return out;
}

/** Calls of intrinsic functions in one field, nested or not (counting calls is the safe reading of the limit). */
const intrinsicCalls = (text: string) => (text.match(/\bStates\.[A-Za-z]+\s*\(/g) ?? []).length;

describe('intrinsic functions', () => {
  it(`uses at most ${MAX_PER_FIELD} in any field of the definition`, () => {
    // WHEN
    const counts = strings(asl, '$').map((s) => ({ path: s.path, calls: intrinsicCalls(s.text) }));
    // THEN
    expect(counts.filter((c) => c.calls > MAX_PER_FIELD)).toEqual([]);
    // AND the run id's fields are among those counted (the test looks where the functions are)
    expect(
      counts.find((c) => c.path === `$.States.${STATE.prepareRunId}.Parameters.runIdParts.time.$`)?.calls,
    ).toBeGreaterThan(0);
    expect(counts.find((c) => c.path === '$.States.ReadInputReason.Parameters.runId.$')?.calls).toBeGreaterThan(0);
  });

  it('counts nested and sibling calls', () => {
    expect(
      intrinsicCalls("States.Format('{}', States.ArrayGetItem(States.StringSplit($.a, '-'), 0), States.UUID())"),
    ).toBe(4);
    expect(intrinsicCalls('States.ALL')).toBe(0);
  });
});

describe('run id', () => {
  /**
   * Runs the definition's own run-id states (PrepareRunId, then UseDefaultReason) on a given start time. The local
   * runner always sets $$.Execution.StartTime to now, so the start time is read from the input instead.
   */
  async function runIdAt(startTime: string): Promise<string> {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const prepare = JSON.parse(
      JSON.stringify(asl.States[STATE.prepareRunId]).replaceAll('$$.Execution.StartTime', '$.startTime'),
    );
    const { Next: _next, ...useDefault } = asl.States.UseDefaultReason!;
    const machine = new StateMachine({
      StartAt: STATE.prepareRunId,
      States: {
        [STATE.prepareRunId]: { ...prepare, Next: 'UseDefaultReason' },
        UseDefaultReason: { ...useDefault, End: true },
      },
    } as never);
    const context = { Execution: { Id: 'arn:aws:states:local:000000000000:execution:pgproof-orders:x', Name: 'x' } };
    return ((await machine.run({ startTime }, { context } as never).result) as { runId: string }).runId;
  }

  it.each([
    ['2026-11-24T03:00:07.123Z', /^20261124T030007Z-[0-9a-f]{12}$/],
    ['2026-11-24T03:00:07Z', /^20261124T030007Z-[0-9a-f]{12}$/],
    ['2026-01-02T23:59:59.999Z', /^20260102T235959Z-[0-9a-f]{12}$/],
  ])('is made from StartTime %s and a UUID', async (startTime, pattern) => {
    const runId = await runIdAt(startTime);
    expect(runId).toMatch(pattern);
    expect(isRunId(runId)).toBe(true);
  });

  it('differs between two runs started in the same second', async () => {
    const [a, b] = [await runIdAt('2026-11-24T03:00:07.123Z'), await runIdAt('2026-11-24T03:00:07.123Z')];
    expect(a).not.toBe(b);
  });
});
