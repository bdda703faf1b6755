import { DEFAULT_MAIN_PROMPT, DEFAULT_NEW_CHAT_PROMPT } from '../prompt-defaults.ts';
import { PromptInputError } from '../prompt-errors.ts';
import { resolveCounter, resolveTexts, validatePromptInput } from '../prompt-input.ts';
import { bot, promptInput, user, words } from './helpers/stage-input.ts';

describe('prompt input: checks and defaults', () => {
  test('texts not given take SillyTavern defaults; given ones stay, empty included', () => {
    const texts = resolveTexts({ newChat: '' });
    expect(texts.main).toBe(DEFAULT_MAIN_PROMPT);
    expect(texts.newChat).toBe('');
    expect(resolveTexts().newChat).toBe(DEFAULT_NEW_CHAT_PROMPT);
    expect(texts.preferCharacterPrompt).toBe(true);
  });

  test('a counter object is used as given; otherwise one per tokenizer family', () => {
    expect(resolveCounter(words, 'gpt-4o')).toBe(words);
    expect(resolveCounter(undefined, 'gpt-4o').family).toBe('o200k');
  });

  test('bad sizes and modes are refused', () => {
    const bad =
      (overrides: Parameters<typeof promptInput>[0], mode: 'normal' | 'continue' | 'impersonate' = 'normal') =>
      () =>
        validatePromptInput(promptInput(overrides), mode);
    expect(bad({ model: { name: 'm', contextSize: 0, replyReserve: 0 } })).toThrow(PromptInputError);
    expect(bad({ model: { name: 'm', contextSize: 100, replyReserve: 100 } })).toThrow(/reply reserve/);
    expect(bad({ userTurn: { content: 'hi' } }, 'impersonate')).toThrow(/impersonate mode/);
    expect(bad({}, 'continue')).toThrow(/continue needs a message/);
    expect(bad({ history: [user('1', 'a'), bot('2', 'b')] }, 'continue')).not.toThrow();
  });
});
