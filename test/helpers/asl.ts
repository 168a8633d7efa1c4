import type { AslDefinition } from '../../lib/render-definition';

/** One ASL state, loosely typed: the tests read whichever fields they assert. */
export type AslState = Record<string, any>;
/** A `States` object: the top level's, or a Map item processor's. */
export type AslStates = Record<string, AslState>;

/** The nested `States` of a state: a Map's item processor (or the older Iterator), a Parallel's branches. */
function nestedStates(state: AslState): AslStates[] {
  return [
    ...((state.Branches ?? []) as { States: AslStates }[]).map((b) => b.States),
    ...[state.ItemProcessor, state.Iterator].flatMap((p) => (p ? [p.States as AslStates] : [])),
  ];
}

/** Every state at any depth, by name: names are unique across the whole definition. */
export function allStates(definition: Pick<AslDefinition, 'States'>): AslStates {
  const out: AslStates = {};
  const walk = (states: AslStates) => {
    for (const [name, state] of Object.entries(states)) {
      if (name in out) throw new Error(`the state name "${name}" appears twice in the definition`);
      out[name] = state;
      for (const inner of nestedStates(state)) walk(inner);
    }
  };
  walk(definition.States as AslStates);
  return out;
}

/** The states of the run's Map item (ProveDatabases' ItemProcessor). */
export function itemStates(definition: Pick<AslDefinition, 'States'>, map = 'ProveDatabases'): AslStates {
  const processor = (definition.States as AslStates)[map]?.ItemProcessor;
  if (!processor) throw new Error(`no Map state "${map}" with an ItemProcessor at the top level`);
  return processor.States as AslStates;
}

/** Every transition of one state: Next, Default, each Choice, each Catch, labelled for the walk's `skip`. */
export function edges(name: string, state: AslState): Array<{ to: string; via: string }> {
  const out: Array<{ to: string; via: string }> = [];
  if (state.Next) out.push({ to: state.Next, via: `${name}.Next` });
  if (state.Default) out.push({ to: state.Default, via: `${name}.Default` });
  for (const c of state.Choices ?? []) out.push({ to: c.Next, via: `${name}.Choice` });
  for (const c of state.Catch ?? []) out.push({ to: c.Next, via: `${name}.Catch(${c.ErrorEquals.join(',')})` });
  return out;
}

/** The states reachable from `from` within one `States` object, leaving out the edges `skip` names. */
export function reachable(
  states: AslStates,
  from: readonly string[],
  skip: (via: string) => boolean = () => false,
): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    const state = states[name];
    if (!state) throw new Error(`a transition leads to "${name}", which is not a state of this scope`);
    seen.add(name);
    for (const e of edges(name, state)) if (!skip(e.via)) todo.push(e.to);
  }
  return seen;
}
