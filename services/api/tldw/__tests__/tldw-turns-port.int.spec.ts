/**
 * Ports of the original's `Character_Chat_NEW/integration/test_role_normalization_and_search.py` tests of who
 * answers a turn and what its prompt carries (round-robin participants and a directed character in the chat
 * settings, the greeting and author's-note scopes, the steering instruction), against the original's literal
 * paths. Where the original monkeypatches its provider call to capture the payload, a local OpenAI-compatible
 * server stands in and records what it was sent.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import type { TestService } from '../../../../test/harness.ts';
import { startServiceWithStandInProvider } from '../../../../test/stand-in-provider-service.ts';

let svc: TestService;
let upstream: FakeLlmServer;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ svc, upstream, close } = await startServiceWithStandInProvider());
}, 120_000);
afterAll(async () => {
  await close?.();
});

const ROLES = 'Character_Chat_NEW/integration/test_role_normalization_and_search.py';
const post = (path: string, body?: unknown) => svc.request('POST', path, body === undefined ? {} : { body });
const put = (path: string, body: unknown) => svc.request('PUT', path, { body });
const get = (path: string) => svc.request('GET', path);
const now = () => new Date().toISOString();

type Turn = { role: string; content: string };
const sentMessages = () => (upstream.requests.at(-1)!.body as { messages: Turn[] }).messages;
const assistantContents = (messages: Turn[]) => messages.filter((m) => m.role === 'assistant').map((m) => m.content);
const authorNotes = (messages: Turn[]) => messages.filter((m) => m.role === 'system' && m.content.startsWith("Author's note:"));

/** The original picks `GET /characters/` `[0]`; each test here makes its own. */
async function character(name: string, fields: Record<string, unknown> = {}): Promise<{ id: string; name: string; version: number }> {
  const created = await post('/api/v1/characters/', { name: `${name} ${Date.now()} ${Math.random()}`, ...fields });
  expect(created.status).toBe(201);
  return created.body;
}

async function chatOf(characterId: string, settings?: Record<string, unknown>): Promise<string> {
  const chat = await post('/api/v1/chats/', { character_id: characterId });
  expect(chat.status).toBe(201);
  if (settings)
    expect(
      (await put(`/api/v1/chats/${chat.body.id}/settings`, { settings: { schemaVersion: 2, updatedAt: now(), ...settings } })).status,
    ).toBe(200);
  return chat.body.id;
}

async function completeV2(chatId: string, fields: Record<string, unknown>, reply = 'ok') {
  upstream.reply({ text: reply });
  return post(`/api/v1/chats/${chatId}/complete-v2`, { provider: 'openai', model: 'gpt-x', ...fields });
}

describe(ROLES, () => {
  test(`${ROLES}::test_complete_v2_round_robin_turn_taking_persists_participant_senders`, async () => {
    const primary = await character('RoundRobin Primary');
    const secondary = await character('RoundRobin Secondary');
    const chatId = await chatOf(primary.id, { turnTakingMode: 'round_robin', participantCharacterIds: [secondary.id] });
    const first = await completeV2(chatId, { append_user_message: 'turn-1', save_to_db: true }, 'ok-1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ character_id: primary.id, speaker_character_id: primary.id, speaker_character_name: primary.name });
    const second = await completeV2(chatId, { append_user_message: 'turn-2', save_to_db: true }, 'ok-2');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      character_id: secondary.id,
      speaker_character_id: secondary.id,
      speaker_character_name: secondary.name,
    });
    const messages = (await get(`/api/v1/chats/${chatId}/messages`)).body.messages as Array<{ sender: string }>;
    const senders = messages.map((m) => m.sender).filter((s) => s !== 'user' && s !== 'system');
    expect(senders.slice(-2)).toEqual([primary.name, secondary.name]);
  });

  test(`${ROLES}::test_complete_v2_directed_character_override_and_round_robin_continuation`, async () => {
    const primary = await character('Directed Primary');
    const secondary = await character('Directed Secondary');
    const chatId = await chatOf(primary.id, { turnTakingMode: 'round_robin', participantCharacterIds: [secondary.id] });
    const directed = await completeV2(
      chatId,
      { append_user_message: 'turn-1', directed_character_id: secondary.id, save_to_db: true },
      'ok-1',
    );
    expect(directed.status).toBe(200);
    expect(directed.body.speaker_character_id).toBe(secondary.id);
    const next = await completeV2(chatId, { append_user_message: 'turn-2', save_to_db: true }, 'ok-2');
    expect(next.status).toBe(200);
    expect(next.body.speaker_character_id).toBe(primary.id);
  });

  test(`${ROLES}::test_complete_v2_rejects_directed_character_not_in_participants`, async () => {
    const primary = await character('Directed Primary');
    const included = await character('Directed Included');
    const excluded = await character('Directed Excluded');
    const chatId = await chatOf(primary.id, { turnTakingMode: 'round_robin', participantCharacterIds: [included.id] });
    const calls = upstream.requests.length;
    // No reply is queued on the stand-in provider: the request must not reach it.
    const r = await post(`/api/v1/chats/${chatId}/complete-v2`, {
      provider: 'openai',
      model: 'gpt-x',
      append_user_message: 'turn-1',
      directed_character_id: excluded.id,
      save_to_db: false,
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe('directed_character_id must reference a selected participant in this chat');
    expect(upstream.requests.length).toBe(calls);
  });

  test(`${ROLES}::test_complete_v2_memory_scope_character_uses_directed_speaker_note`, async () => {
    const primary = await character('Memory Primary');
    const secondary = await character('Memory Secondary');
    const chatId = await chatOf(primary.id, {
      participantCharacterIds: [secondary.id],
      memoryScope: 'character',
      authorNote: 'shared-note-should-not-appear',
      characterMemoryById: {
        [primary.id]: { note: 'primary-note-should-not-appear', updatedAt: now() },
        [secondary.id]: { note: 'secondary-note-should-appear', updatedAt: now() },
      },
    });
    const r = await completeV2(chatId, { append_user_message: 'turn-1', directed_character_id: secondary.id, save_to_db: false });
    expect(r.status).toBe(200);
    const notes = authorNotes(sentMessages());
    expect(notes).toHaveLength(1);
    expect(notes[0]!.content).toContain('secondary-note-should-appear');
    expect(notes[0]!.content).not.toContain('primary-note-should-not-appear');
    expect(notes[0]!.content).not.toContain('shared-note-should-not-appear');
  });

  test(`${ROLES}::test_complete_v2_character_greeting_scope_injects_per_participant_first_turn`, async () => {
    const primaryGreeting = 'primary-stage-i2-greeting-token';
    const secondaryGreeting = 'secondary-stage-i2-greeting-token';
    const primary = await character('Greeting Primary', { first_message: primaryGreeting });
    const secondary = await character('Greeting Secondary', { first_message: secondaryGreeting });
    const chatId = await chatOf(primary.id, {
      greetingScope: 'character',
      greetingEnabled: true,
      turnTakingMode: 'round_robin',
      participantCharacterIds: [secondary.id],
    });
    const first = await completeV2(chatId, { append_user_message: 'turn-1', save_to_db: true }, 'ok-1');
    expect(first.body.speaker_character_id).toBe(primary.id);
    const firstSent = assistantContents(sentMessages());
    expect(firstSent.some((c) => c.includes(primaryGreeting))).toBe(true);
    expect(firstSent.some((c) => c.includes(secondaryGreeting))).toBe(false);
    const second = await completeV2(chatId, { append_user_message: 'turn-2', save_to_db: true }, 'ok-2');
    expect(second.body.speaker_character_id).toBe(secondary.id);
    const secondSent = assistantContents(sentMessages());
    expect(secondSent.some((c) => c.includes(secondaryGreeting))).toBe(true);
    expect(secondSent.some((c) => c.includes(primaryGreeting))).toBe(false);
  });

  test(`${ROLES}::test_complete_v2_chat_greeting_scope_injects_once_for_group_chat`, async () => {
    const primaryGreeting = 'primary-chat-scope-greeting-token';
    const secondaryGreeting = 'secondary-chat-scope-greeting-token';
    const primary = await character('Greeting Primary Chat Scope', { first_message: primaryGreeting });
    const secondary = await character('Greeting Secondary Chat Scope', { first_message: secondaryGreeting });
    const chatId = await chatOf(primary.id, {
      greetingScope: 'chat',
      greetingEnabled: true,
      turnTakingMode: 'round_robin',
      participantCharacterIds: [secondary.id],
    });
    expect((await completeV2(chatId, { append_user_message: 'turn-1', save_to_db: true }, 'ok-1')).status).toBe(200);
    const firstSent = assistantContents(sentMessages());
    expect((await completeV2(chatId, { append_user_message: 'turn-2', save_to_db: true }, 'ok-2')).status).toBe(200);
    const secondSent = assistantContents(sentMessages());
    expect(firstSent.some((c) => c.includes(primaryGreeting))).toBe(true);
    expect(secondSent.some((c) => c.includes(primaryGreeting) || c.includes(secondaryGreeting))).toBe(false);
  });

  test(`${ROLES}::test_complete_v2_character_greeting_scope_single_participant_injects_once`, async () => {
    const token = 'single-participant-greeting-token';
    const primary = await character('Greeting Single', { first_message: token });
    const chatId = await chatOf(primary.id, { greetingScope: 'character', greetingEnabled: true });
    expect((await completeV2(chatId, { append_user_message: 'turn-1', save_to_db: true }, 'ok-1')).status).toBe(200);
    const firstSent = assistantContents(sentMessages());
    expect((await completeV2(chatId, { append_user_message: 'turn-2', save_to_db: true }, 'ok-2')).status).toBe(200);
    const secondSent = assistantContents(sentMessages());
    expect(firstSent.some((c) => c.includes(token))).toBe(true);
    expect(secondSent.some((c) => c.includes(token))).toBe(false);
  });

  test(`${ROLES}::test_complete_v2_character_greeting_scope_respects_disabled_toggle`, async () => {
    const token = 'disabled-character-greeting-token';
    const primary = await character('Greeting Disabled', { first_message: token });
    const chatId = await chatOf(primary.id, { greetingScope: 'character', greetingEnabled: false });
    expect((await completeV2(chatId, { append_user_message: 'turn-1', save_to_db: false })).status).toBe(200);
    expect(sentMessages().some((m) => m.content.includes(token))).toBe(false);
  });

  test(`${ROLES}::test_complete_v2_author_note_memory_scope_character_overrides_shared`, async () => {
    const primary = await character('Note Scope');
    const chatId = await chatOf(primary.id, {
      authorNote: 'shared-note-should-not-appear',
      memoryScope: 'character',
      characterMemoryById: { [primary.id]: { note: 'character-note-should-appear', updatedAt: now() } },
    });
    expect((await completeV2(chatId, { append_user_message: 'test', save_to_db: false })).status).toBe(200);
    const notes = authorNotes(sentMessages());
    expect(notes).toHaveLength(1);
    expect(notes[0]!.content).toContain('character-note-should-appear');
    expect(notes[0]!.content).not.toContain('shared-note-should-not-appear');
  });

  test(`${ROLES}::test_complete_v2_uses_character_default_author_note_when_chat_note_empty`, async () => {
    const created = await character('Note Default');
    const note = 'default-note-from-character-extensions';
    const updated = await put(`/api/v1/characters/${created.id}?expected_version=${created.version}`, {
      extensions: { default_author_note: note },
    });
    expect(updated.status).toBe(200);
    const chatId = await chatOf(created.id, { authorNote: '   ', memoryScope: 'shared' });
    expect((await completeV2(chatId, { append_user_message: 'test', save_to_db: false })).status).toBe(200);
    const notes = authorNotes(sentMessages());
    expect(notes).toHaveLength(1);
    expect(notes[0]!.content).toContain(note);
  });

  test(`${ROLES}::test_complete_v2_injects_message_steering_instruction`, async () => {
    const chatId = await chatOf((await character('Steering')).id);
    const r = await completeV2(chatId, {
      include_character_context: false,
      append_user_message: 'test',
      continue_as_user: true,
      impersonate_user: true,
      force_narrate: true,
      save_to_db: false,
    });
    expect(r.status).toBe(200);
    const sent = sentMessages();
    const steering = sent.filter((m) => m.role === 'system' && m.content.startsWith('Steering instruction (single response):'));
    expect(steering).toHaveLength(1);
    expect(steering[0]!.content).toContain('authored by the user');
    expect(steering[0]!.content).not.toContain("Continue the user's current thought");
    expect(steering[0]!.content).toContain('narrative prose style');
    const userIndex = sent.findIndex((m) => m.role === 'user' && m.content === 'test');
    expect(userIndex).toBeGreaterThan(-1);
    expect(sent.indexOf(steering[0]!)).toBeLessThan(userIndex);
  });

  test(`${ROLES}::test_prepare_completions_includes_message_steering_instruction`, async () => {
    const chatId = await chatOf((await character('Steering Prepare')).id);
    const r = await post(`/api/v1/chats/${chatId}/completions`, {
      include_character_context: false,
      append_user_message: 'prep-msg',
      continue_as_user: true,
      force_narrate: true,
    });
    expect(r.status).toBe(200);
    const steering = (r.body.messages as Turn[]).find(
      (m) => m.role === 'system' && m.content.startsWith('Steering instruction (single response):'),
    );
    expect(steering).toBeDefined();
    expect(steering!.content).toContain("Continue the user's current thought");
    expect(steering!.content).toContain('narrative prose style');
  });

  test(`${ROLES}::test_export_uses_participant_alias_for_tool_calls_inline_fallback`, async () => {
    const primary = await character('Export Primary');
    const secondary = await character('Export Secondary');
    const chatId = await chatOf(primary.id, { turnTakingMode: 'round_robin', participantCharacterIds: [secondary.id] });
    const callId = 'call_secondary_inline_1';
    const inline = `secondary-turn\n[tool_calls]: [{"id":"${callId}","type":"function","function":{"name":"lookup","arguments":"{}"}}]`;
    expect((await completeV2(chatId, { append_user_message: 'first-turn', save_to_db: true }, 'primary-turn')).status).toBe(200);
    const second = await completeV2(chatId, { append_user_message: 'second-turn', save_to_db: true }, inline);
    expect(second.status).toBe(200);
    expect(second.body.speaker_character_name).toBe(secondary.name);
    expect(second.body.assistant_message_id).toBeTruthy();
    const r = await get(`/api/v1/chats/${chatId}/export?format=json&include_metadata=true`);
    expect(r.status).toBe(200);
    const exported = (r.body.messages as Array<{ id: string; role: string; tool_calls?: Array<{ id: string }> }>).find(
      (m) => m.id === second.body.assistant_message_id,
    );
    expect(exported).toBeDefined();
    expect(exported!.role).toBe(secondary.name);
    expect((exported!.tool_calls ?? []).some((call) => call.id === callId)).toBe(true);
  });

  /** A chat with six stored messages (the original seeds them over `POST /chats/{id}/messages`), their ids by index. */
  async function seededChat(first: string): Promise<{ chatId: string; messages: Array<{ id: string; version: number }> }> {
    const chatId = await chatOf((await character('Summary')).id);
    const seeded = [
      ['user', first],
      ['assistant', 'older-assistant-1'],
      ['user', 'older-user-2'],
      ['assistant', 'older-assistant-2'],
      ['user', 'recent-user-1'],
      ['assistant', 'recent-assistant-1'],
    ];
    const messages = [];
    for (const [role, content] of seeded) {
      const r = await post(`/api/v1/chats/${chatId}/messages`, { role, content });
      expect(r.status).toBe(201);
      messages.push({ id: r.body.id as string, version: r.body.version as number });
    }
    return { chatId, messages };
  }
  const summarySettings = { autoSummaryEnabled: true, autoSummaryThresholdMessages: 4, autoSummaryWindowMessages: 2 };
  const summaries = (messages: Turn[]) => messages.filter((m) => m.role === 'system' && m.content.startsWith('Conversation summary:'));

  test(`${ROLES}::test_complete_v2_auto_summary_injects_and_persists_to_chat_settings`, async () => {
    const { chatId } = await seededChat('older-user-1');
    const settings = { schemaVersion: 2, updatedAt: now(), ...summarySettings };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    const r = await completeV2(chatId, { include_character_context: false, append_user_message: 'latest-user', save_to_db: false });
    expect(r.status).toBe(200);
    const found = summaries(sentMessages());
    expect(found).toHaveLength(1);
    expect(found[0]!.content).toContain('older-user-1');
    expect(found[0]!.content).toContain('older-assistant-2');
    const stored = await get(`/api/v1/chats/${chatId}/settings`);
    expect(stored.status).toBe(200);
    const summary = stored.body.settings.summary;
    expect(typeof summary.content).toBe('string');
    expect(summary.content.trim()).not.toBe('');
    expect(summary.sourceRange.toMessageId).toBeTruthy();
  });

  test(`${ROLES}::test_complete_v2_auto_summary_excludes_pinned_messages_from_compression`, async () => {
    const { chatId, messages } = await seededChat('PINNED-OLDER-USER');
    const pinned = messages[0]!;
    const pin = await put(`/api/v1/messages/${pinned.id}?expected_version=${pinned.version}`, {
      content: 'PINNED-OLDER-USER',
      pinned: true,
    });
    expect(pin.status).toBe(200);
    const settings = { schemaVersion: 2, updatedAt: now(), ...summarySettings };
    expect((await put(`/api/v1/chats/${chatId}/settings`, { settings })).status).toBe(200);
    const r = await completeV2(chatId, { include_character_context: false, append_user_message: 'latest-user', save_to_db: false });
    expect(r.status).toBe(200);
    const sent = sentMessages();
    const found = summaries(sent);
    expect(found).toHaveLength(1);
    expect(found[0]!.content).not.toContain('PINNED-OLDER-USER');
    expect(sent.some((m) => m.role === 'user' && m.content === 'PINNED-OLDER-USER')).toBe(true);
  });
});
