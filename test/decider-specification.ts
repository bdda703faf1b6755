import { expect } from '@jest/globals';
import { AppError } from '../shared/errors.ts';

/**
 * Given / when / then for deciders, after Emmett's `DeciderSpecification`:
 *
 *   const spec = DeciderSpecification.for(characterDecider, { context: alice });
 *   spec({ given: [created], when: { type: 'DeleteCharacter', ... }, then: [deleted] });
 *   spec({ given: [], when: update, then: { error: { status: 404, code: 'not_found' } } });
 *
 * `given` events are folded with the decider's own `evolve` from its initial state; `when` is decided on that
 * state with `context` (the specification's default, or the case's own). `then` is what must come out:
 * - an array: exactly these events (`toEqual`);
 * - `{ matching }`: as many events as listed, each containing what is listed (`toMatchObject`);
 * - `{ error }`: an AppError containing these fields (`status`, `code`, ...), and no events.
 * It returns the decided events and the state they fold to, for assertions beyond the events.
 */
export interface SpecifiedDecider<State, Command, Event, Context> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State, context: Context) => Event[];
}

export type DeciderThen<Event> =
  | readonly Event[]
  | { matching: readonly unknown[] }
  | { error: Partial<Pick<AppError, 'status' | 'code' | 'message'>> & Record<string, unknown> };

export interface DeciderCase<Command, Event, Context> {
  given?: readonly Event[];
  when: Command;
  /** Who acts; the specification's default context when absent. */
  context?: Context;
  then: DeciderThen<Event>;
}

export interface DeciderOutcome<State, Event> {
  events: Event[];
  /** The state after `given` and the decided events. */
  state: State;
}

const isErrorThen = <Event>(then: DeciderThen<Event>): then is Extract<DeciderThen<Event>, { error: unknown }> =>
  !Array.isArray(then) && 'error' in then;
const isMatchingThen = <Event>(then: DeciderThen<Event>): then is { matching: readonly unknown[] } =>
  !Array.isArray(then) && 'matching' in then;

export const DeciderSpecification = {
  for<State, Command, Event, Context>(decider: SpecifiedDecider<State, Command, Event, Context>, defaults: { context?: Context } = {}) {
    return (spec: DeciderCase<Command, Event, Context>): DeciderOutcome<State, Event> => {
      const given = (spec.given ?? []).reduce(decider.evolve, decider.initialState());
      const context = spec.context ?? defaults.context;
      if (context === undefined) throw new Error("DeciderSpecification: no context given (neither a default nor the case's own)");
      const { then } = spec;
      if (isErrorThen(then)) {
        let events: Event[];
        try {
          events = decider.decide(spec.when, given, context);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          expect(error).toMatchObject(then.error);
          return { events: [], state: given };
        }
        throw new Error(`expected the decider to refuse with ${JSON.stringify(then.error)}; it decided ${JSON.stringify(events)}`);
      }
      const events = decider.decide(spec.when, given, context);
      if (isMatchingThen(then)) expect(events).toMatchObject(then.matching as unknown[]);
      else expect(events).toEqual(then);
      return { events, state: events.reduce(decider.evolve, given) };
    };
  },
};
