import { describe, expect, it } from '@jest/globals';
import { chooseCompatibility } from '../compatibility.ts';

describe('chooseCompatibility', () => {
  it('request > chat > user default > sillytavern, saying where the choice came from', () => {
    expect(chooseCompatibility({})).toEqual({ mode: 'sillytavern', source: 'default' });
    expect(chooseCompatibility({ userDefault: 'corrected' })).toEqual({ mode: 'corrected', source: 'user_default' });
    expect(chooseCompatibility({ chat: 'sillytavern', userDefault: 'corrected' })).toEqual({ mode: 'sillytavern', source: 'chat' });
    expect(chooseCompatibility({ request: 'corrected', chat: 'sillytavern', userDefault: 'sillytavern' })).toEqual({
      mode: 'corrected',
      source: 'request',
    });
    expect(chooseCompatibility({ request: null, chat: null, userDefault: null })).toEqual({ mode: 'sillytavern', source: 'default' });
  });
});
