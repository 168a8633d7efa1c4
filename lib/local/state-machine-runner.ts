import {
  ExecutionAbortedError,
  ExecutionError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What a local binding receives: the Task's input after InputPath/Parameters, as the AWS service would. */
export type TaskBinding = (input: Json) => Promise<Json>;

export interface ExecutionEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: string;
  /** For an event inside a Map item (its states, `MapIterationStarted`/`Succeeded`/`Failed`): the item's index. */
  readonly index?: number;
  readonly error?: string;
  readonly cause?: string;
  /** The state's input and output (StateEntered/StateExited): the execution's data, as the console shows it. */
  readonly input?: Json;
  readonly output?: Json;
}

export interface LocalExecution {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  readonly events: ExecutionEvent[];
}

interface StateLike {
  Type: string;
  Resource?: string;
  Branches?: Array<{ States: Record<string, StateLike> }>;
  ItemProcessor?: { States: Record<string, StateLike> };
  Iterator?: { States: Record<string, StateLike> };
}

/**
 * Every Task state's name and Resource ARN, at any depth: inside Parallel branches and Map item processors
 * (`ItemProcessor`, or the older `Iterator`), nested. State names are unique in the whole state machine (the CDK
 * refuses a graph that repeats one: `DuplicateStateId`), which is what lets a local binding be chosen by name; a
 * Task name found twice is refused here too.
 */
export function taskResources(definition: { States: Record<string, unknown> }): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (states: Record<string, StateLike>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && state.Resource) {
        if (out.has(name)) throw new Error(`the Task state name "${name}" appears more than once in the definition`);
        out.set(name, state.Resource);
      }
      for (const branch of state.Branches ?? []) walk(branch.States);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) walk(processor.States);
    }
  };
  walk(definition.States as Record<string, StateLike>);
  return out;
}

/** Thrown instead of starting a binding once the execution has ended (a Map item still queued at that moment). */
export class ExecutionEndedError extends Error {
  constructor(state: string) {
    super(`the execution has ended; the Task state "${state}" of a queued Map item is not started`);
    this.name = 'pgproof.ExecutionEnded';
  }
}

/**
 * Adapts a binding to what the service integration returns, so ResultSelector/ResultPath/OutputPath work as in
 * AWS: `lambda:invoke` returns `{StatusCode, Payload}`; `.waitForTaskToken` returns the SendTaskSuccess output.
 */
function adapt(resource: string, binding: TaskBinding): TaskBinding {
  if (/:states:::lambda:invoke$/.test(resource)) {
    return async (input) => {
      const payload = (input as { Payload?: Json } | null)?.Payload ?? null;
      return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: await binding(payload) };
    };
  }
  return binding;
}

/**
 * Executes an ASL definition on this machine with aws-local-stepfunctions, binding every Task state (by name) to a
 * local function. A Task without a binding is an error: nothing may silently call AWS from a local run.
 */
export async function executeLocally(options: {
  definition: StateMachineDefinition;
  input: Json;
  bindings: Record<string, TaskBinding>;
  executionName: string;
  signal?: AbortSignal;
  onEvent?: (event: ExecutionEvent) => void;
}): Promise<LocalExecution> {
  const resources = taskResources(options.definition as unknown as { States: Record<string, unknown> });
  // aws-local-stepfunctions keeps starting a Map's queued items after the Map has failed or the execution was
  // aborted (it aborts only the items already running): once the execution has ended, no binding may start. The
  // library settles the execution and starts the next queued item in the same burst of promise callbacks, so a
  // binding starts only after yielding to the event loop once, when `ended` is known.
  let ended = false;
  const handlers: Record<string, TaskBinding> = {};
  for (const [name, resource] of resources) {
    const binding = options.bindings[name];
    if (!binding) throw new Error(`no local binding for the Task state "${name}" (${resource})`);
    const adapted = adapt(resource, binding);
    handlers[name] = async (input) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (ended) throw new ExecutionEndedError(name);
      return adapted(input);
    };
  }
  const machine = new StateMachine(options.definition, { validationOptions: { checkArn: false } });
  const startTime = new Date().toISOString();
  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: {
      Execution: {
        Id: `local:${options.executionName}`,
        Name: options.executionName,
        StartTime: startTime,
        Input: options.input as never,
      },
      StateMachine: { Id: 'local', Name: 'pgproof-local' },
      Task: { Token: 'local-task-token' },
    },
  });
  execution.result.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  const onAbort = () => {
    ended = true;
    execution.abort();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const events: ExecutionEvent[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as unknown as {
        type: string;
        timestamp: number;
        state?: { name: string; input?: Json; output?: Json };
        index?: number;
        Error?: string;
        Cause?: unknown;
      };
      const record: ExecutionEvent = {
        type: e.type,
        timestamp: e.timestamp,
        ...(e.state ? { state: e.state.name } : {}),
        ...(typeof e.index === 'number' ? { index: e.index } : {}),
        ...(e.state?.input !== undefined && e.type === 'StateEntered' ? { input: e.state.input } : {}),
        ...(e.state?.output !== undefined && e.type === 'StateExited' ? { output: e.state.output } : {}),
        ...(e.Error ? { error: e.Error } : {}),
        ...(e.Cause !== undefined ? { cause: typeof e.Cause === 'string' ? e.Cause : JSON.stringify(e.Cause) } : {}),
      };
      events.push(record);
      options.onEvent?.(record);
    }
  })();

  try {
    const output = (await execution.result) as Json;
    await collecting;
    return { status: 'SUCCEEDED', output, events };
  } catch (error) {
    await collecting.catch(() => undefined);
    if (error instanceof ExecutionAbortedError) return { status: 'ABORTED', events };
    const failed = [...events].reverse().find((e) => e.type === 'ExecutionFailed');
    if (error instanceof ExecutionError || failed) {
      return {
        status: 'FAILED',
        ...(failed?.error ? { error: failed.error } : {}),
        ...(failed?.cause ? { cause: failed.cause } : {}),
        events,
      };
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
