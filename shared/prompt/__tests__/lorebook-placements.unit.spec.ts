import type { TokenCounter } from '../../tokenizer/index.ts';
import type { CompatibilityMode, WorldInfoEntry } from '../../worldinfo/index.ts';
import { assemblePrompt, type PromptHistoryMessage, type PromptInput } from '../index.ts';

const words: TokenCounter = { family: 'approximate', count: (t) => t.split(/\s+/).filter(Boolean).length };

function entry(uid: number, content: string, extra: Partial<WorldInfoEntry> = {}): WorldInfoEntry {
  return { uid, keys: [], content, constant: true, ...extra } as WorldInfoEntry;
}

const history: PromptHistoryMessage[] = [
  { id: 'g', role: 'assistant', content: 'Welcome.' },
  { id: 'u1', role: 'user', content: 'Hi.' },
  { id: 'b1', role: 'assistant', content: 'Hello.' },
];

function input(entries: WorldInfoEntry[], mode: CompatibilityMode): PromptInput {
  return {
    character: { name: 'Seraphina', description: 'A guardian.' },
    persona: { name: 'Ann' },
    history,
    userTurn: { content: 'So.' },
    chat: { chatId: 'c' },
    model: { name: 'test', tokenizer: words, contextSize: 10_000, replyReserve: 100 },
    prompts: { main: 'Main.', newChat: '' },
    worldInfo: { books: [{ id: 'b', name: 'Book', source: 'character', entries }], compatibility: { mode, source: 'request' } },
    random: () => 0,
    clock: () => new Date('2025-01-06T12:00:00Z'),
  };
}

const contents = (r: ReturnType<typeof assemblePrompt>) => r.messages.map((m) => m.content);

describe("lorebook placements RisuAI's decorators own in the prompt", () => {
  test.each<CompatibilityMode>(['sillytavern', 'corrected', 'risuai'])('@@end goes after everything, assistant ones last (%s)', (mode) => {
    const r = assemblePrompt(input([entry(0, '@@end\n@@role assistant\nPrefill.'), entry(1, '@@end\nClosing.', { order: 5 })], mode));
    expect(contents(r).slice(-2)).toEqual(['Closing.', 'Prefill.']);
    expect(r.messages.at(-1)?.role).toBe('assistant');
    expect(r.layout.at(-1)).toMatchObject({ section: 'injection', injection: { depth: 0, sources: ['world_info'] } });
  });

  test.each<CompatibilityMode>(['sillytavern', 'corrected', 'risuai'])('@@inject_at puts the text into the part it names (%s)', (mode) => {
    const r = assemblePrompt(
      input(
        [
          entry(0, '@@inject_at description\nMore.'),
          entry(1, '@@inject_at main\n@@inject_replace Main.\nNew main.'),
          entry(2, '@@inject_at scenario\nNowhere.'),
        ],
        mode,
      ),
    );
    expect(contents(r).slice(0, 2)).toEqual(['New main.', 'A guardian. More.']);
    expect(contents(r).join('\n')).not.toContain('Nowhere.');
  });

  test('@@depth: the spec counts from the newest message, RisuAI after the oldest ones', () => {
    const at = (mode: CompatibilityMode) => {
      const c = contents(assemblePrompt(input([entry(0, '@@depth 1\nDeep.')], mode)));
      return c.slice(c.indexOf('Welcome.'));
    };
    expect(at('corrected')).toEqual(['Welcome.', 'Hi.', 'Hello.', 'Deep.', 'So.']);
    expect(at('risuai')).toEqual(['Welcome.', 'Deep.', 'Hi.', 'Hello.', 'So.']);
  });

  test('@@position pt_<name> fills the outlet of that name', () => {
    const r = assemblePrompt({
      ...input([entry(0, '@@position pt_notes\nSlot text.')], 'risuai'),
      prompts: { main: 'Main {{outlet::notes}}', newChat: '' },
    });
    expect(contents(r)[0]).toBe('Main Slot text.');
  });
});
