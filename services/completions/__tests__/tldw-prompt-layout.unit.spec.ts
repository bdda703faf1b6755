import { describe, expect, test } from '@jest/globals';
import type { AssembledPrompt, PromptLayoutItem, PromptMessage, PromptSection } from '../../../shared/prompt/index.ts';
import { resolveCounter } from '../../../shared/prompt/prompt-input.ts';
import { applyTldwLayout, authorNoteOf, type TldwLayoutContext, type TldwLayoutRequest } from '../tldw-prompt-layout.ts';

const counter = resolveCounter(undefined, 'gpt-4o');

/** A prompt as the assembly gives it: the character's system prompt, the stored history, the new user turn. */
function prompt(): AssembledPrompt {
  const parts: Array<[PromptSection, PromptMessage, string?]> = [
    ['main', { role: 'system', content: 'You are Ava.' }],
    ['history', { role: 'user', content: 'u1' }, 'm1'],
    ['history', { role: 'assistant', content: 'a1' }, 'm2'],
    ['user_turn', { role: 'user', content: 'latest' }],
  ];
  const layout: PromptLayoutItem[] = parts.map(([section, m, id]) => ({
    section,
    tokens: counter.count(m.content),
    ...(id ? { messageId: id } : {}),
  }));
  const total = layout.reduce((sum, l) => sum + l.tokens, 0);
  return { messages: parts.map(([, m]) => m), layout, tokens: { total } } as AssembledPrompt;
}

const request = (fields: Partial<TldwLayoutRequest> = {}): TldwLayoutRequest => ({
  includeCharacterContext: true,
  continueAsUser: false,
  impersonateUser: false,
  forceNarrate: false,
  participantCount: 1,
  primaryName: 'Ava',
  ...fields,
});

const context = (settings: Record<string, unknown>, history: TldwLayoutContext['history'] = []): TldwLayoutContext => ({
  settings,
  character: { id: 'c1', name: 'Ava', extensions: {}, greetings: ['Hi {{user}}, I am {{char}}.'] },
  userName: 'Sam',
  history,
  pinnedIds: new Set(),
  counter,
});

describe("tldw_server's prompt layout", () => {
  test("the author's note is the first message, labelled, placeholders rendered; layout stays parallel", () => {
    const laid = applyTldwLayout(prompt(), request(), context({ author_note: 'Be brief with {{user}}.' }));
    expect(laid.messages[0]).toEqual({ role: 'system', content: "Author's note:\nBe brief with Sam." });
    expect(laid.layout).toHaveLength(laid.messages.length);
    expect(laid.layout[0]!.section).toBe('authors_note');
    expect(laid.tokens.total).toBe(laid.layout.reduce((sum, l) => sum + l.tokens, 0));
  });

  test('at a depth, counted in non-system messages; without character context only the conversation goes', () => {
    const settings = { author_note: 'depth-note', extensions: { authorNotePosition: { mode: 'depth', depth: 1 } } };
    const laid = applyTldwLayout(prompt(), request({ includeCharacterContext: false }), context(settings));
    expect(laid.messages.map((m) => m.content)).toEqual(['u1', "Author's note:\ndepth-note", 'a1', 'latest']);
  });

  test('memoryScope picks the note: the character entry, the card default, or both', () => {
    const character = { id: 'c1', name: 'Ava', extensions: { default_author_note: 'card-note' }, greetings: [] };
    expect(authorNoteOf({ authorNote: 'shared', memoryScope: 'character' }, character)).toBe('card-note');
    expect(authorNoteOf({ authorNote: ' ', memoryScope: 'shared' }, character)).toBe('card-note');
    expect(authorNoteOf({ authorNote: 'shared', memoryScope: 'both', characterMemoryById: { c1: { note: 'mine' } } }, character)).toBe(
      'shared\n\nmine',
    );
    expect(authorNoteOf({ authorNote: 'shared', authorNoteEnabled: false }, character)).toBe('');
  });

  test('the character-scoped greeting goes before the latest user message until the character has replied', () => {
    const settings = { extensions: { greetingScope: 'character' } };
    const fresh = applyTldwLayout(prompt(), request({ includeCharacterContext: false }), context(settings));
    expect(fresh.messages.map((m) => m.content)).toEqual(['u1', 'a1', 'Hi Sam, I am Ava.', 'latest']);
    const replied = applyTldwLayout(prompt(), request(), context(settings, [{ id: 'm2', role: 'assistant', content: 'a1' }]));
    expect(replied.messages.some((m) => m.content.startsWith('Hi Sam'))).toBe(false);
    const off = applyTldwLayout(prompt(), request(), context({ extensions: { greetingScope: 'character', greetingEnabled: false } }));
    expect(off.messages.some((m) => m.content.startsWith('Hi Sam'))).toBe(false);
  });

  test('steering: impersonating wins over continuing, before the latest user message', () => {
    const laid = applyTldwLayout(
      prompt(),
      request({ includeCharacterContext: false, continueAsUser: true, impersonateUser: true, forceNarrate: true }),
      context({}),
    );
    expect(laid.messages.at(-2)!.content).toBe(
      "Steering instruction (single response): Write this reply as if it is authored by the user, in first person, while preserving the user's intent. Use narrative prose style for this reply.",
    );
    expect(laid.messages.at(-1)!.content).toBe('latest');
  });

  test('with character context the system prompt ends with the emote instruction', () => {
    const laid = applyTldwLayout(prompt(), request(), context({}));
    expect(laid.messages[0]!.content).toMatch(/^You are Ava\.\n\nWhen the character expression should change, .*`Emote: <state>`/);
  });
});
