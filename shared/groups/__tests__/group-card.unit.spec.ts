import { describe, expect, test } from '@jest/globals';
import { cardFromBasicFields } from '../../cards/index.ts';
import { assemblePrompt, type PromptHistoryMessage, type PromptInput } from '../../prompt/index.ts';
import type { TokenCounter } from '../../tokenizer/index.ts';
import { DEFAULT_GROUP_NUDGE, groupMemberNames, groupSpeakerCard, memberCharacterNotes, type GroupCardMember } from '../group-card.ts';

const words: TokenCounter = { family: 'approximate', count: (t) => t.split(/\s+/).filter(Boolean).length };

const member = (id: string, enabled: boolean, fields: Parameters<typeof cardFromBasicFields>[0]): GroupCardMember => ({
  id,
  enabled,
  card: cardFromBasicFields(fields),
});
const alice = member('a', true, {
  name: 'Alice',
  description: '{{char}} is a knight.',
  personality: 'brave',
  scenario: 'A castle.',
  message_example: '<START>\n{{char}}: En garde!',
  system_prompt: 'You are {{char}}, always.',
  post_history_instructions: 'Stay in character as {{char}}.',
});
const bob = member('b', true, {
  name: 'Bob',
  description: '{{char}} is a bard.',
  personality: '',
  scenario: 'A tavern.',
  message_example: 'Bob: La la.',
});
const carol = member('c', false, {
  name: 'Carol',
  description: '{{char}} sleeps.',
  personality: 'sleepy',
  scenario: '',
  message_example: '',
});
const members = [alice, bob, carol];

const prompt = (card: PromptInput['character'], history: PromptHistoryMessage[], mode: PromptInput['mode'] = 'normal') =>
  assemblePrompt({
    character: card,
    persona: { name: 'Ann' },
    history,
    chat: { chatId: 'g' },
    model: { name: 'test', tokenizer: words, contextSize: 10_000, replyReserve: 100 },
    prompts: { main: 'Main.', newChat: '', groupNudge: DEFAULT_GROUP_NUDGE },
    options: { names: 'content' },
    mode,
    random: () => 0,
    clock: () => new Date('2025-01-06T12:00:00Z'),
  });

const history: PromptHistoryMessage[] = [
  { id: '1', role: 'assistant', name: 'Alice', content: 'Welcome.' },
  { id: '2', role: 'user', content: 'Hello both.' },
  { id: '3', role: 'assistant', name: 'Bob', content: 'A song for {{user}}!' },
];

describe('group speaker card', () => {
  test('swap: the speaker card alone; the others speak as named turns and the nudge names the speaker', () => {
    const card = groupSpeakerCard({ mode: 'swap', members, speakerId: 'a', joinPrefix: '', joinSuffix: '' });
    expect(card).toBe(alice.card);
    const result = prompt(card, history);
    expect(result.messages.map((m) => [m.role, m.content])).toEqual([
      ['system', 'You are Alice, always.'],
      ['system', 'Alice is a knight.'],
      ['system', "[Alice's personality: brave]"],
      ['system', '[Circumstances and context of the dialogue: A castle.]'],
      ['system', '[Example Chat]'],
      ['system', 'En garde!'],
      ['assistant', 'Alice: Welcome.'],
      ['user', 'Ann: Hello both.'],
      ['assistant', 'Bob: A song for Ann!'],
      ['system', '[Write the next reply only as Alice.]'],
      ['system', 'Stay in character as Alice.'],
    ]);
  });

  test("append: every unmuted member's fields joined in list order (a muted one only as the speaker), the rest the speaker's", () => {
    const card = groupSpeakerCard({ mode: 'append', members, speakerId: 'b', joinPrefix: '', joinSuffix: '' });
    expect(card.data.name).toBe('Bob');
    expect(card.data.description).toBe('Alice is a knight.\nBob is a bard.');
    expect(card.data.personality).toBe('brave');
    expect(card.data.scenario).toBe('A castle.\nA tavern.');
    expect(card.data.mes_example).toBe('<START>\nAlice: En garde!\n<START>\nBob: La la.');
    expect(card.data.system_prompt).toBe('');
    const result = prompt(card, history);
    const texts = result.messages.map((m) => m.content);
    expect(texts).toContain('Alice is a knight.\nBob is a bard.');
    expect(texts).toContain("[Bob's personality: brave]");
    expect(texts[texts.length - 1]).toBe('[Write the next reply only as Bob.]');

    const mutedSpeaker = groupSpeakerCard({ mode: 'append', members, speakerId: 'c', joinPrefix: '', joinSuffix: '' });
    expect(mutedSpeaker.data.description).toBe('Alice is a knight.\nBob is a bard.\nCarol sleeps.');
  });

  test('append_disabled: muted members joined too; prefix and suffix around each part with <FIELDNAME> and {{char}}', () => {
    const card = groupSpeakerCard({
      mode: 'append_disabled',
      members,
      speakerId: 'a',
      joinPrefix: '<{{char}} <FIELDNAME>>',
      joinSuffix: '</{{char}}>',
    });
    expect(card.data.description).toBe(
      '<Alice Description>Alice is a knight.</Alice>\n<Bob Description>Bob is a bard.</Bob>\n<Carol Description>Carol sleeps.</Carol>',
    );
    expect(card.data.personality).toBe('<Alice Personality>brave</Alice>\n<Carol Personality>sleepy</Carol>');
    expect(card.data.post_history_instructions).toBe('Stay in character as {{char}}.');
  });

  test('impersonation has no nudge; {{group}} names every member, muted included', () => {
    const result = prompt(alice.card, history, 'impersonate');
    expect(result.layout.map((l) => l.section)).not.toContain('group_nudge');
    expect(groupMemberNames(members)).toBe('Alice, Bob, Carol');
    const card = cardFromBasicFields({
      name: 'Alice',
      system_prompt: 'A chat between {{group}} and {{user}} ({{charIfNotGroup}}); you are {{char}}.',
    });
    const withGroup = assemblePrompt({
      character: card,
      persona: { name: 'Ann' },
      history: [],
      chat: { chatId: 'g', groupMembers: groupMemberNames(members) },
      model: { name: 'test', tokenizer: words, contextSize: 10_000, replyReserve: 100 },
      prompts: { newChat: '' },
    });
    expect(withGroup.messages[0]!.content).toBe('A chat between Alice, Bob, Carol and Ann (Alice, Bob, Carol); you are Alice.');
  });

  test('a speaker outside the group is refused', () => {
    expect(() => groupSpeakerCard({ mode: 'swap', members, speakerId: 'z', joinPrefix: '', joinSuffix: '' })).toThrow('not a member');
  });
});

describe("the members' character's notes (SillyTavern's group depth prompts)", () => {
  const noted = (id: string, enabled: boolean, name: string, prompt: string) =>
    member(id, enabled, { name, description: '', extensions: { depth_prompt: { prompt, depth: 2, role: 'user' } } });
  const group = [
    noted('a', true, 'Alice', '{{char}} hums.'),
    noted('b', true, 'Bob', '<BOT> naps.'),
    noted('c', false, 'Carol', 'Carol is muted.'),
  ];

  test('joined cards: every unmuted member but the speaker, with {{char}} as that member; swap: none', () => {
    expect(memberCharacterNotes({ mode: 'append', members: group, speakerId: 'a' })).toEqual([
      { prompt: 'Bob naps.', depth: 2, role: 'user' },
    ]);
    // Muted members stay out even when their cards are joined (append_disabled), as in SillyTavern.
    expect(memberCharacterNotes({ mode: 'append_disabled', members: group, speakerId: 'b' })).toEqual([
      { prompt: 'Alice hums.', depth: 2, role: 'user' },
    ]);
    expect(memberCharacterNotes({ mode: 'swap', members: group, speakerId: 'a' })).toEqual([]);
  });

  test("prompt assembly injects each at its depth and role beside the speaker's own note", () => {
    const card = groupSpeakerCard({ mode: 'append', members, speakerId: 'a', joinPrefix: '', joinSuffix: '' });
    const messages = assemblePrompt({
      character: card,
      persona: { name: 'Ann' },
      history,
      chat: { chatId: 'g', memberNotes: [{ prompt: 'Bob naps.', depth: 1, role: 'user' }] },
      model: { name: 'test', tokenizer: words, contextSize: 10_000, replyReserve: 100 },
      prompts: { main: 'Main.', newChat: '', groupNudge: DEFAULT_GROUP_NUDGE },
      options: { names: 'content' },
      mode: 'normal',
      random: () => 0,
      clock: () => new Date('2025-01-06T12:00:00Z'),
    }).messages;
    const at = messages.findIndex((m) => m.content === 'Bob naps.');
    expect(at).toBeGreaterThan(0);
    expect(messages[at]!.role).toBe('user');
    // Depth 1: before the last message of the history.
    expect(messages[at + 1]!.content).toContain('A song for Ann!');
  });
});
