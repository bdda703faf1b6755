import { describe, expect, it } from '@jest/globals';
import type { Actor } from '../../../shared/access/actor.ts';
import { userDefaultsDecider } from '../user-defaults-decider.ts';

const actor = { userId: 'user-1', isAdmin: false } as Actor;
const change = (state: ReturnType<typeof userDefaultsDecider.initialState>, compatibility: 'sillytavern' | 'corrected' | null) =>
  userDefaultsDecider.decide({ type: 'ChangeUserDefaults', userId: 'user-1', changes: { compatibility } }, state, actor);

describe('user defaults decider', () => {
  it('sets, keeps (no event when nothing changes) and unsets the compatibility mode', () => {
    const empty = userDefaultsDecider.initialState();
    const set = change(empty, 'corrected');
    expect(set).toEqual([{ type: 'UserDefaultsChanged', data: { userId: 'user-1', defaults: { compatibility: 'corrected' } } }]);
    const state = userDefaultsDecider.evolve(empty, set[0]!);
    expect(state.defaults).toEqual({ compatibility: 'corrected' });
    expect(change(state, 'corrected')).toEqual([]);
    expect(change(state, null)).toEqual([{ type: 'UserDefaultsChanged', data: { userId: 'user-1', defaults: {} } }]);
    expect(change(empty, null)).toEqual([]);
  });
});
