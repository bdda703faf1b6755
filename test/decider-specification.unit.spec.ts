import { describe, expect, test } from '@jest/globals';
import { conflict, forbidden } from '../shared/errors.ts';
import { DeciderSpecification } from './decider-specification.ts';

// A counter owned by its creator: just enough of a decider to show what the specification checks.
type CounterEvent = { type: 'Opened'; data: { ownerId: string } } | { type: 'Added'; data: { by: number } };
type CounterCommand = { type: 'Open' } | { type: 'Add'; by: number } | { type: 'Explode' };
interface Counter {
  ownerId: string | null;
  total: number;
}
const counterDecider = {
  initialState: (): Counter => ({ ownerId: null, total: 0 }),
  evolve: (state: Counter, event: CounterEvent): Counter =>
    event.type === 'Opened' ? { ...state, ownerId: event.data.ownerId } : { ...state, total: state.total + event.data.by },
  decide: (command: CounterCommand, state: Counter, context: { userId: string }): CounterEvent[] => {
    if (command.type === 'Explode') throw new TypeError('not a domain error');
    if (command.type === 'Open') {
      if (state.ownerId !== null) throw conflict('already_exists', 'open already');
      return [{ type: 'Opened', data: { ownerId: context.userId } }];
    }
    if (state.ownerId !== context.userId) throw forbidden();
    return command.by === 0 ? [] : [{ type: 'Added', data: { by: command.by } }];
  },
};
const alice = { userId: 'alice' };
const opened: CounterEvent = { type: 'Opened', data: { ownerId: 'alice' } };
const spec = DeciderSpecification.for(counterDecider, { context: alice });

describe('DeciderSpecification', () => {
  test('given events are folded, the command decided on them, the events compared exactly; the outcome folds them', () => {
    const outcome = spec({
      given: [opened, { type: 'Added', data: { by: 2 } }],
      when: { type: 'Add', by: 3 },
      then: [{ type: 'Added', data: { by: 3 } }],
    });
    expect(outcome).toEqual({ events: [{ type: 'Added', data: { by: 3 } }], state: { ownerId: 'alice', total: 5 } });
    spec({ given: [opened], when: { type: 'Add', by: 0 }, then: [] });
    expect(() => spec({ given: [opened], when: { type: 'Add', by: 3 }, then: [{ type: 'Added', data: { by: 4 } }] })).toThrow();
    expect(() => spec({ given: [opened], when: { type: 'Add', by: 3 }, then: [] })).toThrow();
  });

  test('matching: as many events as listed, each containing what is listed', () => {
    spec({ when: { type: 'Open' }, then: { matching: [{ type: 'Opened' }] } });
    expect(() => spec({ when: { type: 'Open' }, then: { matching: [{ type: 'Added' }] } })).toThrow();
    expect(() => spec({ when: { type: 'Open' }, then: { matching: [] } })).toThrow();
  });

  test('error: the decider must refuse with an AppError containing the fields; deciding events or another error fails', () => {
    expect(spec({ given: [opened], when: { type: 'Open' }, then: { error: { status: 409, code: 'already_exists' } } })).toEqual({
      events: [],
      state: { ownerId: 'alice', total: 0 },
    });
    expect(() => spec({ given: [opened], when: { type: 'Open' }, then: { error: { status: 409, code: 'forbidden' } } })).toThrow();
    expect(() => spec({ given: [opened], when: { type: 'Open' }, then: { error: { status: 403 } } })).toThrow();
    expect(() => spec({ when: { type: 'Open' }, then: { error: { code: 'already_exists' } } })).toThrow(/expected the decider to refuse/);
    expect(() => spec({ given: [opened], when: { type: 'Explode' }, then: { error: { code: 'anything' } } })).toThrow(TypeError);
  });

  test("a case's own context replaces the default one", () => {
    spec({
      given: [opened],
      when: { type: 'Add', by: 1 },
      context: { userId: 'bob' },
      then: { error: { status: 403, code: 'forbidden' } },
    });
    expect(() => DeciderSpecification.for(counterDecider)({ when: { type: 'Open' }, then: [] })).toThrow(/no context/);
  });
});
