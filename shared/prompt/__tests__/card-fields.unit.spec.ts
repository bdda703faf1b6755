import { resolvePersona } from '../card-fields.ts';
import { earlyStages, promptInput } from './helpers/stage-input.ts';

describe('card fields and persona', () => {
  test('fields are trimmed and expanded with card-field macros off; they become macro values', () => {
    const s = earlyStages(
      promptInput({
        character: { name: 'S', description: '  {{char}} guards.\r\nmore ', personality: 'kind {{description}}' },
        chat: { chatId: 'c', scenarioOverride: 'Chat.' },
      }),
    );
    expect(s.card.description).toBe('S guards.\nmore');
    expect(s.card.personality).toBe('kind {{description}}');
    expect(s.card.scenario).toBe('Chat.');
    expect(s.macros.expand('{{description}}')).toBe('S guards.\nmore');
  });

  test('the card prompt is dropped when the user prefers their own', () => {
    const s = earlyStages(promptInput({ character: { name: 'S', system_prompt: 'Card.' }, prompts: { preferCharacterPrompt: false } }));
    expect(s.card.charPrompt).toBe('');
  });

  test('persona defaults: in the prompt, depth 2, system', () => {
    expect(resolvePersona({ name: 'Ann' })).toEqual({ description: '', position: 'in_prompt', depth: 2, role: 'system' });
  });
});
