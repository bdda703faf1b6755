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

describe('chooseCompatibility with the card suggestion', () => {
  it('the card suggests below the user default and above the built-in default', () => {
    expect(chooseCompatibility({ character: 'risuai' })).toEqual({ mode: 'risuai', source: 'character' });
    expect(chooseCompatibility({ userDefault: 'corrected', character: 'risuai' })).toEqual({ mode: 'corrected', source: 'user_default' });
    expect(chooseCompatibility({ chat: 'sillytavern', character: 'risuai' })).toEqual({ mode: 'sillytavern', source: 'chat' });
    expect(chooseCompatibility({ request: 'risuai', chat: 'corrected' })).toEqual({ mode: 'risuai', source: 'request' });
  });
});
