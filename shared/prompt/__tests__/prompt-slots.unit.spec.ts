import { SlotFactory, slotTokens } from '../prompt-slots.ts';
import { TOKENS_PER_MESSAGE } from '../token-accounting.ts';
import { words } from './helpers/stage-input.ts';

describe('prompt slots', () => {
  const slots = new SlotFactory(words);

  test('a slot carries its section and token count', () => {
    const s = slots.slot('main', { role: 'system', content: 'two words' }, { messageId: 'm' });
    expect(s.layout).toEqual({ section: 'main', tokens: TOKENS_PER_MESSAGE + 1 + 2, messageId: 'm' });
  });

  test('blank system content makes no slot', () => {
    expect(slots.system('scenario', '  \n')).toEqual([]);
    expect(slotTokens(slots.system('scenario', 'a b c'))).toBe(TOKENS_PER_MESSAGE + 1 + 3);
  });

  test('a lazy slot is counted once, when first asked for', () => {
    let counted = 0;
    const lazy = new SlotFactory({ family: 'approximate', count: (t) => (counted++, t.length) }).lazy('history', {
      role: 'user',
      content: 'abc',
    });
    expect(counted).toBe(0);
    const first = lazy();
    const calls = counted;
    expect(calls).toBeGreaterThan(0);
    expect(lazy()).toBe(first);
    expect(counted).toBe(calls);
  });
});
