import type { TokenCounter } from '../../tokenizer/index.ts';
import {
  assemblePrompt,
  composeAuthorsNote,
  PromptBudgetExceededError,
  PromptInputError,
  shouldInsertAuthorsNote,
  splitExampleBlocks,
  parseExampleBlock,
  type PromptHistoryMessage,
  type PromptInput,
} from '../index.ts';

/** One token per word: budgets in these tests are easy to count. */
const words: TokenCounter = { family: 'approximate', count: (t) => t.split(/\s+/).filter(Boolean).length };

function input(overrides: Partial<PromptInput> = {}): PromptInput {
  return {
    character: { name: 'Seraphina', description: 'A guardian.' },
    persona: { name: 'Ann' },
    history: [],
    chat: { chatId: 'c' },
    model: { name: 'test', tokenizer: words, contextSize: 10_000, replyReserve: 100 },
    prompts: { main: 'Main.', newChat: '' },
    random: () => 0,
    clock: () => new Date('2025-01-06T12:00:00Z'),
    ...overrides,
  };
}

const user = (id: string, content: string): PromptHistoryMessage => ({ id, role: 'user', content });
const bot = (id: string, content: string): PromptHistoryMessage => ({ id, role: 'assistant', content });
const contents = (result: ReturnType<typeof assemblePrompt>) => result.messages.map((m) => m.content);

describe('assemblePrompt: structure', () => {
  test('personality and scenario use their formats, and only when not empty', () => {
    const result = assemblePrompt(input({ character: { name: 'S', description: 'D.', personality: 'kind', scenario: '' } }));
    expect(contents(result)).toEqual(['Main.', 'D.', "[S's personality: kind]"]);
    expect(result.layout.map((l) => l.section)).toEqual(['main', 'description', 'personality']);
  });

  test('the chat scenario override wins over the card scenario', () => {
    const result = assemblePrompt(
      input({ character: { name: 'S', scenario: 'Card scenario.' }, chat: { chatId: 'c', scenarioOverride: 'Chat scenario.' } }),
    );
    expect(contents(result)).toContain('[Circumstances and context of the dialogue: Chat scenario.]');
  });

  test('preferCharacterPrompt: false keeps the main prompt; an empty card prompt never replaces it', () => {
    const card = { name: 'S', system_prompt: 'Card prompt.' };
    expect(
      contents(assemblePrompt(input({ character: card, prompts: { main: 'Main.', newChat: '', preferCharacterPrompt: false } })))[0],
    ).toBe('Main.');
    expect(contents(assemblePrompt(input({ character: { name: 'S', system_prompt: '   ' } })))[0]).toBe('Main.');
  });

  test("the Author's Note before or after the main prompt", () => {
    const note = (position: 'before_main' | 'after_main') =>
      contents(assemblePrompt(input({ chat: { chatId: 'c', authorsNote: { text: 'Note.', position } }, userTurn: { content: 'Hi' } })));
    expect(note('before_main').slice(0, 2)).toEqual(['Note.', 'Main.']);
    expect(note('after_main').slice(0, 2)).toEqual(['Main.', 'Note.']);
  });

  test("persona description at the top or bottom of the Author's Note, or nowhere", () => {
    const run = (position: 'top_of_authors_note' | 'bottom_of_authors_note' | 'none') =>
      contents(
        assemblePrompt(
          input({
            persona: { name: 'Ann', description: 'Ann is kind.', position },
            chat: { chatId: 'c', authorsNote: { text: 'Note.', depth: 0 } },
            userTurn: { content: 'Hi' },
          }),
        ),
      );
    expect(run('top_of_authors_note').at(-1)).toBe('Ann is kind.\nNote.');
    expect(run('bottom_of_authors_note').at(-1)).toBe('Note.\nAnn is kind.');
    expect(run('none')).not.toContain('Ann is kind.');
  });

  test('names: completion sets sanitized names, content prefixes them', () => {
    const history = [bot('a', 'Hello.'), { id: 'b', role: 'user' as const, content: 'Hi.', name: 'Ann Marie' }];
    const completion = assemblePrompt(input({ history, options: { names: 'completion' } }));
    expect(completion.messages.slice(-2)).toEqual([
      { role: 'assistant', content: 'Hello.', name: 'Seraphina' },
      { role: 'user', content: 'Hi.', name: 'Ann_Marie' },
    ]);
    const content = assemblePrompt(input({ history, options: { names: 'content' } }));
    expect(contents(content).slice(-2)).toEqual(['Seraphina: Hello.', 'Ann Marie: Hi.']);
  });

  test('examples: pinned before the history wins the budget, none leaves them out', () => {
    const character = { name: 'S', message_example: '<START>\n{{user}}: one two three\n{{char}}: four five six' };
    const fifteen = 'a b c d e f g h i j k l m n o';
    const history = [user('u1', fifteen), bot('a1', fifteen)];
    const tight = { name: 'test', tokenizer: words, contextSize: 70, replyReserve: 10 };
    const fit = assemblePrompt(input({ character, history, model: tight }));
    const pinned = assemblePrompt(input({ character, history, model: tight, options: { examples: 'pinned' } }));
    expect(fit.dropped).toEqual({ exampleBlocks: 1, historyMessages: 0 });
    expect(pinned.dropped.exampleBlocks).toBe(0);
    expect(pinned.dropped.historyMessages).toBeGreaterThan(0);
    expect(assemblePrompt(input({ character, options: { examples: 'none' } })).layout.some((l) => l.section === 'examples')).toBe(false);
  });

  test('continue with prefill: the message being continued is the final assistant message', () => {
    const result = assemblePrompt(
      input({
        mode: 'continue',
        history: [user('u', 'Tell me.'), bot('a', 'Once upon a time')],
        prompts: { main: 'Main.', newChat: '', postHistoryInstructions: 'PHI.' },
        options: { continuePrefill: true },
      }),
    );
    expect(result.messages.slice(-3)).toEqual([
      { role: 'user', content: 'Tell me.' },
      { role: 'system', content: 'PHI.' },
      { role: 'assistant', content: 'Once upon a time' },
    ]);
    expect(result.layout.at(-1)?.section).toBe('continue_prefill');
  });
});

describe('assemblePrompt: history window and injections', () => {
  test('an assistant tool call and its results are kept or dropped together, and injections do not split them', () => {
    const history: PromptHistoryMessage[] = [
      user('u1', 'one two three four five six seven eight'),
      {
        id: 'a1',
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'roll', arguments: '{}' } }],
      },
      { id: 't1', role: 'tool', content: '17', tool_call_id: 'call_1' },
      bot('a2', 'You rolled seventeen.'),
    ];
    const result = assemblePrompt(
      input({ history, userTurn: { id: 'u2', content: 'Nice.' }, chat: { chatId: 'c', authorsNote: { text: 'Note.', depth: 3 } } }),
    );
    const ids = result.layout.map((l) => l.messageId ?? l.section);
    // depth 3 would fall between the call and its result: it moves up, before the call.
    expect(ids).toEqual(['main', 'description', 'u1', 'injection', 'a1', 't1', 'a2', 'u2']);
    expect(result.messages[5]).toEqual({ role: 'tool', content: '17', tool_call_id: 'call_1' });

    const unitCost = result.layout[4]!.tokens + result.layout[5]!.tokens;
    const fixed =
      result.tokens.total -
      result.layout.filter((l) => l.messageId === 'u1' || l.messageId === 'a1' || l.messageId === 't1').reduce((s, l) => s + l.tokens, 0);
    const tight = assemblePrompt(
      input({
        history,
        userTurn: { id: 'u2', content: 'Nice.' },
        chat: { chatId: 'c', authorsNote: { text: 'Note.', depth: 3 } },
        model: { name: 'test', tokenizer: words, contextSize: fixed + unitCost - 1 + 100, replyReserve: 100 },
      }),
    );
    expect(tight.layout.map((l) => l.messageId ?? l.section)).toEqual(['main', 'description', 'injection', 'a2', 'u2']);
    expect(tight.dropped.historyMessages).toBe(3);
  });

  test('a tool result without its call id is left out', () => {
    const result = assemblePrompt(input({ history: [user('u', 'hi'), { id: 't', role: 'tool', content: 'orphan' }] }));
    expect(contents(result)).not.toContain('orphan');
  });

  test('an injection deeper than the kept history goes to its top, after the new-chat marker', () => {
    const result = assemblePrompt(
      input({
        history: [user('u1', 'hi')],
        prompts: { main: 'Main.' },
        chat: { chatId: 'c', authorsNote: { text: 'Deep note.', depth: 50 } },
        userTurn: { content: 'again' },
      }),
    );
    expect(contents(result)).toEqual(['Main.', 'A guardian.', '[Start a new Chat]', 'Deep note.', 'hi', 'again']);
  });

  test('roles at one depth come assistant, user, system', () => {
    const result = assemblePrompt(
      input({
        character: { name: 'S', extensions: { depth_prompt: { prompt: 'Char note.', depth: 0, role: 'assistant' } } },
        persona: { name: 'Ann', description: 'Persona.', position: 'at_depth', depth: 0, role: 'user' },
        chat: { chatId: 'c', authorsNote: { text: 'Note.', depth: 0, role: 'system' } },
        userTurn: { content: 'Hi' },
      }),
    );
    expect(result.messages.slice(-3)).toEqual([
      { role: 'assistant', content: 'Char note.' },
      { role: 'user', content: 'Persona.' },
      { role: 'system', content: 'Note.' },
    ]);
  });

  test('the mandatory parts must fit', () => {
    const call = () =>
      assemblePrompt(
        input({
          character: { name: 'S', description: 'word '.repeat(200) },
          model: { name: 't', tokenizer: words, contextSize: 150, replyReserve: 50 },
        }),
      );
    expect(call).toThrow(PromptBudgetExceededError);
    expect(call).toThrow(expect.objectContaining({ status: 400, code: 'prompt_exceeds_context' }));
  });
});

describe('assemblePrompt: input checks', () => {
  test.each([
    ['continue without messages', { mode: 'continue' as const }],
    ['a user turn while impersonating', { mode: 'impersonate' as const, userTurn: { content: 'x' } }],
    ['a reserve as large as the context', { model: { name: 't', tokenizer: words, contextSize: 100, replyReserve: 100 } }],
  ])('%s', (_label, overrides) => {
    expect(() => assemblePrompt(input(overrides))).toThrow(PromptInputError);
  });
});

describe("Author's Note frequency", () => {
  // Interval 1 means every turn, even before the first user message (SillyTavern forces the count to 1).
  test.each([
    [1, 0, true],
    [1, 1, true],
    [1, 7, true],
    [0, 3, false],
    [3, 1, false],
    [3, 2, false],
    [3, 3, true],
    [3, 4, false],
    [3, 6, true],
  ])('interval %i with %i user messages: %s', (interval, count, inserted) => {
    expect(shouldInsertAuthorsNote(interval, count)).toBe(inserted);
  });

  test('lorebook AN top/bottom entries wrap the note; nothing is left when all parts are empty', () => {
    expect(composeAuthorsNote({ note: 'N', worldInfoTop: ['T1', 'T2'], worldInfoBottom: ['B'] })).toBe('T1\nT2\nN\nB');
    expect(composeAuthorsNote({ note: 'N', worldInfoTop: [], worldInfoBottom: [] })).toBe('N');
    expect(composeAuthorsNote({ note: '', worldInfoTop: [], worldInfoBottom: [] })).toBe('');
  });
});

describe('example dialogue parsing', () => {
  test('blocks: <START> prepended when missing, any case, empty input', () => {
    expect(splitExampleBlocks('')).toEqual([]);
    expect(splitExampleBlocks('<START>')).toEqual([]);
    expect(splitExampleBlocks('Ann: hi\nBot: yo')).toEqual(['<START>\nAnn: hi\nBot: yo\n']);
    expect(splitExampleBlocks('<START>\na\n<start>\nb')).toEqual(['<START>\na\n', '<START>\nb\n']);
  });

  test('messages: speaker lines, continuation lines, preamble joins the first message', () => {
    const messages = parseExampleBlock('<START>\nA preamble line.\nAnn: Hello\nhow are you?\nSera: Fine.\nAnn: Good.', {
      user: 'Ann',
      character: ['Sera', 'Seraphina'],
    });
    expect(messages).toEqual([
      { role: 'system', name: 'example_user', content: 'A preamble line.\n Hello\nhow are you?' },
      { role: 'system', name: 'example_assistant', content: 'Fine.' },
      { role: 'system', name: 'example_user', content: 'Good.' },
    ]);
  });

  test('the card name is accepted for character lines when a nickname is shown', () => {
    expect(parseExampleBlock('<START>\nSeraphina: Hi', { user: 'Ann', character: ['Sera', 'Seraphina'] })).toEqual([
      { role: 'system', name: 'example_assistant', content: 'Hi' },
    ]);
  });
});
