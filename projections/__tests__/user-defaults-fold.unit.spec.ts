import { describe, expect, it } from '@jest/globals';
import { foldEvent } from '../projection.ts';
import { USER_DEFAULTS_EVENTS, userDefaultsFolds } from '../user-defaults-fold.ts';
import { streamOf } from './recorded-events.ts';

describe('user defaults fold (no database)', () => {
  it('declares the events it handles', () => {
    expect([...USER_DEFAULTS_EVENTS]).toEqual(['UserDefaultsChanged']);
  });

  it("each change writes the user's whole row at the stream's revision; an unset key is null", () => {
    const stream = streamOf('userdefaults-user-1');
    const set = stream('UserDefaultsChanged', { userId: 'user-1', defaults: { compatibility: 'corrected' } }, '2026-12-07T10:00:00.000Z');
    expect(foldEvent(userDefaultsFolds, set, undefined)).toMatchObject({ user_id: 'user-1', compatibility: 'corrected', revision: 1 });
    const unset = stream('UserDefaultsChanged', { userId: 'user-1', defaults: {} });
    expect(foldEvent(userDefaultsFolds, unset, undefined)).toMatchObject({ user_id: 'user-1', compatibility: null, revision: 2 });
  });

  it('writes the scan settings, null when unset', () => {
    const stream = streamOf('userdefaults-user-2');
    const set = stream('UserDefaultsChanged', {
      userId: 'user-2',
      defaults: { scan_depth: 5, token_budget: 300, recursive_scanning: false },
    });
    expect(foldEvent(userDefaultsFolds, set, undefined)).toMatchObject({ scan_depth: 5, token_budget: 300, recursive_scanning: false });
    const unset = stream('UserDefaultsChanged', { userId: 'user-2', defaults: { compatibility: 'risuai' } });
    expect(foldEvent(userDefaultsFolds, unset, undefined)).toMatchObject({
      compatibility: 'risuai',
      scan_depth: null,
      token_budget: null,
      recursive_scanning: null,
    });
  });
});
