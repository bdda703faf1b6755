import { characterProfile } from '../character-profile.ts';
import { createPromptMacros } from '../prompt-macros.ts';
import { promptInput, user } from './helpers/stage-input.ts';

const setup = { profile: characterProfile({ name: 'Seraphina' }), now: new Date('2025-01-06T12:00:00Z'), random: () => 0 };

describe('prompt macros and the user turn', () => {
  test('the new user turn is expanded first and then counts among the messages', () => {
    const input = promptInput({ history: [user('1', 'earlier')], userTurn: { content: '{{user}} greets {{char}}' } });
    const macros = createPromptMacros(input, 'normal', setup);
    expect(macros.userTurnText).toBe('Ann greets Seraphina');
    expect(macros.expand('{{lastMessage}}')).toBe('Ann greets Seraphina');
  });

  test('no user turn outside normal mode', () => {
    const macros = createPromptMacros(promptInput({ history: [user('1', 'x')] }), 'regenerate', setup);
    expect(macros.userTurnText).toBeNull();
    expect(macros.expand('{{lastMessage}}')).toBe('x');
  });

  test('variable changes are recorded on the evaluator', () => {
    const macros = createPromptMacros(promptInput({ userTurn: { content: '{{setvar::mood::glad}}hi' } }), 'normal', setup);
    expect(macros.userTurnText).toBe('hi');
    expect(macros.evaluator.variables).toMatchObject({ mood: 'glad' });
  });
});
