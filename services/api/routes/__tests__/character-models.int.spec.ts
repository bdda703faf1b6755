import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import OpenAI from 'openai';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';

type ApiError = InstanceType<typeof OpenAI.APIError>;

/**
 * Characters as models, driven by the official `openai` SDK: a stateless client (no conversation_id) names a stored
 * character as its model, by a readable id or the full one, and gets the character's prompt around its own turns
 * (or, with `character_prompt: "lore_only"`, its own prompt with the lorebook's activations), with nothing stored.
 */
describe('characters as models', () => {
  let local: FakeLlmServer;
  let other: FakeLlmServer;
  let svc: TestService;
  let client: OpenAI;
  let characterId: string;
  let readableId: string;
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    local = await startFakeOpenAIServer();
    other = await startFakeOpenAIServer();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'h17-characters-'));
    const file = path.join(dir, 'providers.json');
    writeFileSync(
      file,
      JSON.stringify({
        default: 'local',
        providers: {
          local: { type: 'openai-compatible', baseUrl: local.url, defaultModel: 'fake-model', models: ['fake-model'] },
          other: { type: 'openai-compatible', baseUrl: other.url, defaultModel: 'other-small', models: ['other-small', 'other-large'] },
        },
      }),
    );
    svc = await startTestService({
      env: {
        LLM_PROVIDERS_FILE: file,
        LLM_TIMEOUT_MS: '3000',
        AUTH_MODE: 'multi-user',
        JWT_SECRET: 'characters-as-models-secret-0123456789-abcdef',
      },
      roles: { api: true, projector: true, worker: true },
    });
    key = (await svc.runtime.userStore.createUser('owner', false)).apiKey;
    otherKey = (await svc.runtime.userStore.createUser('someone-else', false)).apiKey;
    client = new OpenAI({ apiKey: key, baseURL: `${svc.url}/v1`, maxRetries: 0 });
    const created = await svc.request('POST', '/api/v1/characters', {
      key,
      body: { name: 'Séraphina the Guardian', description: 'A guardian of the forest' },
    });
    expect(created.status).toBe(201);
    characterId = created.body.id;
    const book = await svc.request('POST', '/api/v1/characters/world-books', { key, body: { name: 'Forest lore' } });
    expect(book.status).toBe(201);
    for (const entry of [
      { comment: 'glade', keys: ['glade'], content: 'The glade is sacred to the forest spirits.', position: 'before' },
      { comment: 'deep', keys: ['glade'], content: 'Whispers rise from the roots.', position: 'at_depth', depth: 1, role: 'system' },
    ])
      expect((await svc.request('POST', `/api/v1/characters/world-books/${book.body.id}/entries`, { key, body: entry })).status).toBe(201);
    expect(
      (await svc.request('POST', `/api/v1/characters/${characterId}/world-books`, { key, body: { world_book_id: book.body.id } })).status,
    ).toBe(200);
    readableId = `character:seraphina-the-guardian-${characterId.replace(/-/g, '').slice(-4)}`;
  });
  afterAll(async () => {
    await svc?.close();
    await local?.close();
    await other?.close();
  });

  const chatsOfCharacter = async () =>
    (await svc.request('GET', `/api/v1/character_chats?character_id=${characterId}`, { key })).body.total as number;
  const lastPost = (upstream: FakeLlmServer) => upstream.requests.filter((r) => r.method === 'POST').at(-1)!.body;

  const conversation: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'CLIENT SYSTEM PROMPT: you are a generic assistant.' },
    { role: 'user', content: 'Hello there.' },
    { role: 'assistant', content: 'Greetings, traveler.' },
    { role: 'user', content: 'Take me to the glade, please.' },
  ];

  test('the list names each character by a readable id after the providers’ models; models/{id} answers for both ids', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(['fake-model', 'other-small', 'other-large', readableId]);
    for (const id of [readableId, `character:${characterId}`, readableId.toUpperCase().replace('CHARACTER:', 'character:')])
      expect(await client.models.retrieve(id)).toMatchObject({ id: readableId, name: 'Séraphina the Guardian', owned_by: 'character' });
  });

  test("a readable id: the character's card and a fired lorebook entry reach the provider around the client's turns; nothing is stored", async () => {
    const before = await chatsOfCharacter();
    expect(typeof before).toBe('number');
    local.reply({ text: 'Follow me, the glade is near.' });
    const reply = await client.chat.completions.create({
      model: readableId,
      messages: conversation,
      save_to_db: false,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(reply.choices[0]!.message.content).toBe('Follow me, the glade is near.');
    const sent = lastPost(local);
    expect(sent.model).toBe('fake-model');
    const text = JSON.stringify(sent.messages);
    expect(text).toContain('A guardian of the forest');
    expect(text).toContain('The glade is sacred to the forest spirits.');
    expect(text).not.toContain('CLIENT SYSTEM PROMPT');
    const turns = (sent.messages as Array<{ role: string; content: string }>).filter((m) => m.role !== 'system').map((m) => m.content);
    expect(turns.join('\n')).toMatch(/Hello there\.[\s\S]*Greetings, traveler\.[\s\S]*Take me to the glade, please\./);
    expect((reply as unknown as { conversation_id?: string | null }).conversation_id ?? null).toBeNull();
    expect(await chatsOfCharacter()).toBe(before);
  });

  test('the full id works as well, streamed, and stores nothing with save_to_db: false', async () => {
    const before = await chatsOfCharacter();
    local.reply({ text: 'By full id.' });
    let text = '';
    for await (const chunk of await client.chat.completions.create({
      model: `character:${characterId}`,
      messages: conversation,
      stream: true,
      save_to_db: false,
    } as OpenAI.ChatCompletionCreateParamsStreaming))
      text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('By full id.');
    expect(JSON.stringify(lastPost(local).messages)).toContain('A guardian of the forest');
    expect(JSON.stringify(lastPost(local).messages)).not.toContain('CLIENT SYSTEM PROMPT');
    expect(await chatsOfCharacter()).toBe(before);
  });

  test('lore_only keeps the client’s prompt whole and adds the lorebook’s activations; it is not stored', async () => {
    const before = await chatsOfCharacter();
    local.reply({ text: 'Lore only.' });
    await client.chat.completions.create({
      model: readableId,
      messages: conversation,
      character_prompt: 'lore_only',
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const sent = lastPost(local).messages as Array<{ role: string; content: string }>;
    expect(sent).toEqual([
      conversation[0],
      { role: 'system', content: expect.stringContaining('The glade is sacred to the forest spirits.') },
      conversation[1],
      conversation[2],
      { role: 'system', content: 'Whispers rise from the roots.' },
      conversation[3],
    ]);
    expect(JSON.stringify(sent)).not.toContain('A guardian of the forest');
    expect(await chatsOfCharacter()).toBe(before);
    const posts = local.requests.length;
    const bad = (await client.chat.completions
      .create({ model: readableId, messages: conversation, character_prompt: 'card_only' } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e)) as ApiError;
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('character_prompt');
    expect(local.requests.length).toBe(posts);
  });

  test('@provider/model picks the provider and the model that generate', async () => {
    other.reply({ text: 'From the other provider.' });
    const reply = await client.chat.completions.create({ model: `${readableId}@other/other-large`, messages: conversation });
    expect(reply.choices[0]!.message.content).toBe('From the other provider.');
    const sent = lastPost(other);
    expect(sent.model).toBe('other-large');
    expect(JSON.stringify(sent.messages)).toContain('A guardian of the forest');
  });

  test('an unknown, malformed or foreign character is a 404 in the envelope, and nothing goes upstream', async () => {
    const foreign = await svc.request('POST', '/api/v1/characters', { key: otherKey, body: { name: 'Elsewhere' } });
    expect(foreign.status).toBe(201);
    const posts = local.requests.length;
    for (const model of [
      'character:seraphina-the-guardian-ffffffffffff',
      'character:nobody',
      `character:${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`,
      `character:${foreign.body.id}`,
      `character:elsewhere-${String(foreign.body.id).replace(/-/g, '').slice(-4)}`,
      `${readableId}@other`,
    ]) {
      const err = (await client.chat.completions.create({ model, messages: conversation }).catch((e: unknown) => e)) as ApiError;
      expect([model, err.status, err.code]).toEqual([model, 404, 'model_not_found']);
      expect(err.message).toContain(model);
      expect(((await client.models.retrieve(model).catch((e: unknown) => e)) as ApiError).status).toBe(404);
    }
    expect(local.requests.length).toBe(posts);
  });

  test('a stateless client keeps one chat: extending turns continue it, a swipe adds an alternate, a different history opens another', async () => {
    const lyra = await svc.request('POST', '/api/v1/characters', { key, body: { name: 'Lyra', first_mes: 'Hello, wanderer.' } });
    expect(lyra.status).toBe(201);
    const model = `character:${lyra.body.id}`;
    const chats = async () =>
      (await svc.request('GET', `/api/v1/character_chats?character_id=${lyra.body.id}`, { key })).body.total as number;
    const path = async (chatId: string) =>
      (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=50`, { key })).body.items as Array<{
        sender: string;
        content: string;
        alternate_count: number;
      }>;
    const send = async (messages: OpenAI.ChatCompletionMessageParam[], extra: Record<string, unknown> = {}) => {
      const { data, response } = await client.chat.completions
        .create({ model, messages, ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .withResponse();
      const id = (data as unknown as { conversation_id?: string }).conversation_id;
      expect(response.headers.get('x-conversation-id')).toBe(id);
      return { id: id!, text: data.choices[0]!.message.content };
    };
    const system: OpenAI.ChatCompletionMessageParam = { role: 'system', content: 'CLIENT SYSTEM PROMPT' };
    const greeting: OpenAI.ChatCompletionMessageParam = { role: 'assistant', content: 'Hello, wanderer.' };

    local.reply(
      { text: 'Welcome to the tower.' },
      { text: 'The stars are bright.' },
      { text: 'Look, a comet!' },
      { text: 'Elsewhere.' },
      { text: 'A third take.' },
    );
    const first = await send([system, greeting, { role: 'user', content: 'Where am I?' }], { save_to_db: true });
    expect(await chats()).toBe(1);
    // No save_to_db: the default (COMPLETIONS_SAVE_DEFAULT, true) saves.
    const history: OpenAI.ChatCompletionMessageParam[] = [
      system,
      greeting,
      { role: 'user', content: 'Where am I?' },
      { role: 'assistant', content: 'Welcome to the tower.' },
    ];
    const asked: OpenAI.ChatCompletionMessageParam[] = [...history, { role: 'user', content: 'What do you see?' }];
    const second = await send(asked);
    expect(second.id).toBe(first.id);
    const sent = lastPost(local).messages as Array<{ role: string; content: string }>;
    expect(sent.filter((m) => m.role !== 'system').map((m) => m.content)).toEqual([
      'Hello, wanderer.',
      'Where am I?',
      'Welcome to the tower.',
      'What do you see?',
    ]);
    // The same history again (a swipe): an alternate of the last reply, in the same chat.
    const swipe = await send(asked);
    expect(swipe).toEqual({ id: first.id, text: 'Look, a comet!' });
    expect(await chats()).toBe(1);
    expect((await path(first.id)).map((m) => [m.sender, m.content, m.alternate_count])).toEqual([
      ['assistant', 'Hello, wanderer.', 1],
      ['user', 'Where am I?', 1],
      ['assistant', 'Welcome to the tower.', 1],
      ['user', 'What do you see?', 1],
      ['assistant', 'Look, a comet!', 2],
    ]);
    // A history that is not the chat's: a new chat that starts with the turns the client shows.
    const other = await send([
      greeting,
      { role: 'user', content: 'Who are you?' },
      { role: 'assistant', content: 'A star-reader.' },
      { role: 'user', content: 'Read mine.' },
    ]);
    expect(other.id).not.toBe(first.id);
    // Streamed, the header names the chat before the first token.
    const { response } = await client.chat.completions.create({ model, messages: asked, stream: true }).withResponse();
    expect(response.headers.get('x-conversation-id')).toBe(first.id);
    await response.text();
    expect(await chats()).toBe(2);
    expect((await path(other.id)).map((m) => m.content)).toEqual([
      'Hello, wanderer.',
      'Who are you?',
      'A star-reader.',
      'Read mine.',
      'Elsewhere.',
    ]);
  });
});
