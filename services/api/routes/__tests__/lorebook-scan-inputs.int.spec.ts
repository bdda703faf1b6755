import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cardFromBasicFields, exportCard } from '../../../../shared/cards/index.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';

/**
 * What reaches the lorebook engine from HTTP (issue 24): the chat's greeting index for `@@is_greeting`, comment
 * macros kept out of matching, the `risuai` profile (accepted everywhere, suggested by a RisuAI card), and a book's
 * own scan depth, budget and recursion (applied unless the request sets them, reported with their source).
 */
let upstream: FakeLlmServer;
let svc: TestService;

const BOOKS = '/api/v1/characters/world-books';
const PROCESS = `${BOOKS}/process-context`;
const CHATS = '/api/v1/character_chats';
const DEFAULTS = '/api/v1/users/me/defaults';

beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'fake-model', LLM_CONTEXT_SIZE: '8192' },
    roles: { api: true, projector: true, worker: true },
  });
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

async function book(name: string, entries: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await svc.request('POST', BOOKS, { body: { name, ...extra } });
  expect(res.status).toBe(201);
  for (const entry of entries) expect((await svc.request('POST', `${BOOKS}/${res.body.id}/entries`, { body: entry })).status).toBe(201);
  return res.body.id as string;
}

async function character(body: Record<string, unknown>): Promise<{ id: string; suggested_compatibility: unknown }> {
  const res = await svc.request('POST', '/api/v1/characters', { body });
  expect(res.status).toBe(201);
  return res.body;
}

async function chat(body: Record<string, unknown>): Promise<{ id: string; settings: Record<string, unknown> }> {
  const res = await svc.request('POST', CHATS, { body });
  expect(res.status).toBe(201);
  return res.body;
}

async function processContext(body: Record<string, unknown>) {
  const res = await svc.request('POST', PROCESS, { body: { include_global: false, ...body } });
  expect(res.status).toBe(200);
  return res.body as {
    activated: Array<{ comment: string; content: string }>;
    diagnostics: Array<Record<string, unknown>>;
    compatibility: unknown;
    scan_settings: Record<string, unknown>;
    token_budget: number;
    greeting_index: number | null;
  };
}

const activatedComments = (res: { activated: Array<{ comment: string }> }) => res.activated.map((a) => a.comment).sort();

describe('@@is_greeting is fed the greeting the chat opened with', () => {
  let characterId: string;
  let bookId: string;
  beforeAll(async () => {
    characterId = (
      await character({ name: 'Greeter', first_message: 'Welcome, {{user}}.', alternate_greetings: ['The gate creaks.', 'Rain.'] })
    ).id;
    bookId = await book('Greetings', [
      { comment: 'first', keys: ['castle'], content: '@@is_greeting 0\nLORE-FIRST' },
      { comment: 'alt1', keys: ['castle'], content: '@@is_greeting 1\nLORE-ALT-ONE' },
      { comment: 'plain', keys: ['castle'], content: 'LORE-PLAIN' },
    ]);
  });

  test('process-context reads the index from chat_id (0 = first_mes, 1 = the first alternate greeting)', async () => {
    const alt = await chat({ character_id: characterId, greeting_index: 1, settings: { world_book_ids: [bookId] } });
    expect(activatedComments(await processContext({ chat_id: alt.id, text: 'the castle' }))).toEqual(['alt1', 'plain']);
    const first = await chat({ character_id: characterId, settings: { world_book_ids: [bookId] } });
    expect(activatedComments(await processContext({ chat_id: first.id, text: 'the castle' }))).toEqual(['first', 'plain']);
    const second = await chat({ character_id: characterId, greeting_index: 2, settings: { world_book_ids: [bookId] } });
    const res = await processContext({ chat_id: second.id, text: 'the castle' });
    expect(res.greeting_index).toBe(2);
    expect(activatedComments(res)).toEqual(['plain']);
    expect(res.diagnostics.find((d) => d.comment === 'alt1')).toMatchObject({ status: 'skipped' });
    expect(JSON.stringify(res.diagnostics.find((d) => d.comment === 'alt1'))).toContain('active greeting is 2');
  });

  test('a card without a first message: its first greeting is alternate greeting 1, as the spec numbers it', async () => {
    const noFirst = (await character({ name: 'No First', alternate_greetings: ['The gate creaks.'] })).id;
    const opened = await chat({ character_id: noFirst, settings: { world_book_ids: [bookId] } });
    expect(activatedComments(await processContext({ chat_id: opened.id, text: 'the castle' }))).toEqual(['alt1', 'plain']);
  });

  test('process-context takes greeting_index, which wins over the chat; without either the entry never fires', async () => {
    const base = { world_book_ids: [bookId], text: 'the castle' };
    expect(activatedComments(await processContext({ ...base, greeting_index: 1 }))).toEqual(['alt1', 'plain']);
    const unknown = await processContext(base);
    expect(activatedComments(unknown)).toEqual(['plain']);
    expect(unknown.greeting_index).toBeNull();
    const first = await chat({ character_id: characterId, settings: { world_book_ids: [bookId] } });
    expect(activatedComments(await processContext({ chat_id: first.id, text: 'the castle', greeting_index: 1 }))).toEqual([
      'alt1',
      'plain',
    ]);
    const bad = await svc.request('POST', PROCESS, { body: { ...base, greeting_index: -1 } });
    expect(bad.status).toBe(400);
  });

  test('messages without a chat: the greeting the first message repeats', async () => {
    const res = await processContext({
      character_id: characterId,
      world_book_ids: [bookId],
      messages: [
        { role: 'assistant', content: 'The gate creaks.' },
        { role: 'user', content: 'the castle' },
      ],
    });
    expect(activatedComments(res)).toEqual(['alt1', 'plain']);
  });

  test('prepare, complete and /chat/completions scan with the chat greeting', async () => {
    const alt = await chat({ character_id: characterId, greeting_index: 1, settings: { world_book_ids: [bookId] } });
    const prepared = await svc.request('POST', `${CHATS}/${alt.id}/prepare`, { body: { message: 'the castle' } });
    expect(prepared.status).toBe(200);
    const text = JSON.stringify(prepared.body.messages);
    expect(text).toContain('LORE-ALT-ONE');
    expect(text).not.toContain('LORE-FIRST');
    expect(prepared.body.world_info.greeting_index).toBe(1);

    upstream.clearRequests();
    upstream.reply({ text: 'Indeed.' });
    const completed = await svc.request('POST', `${CHATS}/${alt.id}/complete`, { body: { message: 'the castle', save_to_db: false } });
    expect(completed.status).toBe(200);
    expect(JSON.stringify(upstream.requests.at(-1)!.body.messages)).toContain('LORE-ALT-ONE');

    upstream.clearRequests();
    upstream.reply({ text: 'Indeed.' });
    const openai = await svc.request('POST', '/api/v1/chat/completions', {
      body: { character_id: characterId, conversation_id: alt.id, save_to_db: false, messages: [{ role: 'user', content: 'the castle' }] },
    });
    expect(openai.status).toBe(200);
    const sent = JSON.stringify(upstream.requests.at(-1)!.body.messages);
    expect(sent).toContain('LORE-ALT-ONE');
    expect(sent).not.toContain('LORE-FIRST');

    // Without a conversation: the client's history opens with alternate greeting 1.
    upstream.clearRequests();
    upstream.reply({ text: 'Indeed.' });
    const stateless = await svc.request('POST', '/api/v1/chat/completions', {
      body: {
        character_id: characterId,
        save_to_db: false,
        world_book_ids: [bookId],
        messages: [
          { role: 'assistant', content: 'The gate creaks.' },
          { role: 'user', content: 'the castle' },
        ],
      },
    });
    expect(stateless.status).toBe(200);
    const statelessSent = JSON.stringify(upstream.requests.at(-1)!.body.messages);
    expect(statelessSent).toContain('LORE-ALT-ONE');
    expect(statelessSent).not.toContain('LORE-FIRST');
  });
});

describe('comment macros never match', () => {
  let bookId: string;
  beforeAll(async () => {
    bookId = await book('Comments', [
      { comment: 'dragon', keys: ['dragon'], content: 'LORE-DRAGON' },
      { comment: 'cave', keys: ['cave'], content: 'LORE-CAVE {{comment: the dragon sleeps here}}' },
    ]);
  });

  for (const compatibility of ['sillytavern', 'corrected', 'risuai']) {
    test(`in messages and in recursed content (${compatibility})`, async () => {
      const base = { world_book_ids: [bookId], compatibility };
      expect(activatedComments(await processContext({ ...base, text: 'a {{// dragon}} here' }))).toEqual([]);
      expect(activatedComments(await processContext({ ...base, text: 'a {{comment: dragon}} here' }))).toEqual([]);
      expect(activatedComments(await processContext({ ...base, text: 'a cave' }))).toEqual(['cave']);
      expect(activatedComments(await processContext({ ...base, text: 'a cave and a dragon' }))).toEqual(['cave', 'dragon']);
    });
  }

  test('in a prepared prompt', async () => {
    const characterId = (await character({ name: 'Commenter', first_message: 'Hi.' })).id;
    const opened = await chat({ character_id: characterId, settings: { world_book_ids: [bookId] } });
    const prepared = await svc.request('POST', `${CHATS}/${opened.id}/prepare`, { body: { message: 'look {{// dragon}} there' } });
    expect(prepared.status).toBe(200);
    expect(JSON.stringify(prepared.body.messages)).not.toContain('LORE-DRAGON');
  });
});

describe('the risuai profile', () => {
  test('is accepted by process-context, chats, user defaults, prepare', async () => {
    const bookId = await book('Risu', [{ comment: 'k', keys: ['key'], content: 'LORE' }]);
    expect((await processContext({ world_book_ids: [bookId], text: 'key', compatibility: 'risuai' })).compatibility).toEqual({
      mode: 'risuai',
      source: 'request',
    });
    expect((await processContext({ world_book_ids: [bookId], text: 'key', settings: { compatibility: 'risuai' } })).compatibility).toEqual({
      mode: 'risuai',
      source: 'request',
    });
    const characterId = (await character({ name: 'Plain', first_message: 'Hi.' })).id;
    const opened = await chat({ character_id: characterId, settings: { world_book_ids: [bookId], compatibility: 'risuai' } });
    expect(opened.settings.compatibility).toBe('risuai');
    expect((await processContext({ chat_id: opened.id, text: 'key' })).compatibility).toEqual({ mode: 'risuai', source: 'chat' });
    const prepared = await svc.request('POST', `${CHATS}/${opened.id}/prepare`, { body: { message: 'key' } });
    expect(prepared.body.world_info.compatibility).toEqual({ mode: 'risuai', source: 'chat' });

    const set = await svc.request('PATCH', DEFAULTS, { body: { compatibility: 'risuai' } });
    expect(set.status).toBe(200);
    expect(set.body.defaults).toEqual({ compatibility: 'risuai' });
    expect((await processContext({ world_book_ids: [bookId], text: 'key' })).compatibility).toEqual({
      mode: 'risuai',
      source: 'user_default',
    });
    expect((await svc.request('PATCH', DEFAULTS, { body: { compatibility: null } })).status).toBe(200);
  });

  test('a RisuAI card suggests it: the view says so, a new chat gets it unless the request or the user default sets one', async () => {
    const risu = await character({ name: 'Risu Girl', first_message: 'Hi.', extensions: { risuai: { utilityBot: false } } });
    expect(risu.suggested_compatibility).toBe('risuai');
    const plain = await character({ name: 'Plain Boy', first_message: 'Hi.' });
    expect(plain.suggested_compatibility).toBeNull();
    expect((await svc.request('GET', `/api/v1/characters/${risu.id}`)).body.suggested_compatibility).toBe('risuai');

    expect((await chat({ character_id: risu.id })).settings.compatibility).toBe('risuai');
    expect((await chat({ character_id: plain.id })).settings.compatibility).toBeUndefined();
    expect((await chat({ character_id: risu.id, settings: { compatibility: 'corrected' } })).settings.compatibility).toBe('corrected');
    // Without a chat the card's suggestion is the scan's mode, below the user's default.
    expect((await processContext({ character_id: risu.id, text: 'x' })).compatibility).toEqual({ mode: 'risuai', source: 'character' });

    expect((await svc.request('PATCH', DEFAULTS, { body: { compatibility: 'corrected' } })).status).toBe(200);
    const underDefault = await chat({ character_id: risu.id });
    expect(underDefault.settings.compatibility).toBeUndefined();
    expect((await processContext({ chat_id: underDefault.id, text: 'x' })).compatibility).toEqual({
      mode: 'corrected',
      source: 'user_default',
    });
    expect((await svc.request('PATCH', DEFAULTS, { body: { compatibility: null } })).status).toBe(200);
  });

  test('a CharX with a RisuAI module suggests it', async () => {
    const card = cardFromBasicFields({ name: 'Moduled', first_message: 'Hi.' });
    const charx = exportCard(card, 'charx', {
      assets: [
        {
          path: 'module.risum',
          uri: null,
          type: null,
          name: null,
          ext: 'risum',
          mime: 'application/octet-stream',
          bytes: new Uint8Array([1, 2, 3, 4]),
        },
      ],
    });
    const res = await svc.upload('/api/v1/characters/import', { bytes: charx.bytes, filename: 'moduled.charx', field: 'file' });
    expect(res.status).toBe(201);
    expect(res.body.suggested_compatibility).toBe('risuai');
  });
});

describe("a book's own scan settings", () => {
  const deepMessages = [
    { role: 'user', content: 'the tower' },
    { role: 'assistant', content: 'one' },
    { role: 'user', content: 'two' },
    { role: 'assistant', content: 'three' },
  ];

  test('apply when set, the request overrides them, and the report says where each value came from', async () => {
    const deep = await book('Deep', [{ comment: 'tower', keys: ['tower'], content: 'LORE-TOWER mentions the moat' }], {
      scan_depth: 4,
      token_budget: 300,
      recursive_scanning: false,
    });
    const moat = await book('Moat', [{ comment: 'moat', keys: ['moat'], content: 'LORE-MOAT' }]);

    const withBook = await processContext({ world_book_ids: [deep, moat], messages: deepMessages });
    expect(activatedComments(withBook)).toEqual(['tower']);
    expect(withBook.token_budget).toBe(300);
    expect(withBook.scan_settings).toEqual({
      scan_depth: { value: 4, source: 'book', book_ids: [deep] },
      token_budget: { value: 300, source: 'book', book_ids: [deep] },
      recursive_scanning: { value: false, source: 'book', book_ids: [deep] },
    });

    const overridden = await processContext({
      world_book_ids: [deep, moat],
      messages: deepMessages,
      settings: { scan_depth: 4, recursive: true, token_budget: 900 },
    });
    expect(activatedComments(overridden)).toEqual(['moat', 'tower']);
    expect(overridden.scan_settings).toEqual({
      scan_depth: { value: 4, source: 'request' },
      token_budget: { value: 900, source: 'request' },
      recursive_scanning: { value: true, source: 'request' },
    });
    const shallow = await processContext({ world_book_ids: [deep], messages: deepMessages, scan_depth: 2 });
    expect(activatedComments(shallow)).toEqual([]);

    const none = await processContext({ world_book_ids: [moat], messages: deepMessages });
    expect(none.scan_settings).toEqual({
      scan_depth: { value: 2, source: 'default' },
      token_budget: { value: 1024, source: 'default' },
      recursive_scanning: { value: true, source: 'default' },
    });
  });

  test('several books: the largest depth and budget, recursion when any book asks for it', async () => {
    const a = await book('A', [{ comment: 'a', keys: ['tower'], content: 'A' }], {
      scan_depth: 3,
      token_budget: 200,
      recursive_scanning: false,
    });
    const b = await book('B', [{ comment: 'b', keys: ['zzz'], content: 'B' }], { scan_depth: 5, recursive_scanning: true });
    const res = await processContext({ world_book_ids: [a, b], messages: deepMessages });
    expect(res.scan_settings).toEqual({
      scan_depth: { value: 5, source: 'book', book_ids: [b] },
      token_budget: { value: 200, source: 'book', book_ids: [a] },
      recursive_scanning: { value: true, source: 'book', book_ids: [b] },
    });
  });

  test('generation uses them and the prepared prompt reports them', async () => {
    const deep = await book('Deep chat', [{ comment: 'tower', keys: ['tower'], content: 'LORE-DEEP-TOWER' }], { scan_depth: 5 });
    const characterId = (await character({ name: 'Keeper', first_message: 'Hello.' })).id;
    const opened = await chat({ character_id: characterId, settings: { world_book_ids: [deep] } });
    const stored = await svc.request('POST', `/api/v1/character_messages/chats/${opened.id}/messages`, {
      body: { sender: 'user', content: 'the tower' },
    });
    expect(stored.status).toBe(201);
    for (const content of ['one', 'two']) {
      expect(
        (await svc.request('POST', `/api/v1/character_messages/chats/${opened.id}/messages`, { body: { sender: 'assistant', content } }))
          .status,
      ).toBe(201);
    }
    const prepared = await svc.request('POST', `${CHATS}/${opened.id}/prepare`, { body: { message: 'three' } });
    expect(prepared.status).toBe(200);
    expect(JSON.stringify(prepared.body.messages)).toContain('LORE-DEEP-TOWER');
    expect(prepared.body.world_info.scan_settings).toMatchObject({
      scan_depth: { value: 5, source: 'book', book_ids: [deep] },
      token_budget: { source: 'default' },
      recursive_scanning: { value: true, source: 'default' },
    });

    // The request's own values win over the book's, in prepare and in a generation.
    const shallow = await svc.request('POST', `${CHATS}/${opened.id}/prepare`, {
      body: { message: 'three', scan_depth: 1, token_budget: 700, recursive_scanning: false },
    });
    expect(shallow.status).toBe(200);
    expect(JSON.stringify(shallow.body.messages)).not.toContain('LORE-DEEP-TOWER');
    expect(shallow.body.world_info.scan_settings).toEqual({
      scan_depth: { value: 1, source: 'request' },
      token_budget: { value: 700, source: 'request' },
      recursive_scanning: { value: false, source: 'request' },
    });
    upstream.clearRequests();
    upstream.reply({ text: 'Fine.' });
    const generated = await svc.request('POST', '/api/v1/chat/completions', {
      body: {
        character_id: characterId,
        conversation_id: opened.id,
        save_to_db: false,
        scan_depth: 1,
        messages: [{ role: 'user', content: 'three' }],
      },
    });
    expect(generated.status).toBe(200);
    expect(upstream.requests.at(-1)!.body).not.toHaveProperty('scan_depth');
    expect(JSON.stringify(upstream.requests.at(-1)!.body.messages)).not.toContain('LORE-DEEP-TOWER');
    upstream.clearRequests();
    upstream.reply({ text: 'Fine.' });
    const bookDepth = await svc.request('POST', `${CHATS}/${opened.id}/complete`, { body: { message: 'three', save_to_db: false } });
    expect(bookDepth.status).toBe(200);
    expect(JSON.stringify(upstream.requests.at(-1)!.body.messages)).toContain('LORE-DEEP-TOWER');
    expect((await svc.request('POST', `${CHATS}/${opened.id}/prepare`, { body: { message: 'x', scan_depth: -1 } })).status).toBe(400);
  });

  test("a chat's settings win over the books', a user's defaults come below them", async () => {
    const deep = await book('Levels', [{ comment: 'tower', keys: ['tower'], content: 'LORE-LEVEL-TOWER' }], {
      scan_depth: 4,
      recursive_scanning: true,
    });
    const characterId = (await character({ name: 'Leveller', first_message: 'Hello.' })).id;
    const opened = await chat({ character_id: characterId, settings: { world_book_ids: [deep], scan_depth: 1 } });
    expect(opened.settings.scan_depth).toBe(1);
    const messages = deepMessages.map((m) => ({ ...m }));
    const byChat = await processContext({ chat_id: opened.id, messages });
    expect(byChat.scan_settings.scan_depth).toEqual({ value: 1, source: 'chat' });
    expect(activatedComments(byChat)).toEqual([]);

    const set = await svc.request('PATCH', DEFAULTS, { body: { token_budget: 77, recursive_scanning: false, scan_depth: 9 } });
    expect(set.status).toBe(200);
    expect(set.body.defaults).toEqual({ token_budget: 77, recursive_scanning: false, scan_depth: 9 });
    expect((await svc.request('GET', DEFAULTS)).body.defaults).toEqual({ token_budget: 77, recursive_scanning: false, scan_depth: 9 });
    const byDefault = await processContext({ chat_id: opened.id, messages });
    expect(byDefault.scan_settings).toEqual({
      scan_depth: { value: 1, source: 'chat' },
      token_budget: { value: 77, source: 'user_default' },
      recursive_scanning: { value: true, source: 'book', book_ids: [deep] },
    });
    const prepared = await svc.request('POST', `${CHATS}/${opened.id}/prepare`, { body: { message: 'x' } });
    expect(prepared.body.world_info.scan_settings.token_budget).toEqual({ value: 77, source: 'user_default' });

    // Unsetting the chat's value: the book's applies again.
    const version = (await svc.request('GET', `${CHATS}/${opened.id}`)).body.version as number;
    const unset = await svc.request('PUT', `${CHATS}/${opened.id}?expected_version=${version}`, {
      body: { settings: { scan_depth: null } },
    });
    expect(unset.status).toBe(200);
    const byBook = await processContext({ chat_id: opened.id, messages });
    expect(byBook.scan_settings.scan_depth).toEqual({ value: 4, source: 'book', book_ids: [deep] });
    expect(activatedComments(byBook)).toEqual(['tower']);

    const before = (await svc.request('GET', DEFAULTS)).body;
    expect((await svc.request('PATCH', DEFAULTS, { body: { scan_depth: -1 } })).status).toBe(400);
    expect((await svc.request('PATCH', DEFAULTS, { body: { token_budget: 0 } })).status).toBe(400);
    expect((await svc.request('GET', DEFAULTS)).body).toEqual(before);
    expect(
      (await svc.request('POST', CHATS, { body: { character_id: characterId, settings: { recursive_scanning: 'yes' } } })).status,
    ).toBe(400);
    const cleared = await svc.request('PATCH', DEFAULTS, { body: { token_budget: null, recursive_scanning: null, scan_depth: null } });
    expect(cleared.body.defaults).toEqual({});
  });

  test('the read models rebuilt from the log equal the live ones', async () => {
    const { differences } = await compareWithFreshRebuild(svc.databaseUrl);
    expect(differences).toEqual({});
  }, 60_000);
});
