import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

/**
 * The lorebook engine's compatibility mode over HTTP: where it is set (request, chat settings, user defaults),
 * which wins, what the reports say, and the quirk diagnostics. The book's one entry is keyed `кот`; the text says
 * `котлета`: SillyTavern's whole-word check treats Cyrillic letters as boundaries and activates it, `corrected`
 * does not.
 */
let upstream: FakeLlmServer;
let svc: TestService;
let characterId: string;
let bookId: string;

const PROCESS = '/api/v1/characters/world-books/process-context';
const DEFAULTS = '/api/v1/users/me/defaults';

beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'fake-model', LLM_CONTEXT_SIZE: '8192' },
    roles: { api: true, projector: true, worker: true },
  });
  const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Cook', first_mes: 'Hungry?' } });
  expect(character.status).toBe(201);
  characterId = character.body.id;
  const book = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Kitchen' } });
  expect(book.status).toBe(201);
  bookId = book.body.id;
  const entry = await svc.request('POST', `/api/v1/characters/world-books/${bookId}/entries`, {
    body: { comment: 'cat', keys: ['кот'], content: 'LORE-CAT: the cat guards the kitchen.' },
  });
  expect(entry.status).toBe(201);
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

async function newChat(settings: Record<string, unknown> = {}): Promise<string> {
  const res = await svc.request('POST', '/api/v1/character_chats', {
    body: { character_id: characterId, settings: { world_book_ids: [bookId], ...settings } },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function processContext(body: Record<string, unknown>) {
  const res = await svc.request('POST', PROCESS, { body: { world_book_ids: [bookId], include_global: false, ...body } });
  expect(res.status).toBe(200);
  return res.body as { compatibility: unknown; activated: unknown[]; diagnostics: Array<Record<string, unknown>> };
}

describe('lorebook compatibility mode', () => {
  test('default: sillytavern, and the diagnostic names the quirk and what corrected mode would do', async () => {
    const res = await processContext({ text: 'Одна котлета на столе.' });
    expect(res.compatibility).toEqual({ mode: 'sillytavern', source: 'default' });
    expect(res.activated).toHaveLength(1);
    expect(res.diagnostics[0]).toMatchObject({
      status: 'activated',
      quirk: 'non_ascii_word_boundary',
      other_mode: 'corrected',
      other_outcome: 'not_activated',
      other_reason: 'no_match',
    });
  });

  test('the request wins over the chat, the chat over the user default, the user default over the built-in one', async () => {
    expect((await svc.request('GET', DEFAULTS)).body).toMatchObject({ defaults: {}, version: 0 });
    const set = await svc.request('PATCH', DEFAULTS, { body: { compatibility: 'corrected' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ defaults: { compatibility: 'corrected' }, version: 1 });
    expect((await svc.request('GET', DEFAULTS)).body).toMatchObject({ defaults: { compatibility: 'corrected' }, version: 1 });

    const byDefault = await processContext({ text: 'Одна котлета.' });
    expect(byDefault.compatibility).toEqual({ mode: 'corrected', source: 'user_default' });
    expect(byDefault.activated).toHaveLength(0);
    expect(byDefault.diagnostics[0]).toMatchObject({ status: 'skipped', quirk: 'non_ascii_word_boundary', other_outcome: 'activated' });

    const chatId = await newChat({ compatibility: 'sillytavern' });
    const byChat = await processContext({ chat_id: chatId, text: 'Одна котлета.' });
    expect(byChat.compatibility).toEqual({ mode: 'sillytavern', source: 'chat' });
    expect(byChat.activated).toHaveLength(1);

    const byRequest = await processContext({ chat_id: chatId, text: 'Одна котлета.', compatibility: 'corrected' });
    expect(byRequest.compatibility).toEqual({ mode: 'corrected', source: 'request' });
    expect(byRequest.activated).toHaveLength(0);

    // The prepared prompt reports the same choice and applies it.
    const prepared = await svc.request('POST', `/api/v1/character_chats/${chatId}/prepare`, { body: { message: 'Одна котлета.' } });
    expect(prepared.status).toBe(200);
    expect(prepared.body.world_info.compatibility).toEqual({ mode: 'sillytavern', source: 'chat' });
    expect(JSON.stringify(prepared.body.messages)).toContain('LORE-CAT');
    const preparedCorrected = await svc.request('POST', `/api/v1/character_chats/${chatId}/prepare`, {
      body: { message: 'Одна котлета.', compatibility: 'corrected' },
    });
    expect(preparedCorrected.body.world_info.compatibility).toEqual({ mode: 'corrected', source: 'request' });
    expect(JSON.stringify(preparedCorrected.body.messages)).not.toContain('LORE-CAT');

    // Unsetting the chat's value falls back to the user's default.
    const version = (await svc.request('GET', `/api/v1/character_chats/${chatId}`)).body.version as number;
    const unset = await svc.request('PUT', `/api/v1/character_chats/${chatId}?expected_version=${version}`, {
      body: { settings: { compatibility: null } },
    });
    expect(unset.status).toBe(200);
    const afterUnset = await processContext({ chat_id: chatId, text: 'Одна котлета.' });
    expect(afterUnset.compatibility).toEqual({ mode: 'corrected', source: 'user_default' });

    expect((await svc.request('PATCH', DEFAULTS, { body: { compatibility: null } })).body).toMatchObject({ defaults: {}, version: 2 });
    expect((await processContext({ text: 'x' })).compatibility).toEqual({ mode: 'sillytavern', source: 'default' });
  });

  test('settings.compatibility and the top-level field must agree', async () => {
    const res = await svc.request('POST', PROCESS, {
      body: { world_book_ids: [bookId], text: 'x', compatibility: 'corrected', settings: { compatibility: 'sillytavern' } },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('conflicting_settings');
  });

  test('an unknown mode or default is a 400 that changes nothing', async () => {
    expect((await svc.request('POST', PROCESS, { body: { text: 'x', compatibility: 'strict' } })).status).toBe(400);
    const before = (await svc.request('GET', DEFAULTS)).body;
    expect((await svc.request('PATCH', DEFAULTS, { body: { compatibility: 'strict' } })).status).toBe(400);
    expect((await svc.request('PATCH', DEFAULTS, { body: { theme: 'dark' } })).status).toBe(400);
    expect((await svc.request('GET', DEFAULTS)).body).toEqual(before);
    const chat = await svc.request('POST', '/api/v1/character_chats', {
      body: { character_id: characterId, settings: { compatibility: 'loose' } },
    });
    expect(chat.status).toBe(400);
    const prepare = await svc.request('POST', `/api/v1/character_chats/${await newChat()}/prepare`, {
      body: { message: 'x', compatibility: 'loose' },
    });
    expect(prepare.status).toBe(400);
  });
});
