import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';

/** Group chats end to end: HTTP -> speaker choice -> one job per speaker -> fake OpenAI upstream -> stored replies. */
let svc: TestService;
let upstream: FakeLlmServer;
beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'fake-model', LLM_TIMEOUT_MS: '5000' },
    roles: { api: true, projector: true, worker: true },
  });
}, 30_000);
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

async function character(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await svc.request('POST', '/api/v1/characters', { body: { name, ...extra } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function group(body: Record<string, unknown>): Promise<string> {
  const res = await svc.request('POST', '/api/v1/groups', { body });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function groupChat(groupId: string) {
  const res = await svc.request('POST', '/api/v1/character_chats', { body: { group_id: groupId, settings: { user_name: 'Ann' } } });
  expect(res.status).toBe(201);
  return res.body;
}

const messagesOf = async (chatId: string) =>
  (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=100`)).body.items as Array<Record<string, any>>;

/** The text a request's messages carried, as the upstream saw it. */
const promptOf = (i: number) => (upstream.requests[i]!.body as { messages: Array<{ role: string; content: string }> }).messages;

describe('group chats', () => {
  test("a group chat opens with each member's greeting (muted included, group-only greetings in the pool), each naming its speaker", async () => {
    const alice = await character('Alice', { first_message: 'Hello {{user}}, I am {{char}}.' });
    const bob = await character('Bob', { first_message: '' });
    const carol = await character('Carol', { first_message: 'Carol waves.' });
    const g = await group({ name: 'Trio', member_ids: [alice, bob, { character_id: carol, enabled: false }] });
    const chat = await groupChat(g);
    expect(chat).toMatchObject({ group_id: g, character_id: null, character_name: 'Trio', message_count: 2 });
    const messages = await messagesOf(chat.id);
    expect(messages.map((m) => [m.sender, m.name, m.speaker_id, m.content])).toEqual([
      ['assistant', 'Alice', alice, 'Hello Ann, I am Alice.'],
      ['assistant', 'Carol', carol, 'Carol waves.'],
    ]);
    expect(messages[1]!.parent_message_id).toBe(messages[0]!.id);

    expect((await svc.request('POST', '/api/v1/character_chats', { body: { group_id: g, character_id: alice } })).status).toBe(400);
    expect((await svc.request('POST', '/api/v1/character_chats', { body: { group_id: g, greeting_index: 1 } })).status).toBe(400);
    const missing = await svc.request('POST', '/api/v1/character_chats', { body: { group_id: '01a20b51-8aef-70e2-bc70-d07f7c1061d9' } });
    expect(missing.status).toBe(404);
  }, 30_000);

  test('list strategy: every enabled member answers in turn; each later speaker sees the earlier replies as named turns', async () => {
    const alice = await character('Lancelot', {
      first_message: 'Hi.',
      description: '{{char}} is a knight.',
      system_prompt: 'A tale of {{group}}.',
    });
    const bob = await character('Taliesin', { description: '{{char}} is a bard.' });
    const dave = await character('Mordred');
    const g = await group({
      name: 'Listed',
      member_ids: [alice, bob, { character_id: dave, enabled: false }],
      activation_strategy: 'list',
    });
    const chat = await groupChat(g);
    const before = upstream.requests.length;
    upstream.reply({ text: 'Lancelot answers.' }, { text: 'Taliesin sings.' });
    const res = await svc.request('POST', `/api/v1/character_chats/${chat.id}/complete`, { body: { message: 'Hello all' } });
    expect(res.status).toBe(200);
    expect(res.body.speakers.map((s: { speaker_id: string; name: string; content: string }) => [s.speaker_id, s.name, s.content])).toEqual([
      [alice, 'Lancelot', 'Lancelot answers.'],
      [bob, 'Taliesin', 'Taliesin sings.'],
    ]);
    expect(res.body).toMatchObject({ speaker_id: alice, content: 'Lancelot answers.', saved: true });
    expect(upstream.requests.length - before).toBe(2);

    const first = promptOf(before);
    expect(first.map((m) => m.content)).toEqual(
      expect.arrayContaining([
        'A tale of Lancelot, Taliesin, Mordred.',
        'Lancelot is a knight.',
        'Lancelot: Hi.',
        'Ann: Hello all',
        '[Write the next reply only as Lancelot.]',
      ]),
    );
    const second = promptOf(before + 1);
    expect(second.map((m) => m.content)).toEqual(
      expect.arrayContaining(['Taliesin is a bard.', 'Lancelot: Lancelot answers.', '[Write the next reply only as Taliesin.]']),
    );
    expect(second.map((m) => m.content)).not.toContain('Lancelot is a knight.');

    const messages = await messagesOf(chat.id);
    expect(messages.map((m) => [m.sender, m.name, m.speaker_id, m.content])).toEqual([
      ['assistant', 'Lancelot', alice, 'Hi.'],
      ['user', null, null, 'Hello all'],
      ['assistant', 'Lancelot', alice, 'Lancelot answers.'],
      ['assistant', 'Taliesin', bob, 'Taliesin sings.'],
    ]);

    const exported = await svc.request('GET', `/api/v1/character_chats/${chat.id}/export?format=json`);
    expect(exported.body.messages.map((m: { name: string; speaker_id?: string }) => [m.name, m.speaker_id ?? null])).toEqual([
      ['Lancelot', alice],
      ['Ann', null],
      ['Lancelot', alice],
      ['Taliesin', bob],
    ]);

    // regenerate keeps the speaker of the reply it replaces
    upstream.reply({ text: 'Taliesin sings again.' });
    const again = await svc.request('POST', `/api/v1/character_chats/${chat.id}/complete`, { body: { mode: 'regenerate' } });
    expect(again.status).toBe(200);
    expect(again.body.speakers.map((s: { speaker_id: string }) => s.speaker_id)).toEqual([bob]);
    const after = await messagesOf(chat.id);
    expect(after[after.length - 1]).toMatchObject({
      speaker_id: bob,
      name: 'Taliesin',
      content: 'Taliesin sings again.',
      alternate_count: 2,
    });
  }, 30_000);

  test('append mode joins the cards; a forced speaker answers even muted; prepare takes speaker_id; manual stores a message alone', async () => {
    const alice = await character('Gawain', { description: '{{char}} is a knight.' });
    const bob = await character('Percival', { description: '{{char}} is a bard.' });
    const carol = await character('Merlin', { description: '{{char}} sleeps.' });
    const g = await group({
      name: 'Joined',
      member_ids: [alice, bob, { character_id: carol, enabled: false }],
      activation_strategy: 'manual',
      generation_mode: 'append',
    });
    const chat = await groupChat(g);

    const prepared = await svc.request('POST', `/api/v1/character_chats/${chat.id}/prepare`, { body: { speaker_id: bob, message: 'Hi' } });
    expect(prepared.status).toBe(200);
    expect(prepared.body).toMatchObject({ speaker_id: bob, speaker_name: 'Percival', character_id: bob });
    expect(prepared.body.messages.map((m: { content: string }) => m.content)).toContain('Gawain is a knight.\nPercival is a bard.');

    // manual: a user message gets no reply, it is stored alone
    const before = upstream.requests.length;
    const alone = await svc.request('POST', `/api/v1/character_chats/${chat.id}/complete`, { body: { message: 'Anyone?' } });
    expect(alone.status).toBe(200);
    expect(alone.body).toMatchObject({ speakers: [], saved: true });
    expect(upstream.requests.length).toBe(before);
    expect((await messagesOf(chat.id)).map((m) => m.content)).toEqual(['Anyone?']);

    // Force Talk on a muted member: its card joins the others
    upstream.reply({ text: 'Zzz.' });
    const forced = await svc.request('POST', `/api/v1/character_chats/${chat.id}/complete`, { body: { speaker_id: carol } });
    expect(forced.status).toBe(200);
    expect(forced.body.speakers.map((s: { speaker_id: string }) => s.speaker_id)).toEqual([carol]);
    expect(promptOf(before).map((m) => m.content)).toContain('Gawain is a knight.\nPercival is a bard.\nMerlin sleeps.');

    const outsider = await character('Outsider');
    const bad = await svc.request('POST', `/api/v1/character_chats/${chat.id}/complete`, { body: { speaker_id: outsider } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('not_a_member');
  }, 30_000);

  test("joined cards bring their members' books and character's notes; in swap mode only the speaker's (SillyTavern)", async () => {
    const keeper = await character('Ector', {
      description: '{{char}} keeps the keys.',
      extensions: { depth_prompt: { prompt: '{{char}} remembers the siege.', depth: 1, role: 'system' } },
    });
    const guest = await character('Lynette', { description: '{{char}} visits.' });
    const book = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Ector lore' } });
    expect(book.status).toBe(201);
    const entry = await svc.request('POST', `/api/v1/characters/world-books/${book.body.id}/entries`, {
      body: { keys: ['castle'], content: 'The castle has nine towers.' },
    });
    expect(entry.status).toBe(201);
    const attached = await svc.request('POST', `/api/v1/characters/${keeper}/world-books`, { body: { world_book_id: book.body.id } });
    expect(attached.status).toBeLessThan(300);
    const lore = async (mode: string) => {
      const g = await group({ name: `Keep ${mode}`, member_ids: [keeper, guest], activation_strategy: 'manual', generation_mode: mode });
      const chat = await groupChat(g);
      const prepared = await svc.request('POST', `/api/v1/character_chats/${chat.id}/prepare`, {
        body: { speaker_id: guest, message: 'Tell me about the castle.' },
      });
      expect(prepared.status).toBe(200);
      const text = JSON.stringify(prepared.body.messages);
      return [text.includes('The castle has nine towers.'), text.includes('Ector remembers the siege.')];
    };
    expect(await lore('append')).toEqual([true, true]);
    expect(await lore('swap')).toEqual([false, false]);
  });

  test("a group chat runs as a persona: {{user}} is its name and its description is in every speaker's prompt", async () => {
    const a = await character('Yvain', { description: '{{char}} guards {{user}}.' });
    const b = await character('Enide', { description: '{{char}} heals.' });
    const persona = await svc.request('POST', '/api/v1/personas', {
      body: { name: 'Morgan', description: 'Morgan is a travelling scribe.' },
    });
    expect(persona.status).toBe(201);
    const g = await group({ name: 'Court', member_ids: [a, b], activation_strategy: 'list' });
    const chat = await svc.request('POST', '/api/v1/character_chats', { body: { group_id: g, persona_id: persona.body.id } });
    expect(chat.status).toBe(201);
    expect(chat.body.settings.persona_id).toBe(persona.body.id);
    for (const speaker of [a, b]) {
      const prepared = await svc.request('POST', `/api/v1/character_chats/${chat.body.id}/prepare`, {
        body: { speaker_id: speaker, message: 'Hello' },
      });
      expect(prepared.status).toBe(200);
      const text = JSON.stringify(prepared.body.messages);
      expect(text).toContain('Morgan is a travelling scribe.');
      if (speaker === a) expect(text).toContain('Yvain guards Morgan.');
    }
  });

  test('natural strategy with a seed replays the same speakers; a stream carries each speaker in turn', async () => {
    const alice = await character('Tristan', { extensions: { talkativeness: '1' } });
    const bob = await character('Isolde', { extensions: { talkativeness: '1' } });
    const g = await group({ name: 'Chatty', member_ids: [alice, bob] });
    const chat = await groupChat(g);
    upstream.setDefaultReply({ text: 'Sure.' });
    const res = await fetch(`${svc.url}/api/v1/character_chats/${chat.id}/complete`, {
      method: 'POST',
      headers: { 'X-API-KEY': (await import('../../../../test/harness.ts')).TEST_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Isolde, then everyone', stream: true, speaker_seed: 'fixed' }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const frames = text.split('\n\n').filter((f) => f.trim() !== '');
    const speakerFrames = frames.filter((f) => f.startsWith('event: speaker\n')).map((f) => JSON.parse(f.split('data: ')[1]!));
    // Isolde is named first, then Tristan wins her roll (talkativeness 1)
    expect(speakerFrames.map((s) => [s.speaker_id, s.name, s.index])).toEqual([
      [bob, 'Isolde', 0],
      [alice, 'Tristan', 1],
    ]);
    const trailers = frames.filter((f) => f.startsWith('data: {') && f.includes('"speaker_id"')).map((f) => JSON.parse(f.slice(6)));
    expect(trailers.map((t) => [t.speaker_id, t.saved])).toEqual([
      [bob, true],
      [alice, true],
    ]);
    expect(frames[frames.length - 1]).toMatch(/data: \[DONE\]$/);
    expect(frames.filter((f) => f.includes('[DONE]'))).toHaveLength(1);
    const stored = await messagesOf(chat.id);
    expect(stored.slice(-2).map((m) => m.speaker_id)).toEqual([bob, alice]);

    const { differences } = await compareWithFreshRebuild(svc.databaseUrl);
    expect(differences).toEqual({});
  }, 30_000);
});
