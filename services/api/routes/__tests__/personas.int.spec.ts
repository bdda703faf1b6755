/**
 * Personas over real HTTP and PostgreSQL: the resource (create, get, list, update with expected_version, soft delete
 * and restore, history, as-of, avatar, one default per user, the cap), chats that run as a persona (given, locked to
 * the character, the default, else the bare user name), the description in every position of the prepared prompt,
 * persona lore, SillyTavern's backup in and out, and forgetting a user.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { rebuildReadModels } from '../../../../projections/rebuild.ts';
import { projections } from '../../../../projections/registry.ts';
import { buildPng } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import { tableDifference } from '../../../../test/read-model-check.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const P = '/api/v1/personas';
const BACKUP = readFileSync(new URL('../../../../test/fixtures/personas/personas_20241018.json', import.meta.url), 'utf8');

let upstream: FakeLlmServer;
let svc: TestService;
let admin: string;

async function user(name: string): Promise<string> {
  return (await svc.runtime.userStore.createUser(name, false)).apiKey;
}

function api(key: string) {
  const call = async (method: string, url: string, body?: unknown, status?: number) => {
    const res = await svc.request(method, url, { key, ...(body !== undefined ? { body } : {}) });
    if (status !== undefined && res.status !== status)
      throw new Error(`${method} ${url}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  return {
    key,
    call,
    persona: async (body: Record<string, unknown>) => (await call('POST', P, body, 201)).body,
    character: async (name: string, extra: Record<string, unknown> = {}) =>
      (
        await call(
          'POST',
          '/api/v1/characters',
          { name, description: `${name} is a knight.`, first_message: 'Hello {{user}}.', ...extra },
          201,
        )
      ).body.id as string,
    chat: async (body: Record<string, unknown>) => (await call('POST', '/api/v1/character_chats', body, 201)).body,
    prepare: async (chatId: string, message = 'Hi there') =>
      (await call('POST', `/api/v1/character_chats/${chatId}/prepare`, { message }, 200)).body,
  };
}

beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    env: {
      AUTH_MODE: 'multi-user',
      JWT_SECRET: 'persona-test-secret-0123456789-abcdefghijkl',
      MAX_PERSONAS_PER_USER: '8',
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: upstream.url,
      LLM_MODEL: 'fake-model',
    },
    roles: { api: true, projector: true, worker: true },
  });
  admin = (await svc.runtime.userStore.createUser('persona-admin', true)).apiKey;
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

const systemTexts = (prepared: { messages: Array<{ role: string; content: string }> }) =>
  prepared.messages.filter((m) => m.role === 'system').map((m) => m.content);

describe('the persona resource', () => {
  test('create 201, get, list, update with expected_version, delete, restore, history and as-of', async () => {
    const a = api(await user('crud'));
    const created = await a.call(
      'POST',
      P,
      { name: 'Ann', description: 'Ann is tall.', position: 'at_depth', depth: 3, role: 'user' },
      201,
    );
    expect(created.headers.get('location')).toBe(`${P}/${created.body.id}`);
    expect(created.body).toMatchObject({
      name: 'Ann',
      version: 1,
      position: 'at_depth',
      depth: 3,
      role: 'user',
      is_default: false,
      avatar: null,
    });
    const id = created.body.id as string;
    expect((await a.call('GET', `${P}/${id}`, undefined, 200)).body.description).toBe('Ann is tall.');

    expect((await a.call('PUT', `${P}/${id}?expected_version=1`, { description: 'Ann is short.' }, 200)).body.version).toBe(2);
    const stale = await a.call('PUT', `${P}/${id}?expected_version=1`, { description: 'lost' });
    expect(stale.status).toBe(409);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');

    const bad = await a.call('PUT', `${P}/${id}`, { position: 'sideways' });
    expect(bad.status).toBe(400);
    expect((await a.call('GET', `${P}/${id}`, undefined, 200)).body).toMatchObject({ version: 2, description: 'Ann is short.' });

    const list = (await a.call('GET', P, undefined, 200)).body;
    expect(list.items.map((p: { id: string }) => p.id)).toEqual([id]);

    await a.call('DELETE', `${P}/${id}?expected_version=2`, undefined, 200);
    expect((await a.call('GET', `${P}/${id}`)).status).toBe(404);
    expect((await a.call('GET', P, undefined, 200)).body.total).toBe(0);
    expect((await a.call('POST', `${P}/${id}/restore`, undefined, 200)).body.deleted_at).toBeNull();

    const history = (await a.call('GET', `${P}/${id}/history`, undefined, 200)).body;
    expect(history.items.map((i: { event_type: string }) => i.event_type)).toEqual([
      'PersonaCreated',
      'PersonaUpdated',
      'PersonaDeleted',
      'PersonaRestored',
    ]);
    expect(history.items[1].changed_fields).toEqual(['description']);
    const past = (await a.call('GET', `${P}/${id}?as_of=1`, undefined, 200)).body;
    expect(past).toMatchObject({ as_of_version: 1, description: 'Ann is tall.' });
    // The present rebuilt from the events is the live row.
    const live = (await a.call('GET', `${P}/${id}`, undefined, 200)).body;
    const rebuilt = (await a.call('GET', `${P}/${id}?as_of=${live.version}`, undefined, 200)).body;
    expect({ ...rebuilt, as_of_version: undefined }).toEqual({ ...live, as_of_version: undefined });
  });

  test("another user's persona is 403 and stays as it was; an unknown world book is a 400 that creates nothing", async () => {
    const a = api(await user('owner'));
    const b = api(await user('intruder'));
    const mine = await a.persona({ name: 'Mine' });
    expect((await b.call('GET', `${P}/${mine.id}`)).status).toBe(403);
    expect((await b.call('PUT', `${P}/${mine.id}`, { name: 'Stolen' })).status).toBe(403);
    expect((await b.call('DELETE', `${P}/${mine.id}`)).status).toBe(403);
    expect((await a.call('GET', `${P}/${mine.id}`, undefined, 200)).body).toMatchObject({ name: 'Mine', version: 1 });

    const unknown = await a.call('POST', P, { name: 'Lore', world_book_id: '0190f0f0-0000-7000-8000-000000000000' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('unknown_world_book');
    const foreignChar = await b.character('Foreign');
    expect((await a.call('POST', P, { name: 'Lock', locked_character_ids: [foreignChar] })).status).toBe(403);
    expect((await a.call('GET', P, undefined, 200)).body.total).toBe(1);
  });

  test('one default per user: making another the default clears the previous one, both as events; deleting it leaves none', async () => {
    const a = api(await user('defaults'));
    const first = await a.persona({ name: 'First', is_default: true });
    const second = await a.persona({ name: 'Second' });
    await a.call('PUT', `${P}/${second.id}`, { is_default: true }, 200);
    const items = (await a.call('GET', P, undefined, 200)).body.items as Array<{ name: string; is_default: boolean }>;
    expect(items.map((p) => [p.name, p.is_default])).toEqual([
      ['First', false],
      ['Second', true],
    ]);
    const firstHistory = (await a.call('GET', `${P}/${first.id}/history`, undefined, 200)).body.items;
    expect(firstHistory.at(-1)).toMatchObject({ event_type: 'PersonaUpdated', changed_fields: ['is_default'] });

    await a.call('DELETE', `${P}/${second.id}`, undefined, 200);
    expect(((await a.call('GET', P, undefined, 200)).body.items as Array<{ is_default: boolean }>).some((p) => p.is_default)).toBe(false);
  });

  test('the cap (MAX_PERSONAS_PER_USER) refuses one more with 403 limit_exceeded; a delete frees a slot', async () => {
    const a = api(await user('cap'));
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await a.persona({ name: `P${i}` })).id);
    const over = await a.call('POST', P, { name: 'one too many' });
    expect(over.status).toBe(403);
    expect(over.body.code).toBe('limit_exceeded');
    await a.call('DELETE', `${P}/${ids[0]}`, undefined, 200);
    expect((await a.call('POST', `${P}/${ids[0]}/restore`)).status).toBe(200);
    expect((await a.call('POST', P, { name: 'still too many' })).status).toBe(403);
  });

  test('the avatar is stored like a card image and served back byte for byte; a bad image is a 400', async () => {
    const a = api(await user('avatar'));
    const png = buildPng([], { width: 3 });
    const p = await a.persona({ name: 'Pic', avatar_base64: Buffer.from(png).toString('base64') });
    expect(p.avatar).toMatchObject({ media_type: 'image/png', size: png.byteLength, url: `${P}/${p.id}/avatar` });
    const got = await svc.download(`${P}/${p.id}/avatar`, { key: a.key });
    expect(got.status).toBe(200);
    expect(Buffer.from(got.bytes).equals(Buffer.from(png))).toBe(true);
    expect((await a.call('PUT', `${P}/${p.id}`, { avatar_base64: 'bm90IGFuIGltYWdl' })).status).toBe(400);
    expect((await a.call('PUT', `${P}/${p.id}`, { avatar_base64: null }, 200)).body.avatar).toBeNull();
  });
});

describe('a chat runs as a persona', () => {
  test('given persona > persona locked to the character > the default > the bare user name', async () => {
    const a = api(await user('precedence'));
    const knight = await a.character('Sir Kay');
    const given = await a.persona({ name: 'Given', description: 'Given is quiet.' });
    const locked = await a.persona({ name: 'Locked', description: 'Locked guards {{char}}.', locked_character_ids: [knight] });
    const fallback = await a.persona({ name: 'Fallback', is_default: true });

    const withGiven = await a.chat({ character_id: knight, persona_id: given.id });
    expect(withGiven.persona_id).toBe(given.id);
    expect((await a.prepare(withGiven.id)).persona).toEqual({ id: given.id, name: 'Given', chosen_by: 'chat' });

    const plain = await a.chat({ character_id: knight, settings: { user_name: 'Bare' } });
    expect(plain.persona_id).toBeNull();
    const viaLock = await a.prepare(plain.id);
    expect(viaLock.persona).toEqual({ id: locked.id, name: 'Locked', chosen_by: 'locked' });
    expect(systemTexts(viaLock)).toContain('Locked guards Sir Kay.');
    // The greeting was written for the persona the chat opened as.
    const messages = (await a.call('GET', `/api/v1/character_messages/chats/${plain.id}/messages`, undefined, 200)).body.items;
    expect(messages[0].content).toBe('Hello Locked.');

    await a.call('PUT', `${P}/${locked.id}`, { locked_character_ids: [] }, 200);
    expect((await a.prepare(plain.id)).persona).toEqual({ id: fallback.id, name: 'Fallback', chosen_by: 'default' });
    await a.call('PUT', `${P}/${fallback.id}`, { is_default: false }, 200);
    const bare = await a.prepare(plain.id);
    expect(bare.persona).toBeNull();
    expect(bare.user_name).toBe('Bare');

    // Changed later: an event on the chat.
    const changed = await a.call('PUT', `/api/v1/character_chats/${plain.id}`, { persona_id: given.id }, 200);
    expect(changed.body.persona_id).toBe(given.id);
    expect((await a.prepare(plain.id)).persona.name).toBe('Given');
    const history = (await a.call('GET', `/api/v1/character_chats/${plain.id}/history`, undefined, 200)).body.items;
    expect(history.at(-1).event_type).toBe('ChatUpdated');
    expect((await a.call('PUT', `/api/v1/character_chats/${plain.id}`, { persona_id: null }, 200)).body.persona_id).toBeNull();

    const other = api(await user('someone-else'));
    const theirs = await other.persona({ name: 'Theirs' });
    expect((await a.call('POST', '/api/v1/character_chats', { character_id: knight, persona_id: theirs.id })).status).toBe(403);
    expect((await a.call('PUT', `/api/v1/character_chats/${plain.id}`, { persona_id: theirs.id })).status).toBe(403);
  });

  test('{{user}} is the name and {{persona}} the description; the description goes where its position says', async () => {
    const a = api(await user('positions'));
    const knight = await a.character('Gawain', { description: 'Gawain serves {{user}}. {{persona}}' });
    const persona = await a.persona({ name: 'Nia', description: 'Nia wears a green cloak.' });
    const chat = await a.chat({ character_id: knight, persona_id: persona.id, settings: { author_note: 'Keep it short.' } });
    const set = (body: Record<string, unknown>) => a.call('PUT', `${P}/${persona.id}`, body, 200);
    const DESC = 'Nia wears a green cloak.';

    const inPrompt = await a.prepare(chat.id);
    expect(systemTexts(inPrompt)).toContain(DESC);
    expect(inPrompt.layout.map((l: { section: string }) => l.section)).toContain('persona');
    expect(systemTexts(inPrompt)).toContain(`Gawain serves Nia. ${DESC}`);

    await set({ position: 'an_top' });
    const top = await a.prepare(chat.id);
    expect(top.layout.map((l: { section: string }) => l.section)).not.toContain('persona');
    expect(top.messages.some((m: { content: string }) => m.content === `${DESC}\nKeep it short.`)).toBe(true);

    await set({ position: 'an_bottom' });
    const bottom = await a.prepare(chat.id);
    expect(bottom.messages.some((m: { content: string }) => m.content === `Keep it short.\n${DESC}`)).toBe(true);

    await set({ position: 'at_depth', depth: 0, role: 'user' });
    const deep = await a.prepare(chat.id);
    const last = deep.messages.at(-1);
    expect(last).toMatchObject({ role: 'user', content: DESC });
    expect(deep.messages.at(-2).content).toBe('Hi there');

    await set({ position: 'none' });
    const none = await a.prepare(chat.id);
    const texts = none.messages.map((m: { content: string }) => m.content);
    expect(texts.filter((t: string) => t === DESC)).toEqual([]);
    // {{persona}} still expands (SillyTavern fills it for every position).
    expect(systemTexts(none)).toContain(`Gawain serves Nia. ${DESC}`);
  });

  test("persona lore: the persona's world book fires, as source persona", async () => {
    const a = api(await user('lore'));
    const knight = await a.character('Lancelot');
    const book = (await a.call('POST', '/api/v1/characters/world-books', { name: 'Nia lore' }, 201)).body;
    await a.call('POST', `/api/v1/characters/world-books/${book.id}/entries`, { keys: ['cloak'], content: 'The cloak is enchanted.' }, 201);
    const persona = await a.persona({ name: 'Nia', world_book_id: book.id });
    const chat = await a.chat({ character_id: knight, persona_id: persona.id });
    const prepared = await a.prepare(chat.id, 'Look at my cloak');
    expect(prepared.world_info.books).toEqual([expect.objectContaining({ id: book.id, source: 'persona' })]);
    expect(prepared.world_info.activated.length).toBe(1);
    expect(systemTexts(prepared).join('\n')).toContain('The cloak is enchanted.');
  });

  test('a completion runs as the persona: the provider receives its name and description', async () => {
    const a = api(await user('complete'));
    const knight = await a.character('Percival');
    const persona = await a.persona({ name: 'Oona', description: 'Oona is a falconer.' });
    const chat = await a.chat({ character_id: knight, persona_id: persona.id });
    const before = upstream.requests.length;
    const done = await a.call('POST', `/api/v1/character_chats/${chat.id}/complete`, { message: 'Hello' }, 200);
    expect(done.body.saved).toBe(true);
    const sent = upstream.requests.slice(before).at(-1)!.body as { messages: Array<{ content: string }> };
    expect(sent.messages.map((m) => m.content)).toContain('Oona is a falconer.');
    expect(sent.messages[0]!.content).not.toContain('{{user}}');
  });
});

describe('character models over /chat/completions', () => {
  test("a character model's completion is written as the user's default persona", async () => {
    const a = api(await user('openai-client'));
    const knight = await a.character('Tristan');
    await a.persona({ name: 'Wren', description: 'Wren carries a lute.', is_default: true });
    const before = upstream.requests.length;
    const res = await a.call(
      'POST',
      '/v1/chat/completions',
      { model: `character:${knight}`, messages: [{ role: 'user', content: 'Play for me' }], save_to_db: false },
      200,
    );
    expect(res.body.choices[0].message.role).toBe('assistant');
    const sent = upstream.requests.slice(before).at(-1)!.body as { messages: Array<{ content: string }> };
    expect(sent.messages.map((m) => m.content)).toContain('Wren carries a lute.');
    expect(sent.messages.map((m) => m.content)).toContain('Tristan is a knight.');
  });
});

describe("SillyTavern's persona backup", () => {
  test('multipart import with avatars brings them all at once; export gives the same format back; a second import skips them', async () => {
    const a = api(await user('backup'));
    await a.character('Seraphina');
    const atlas = (await a.call('POST', '/api/v1/characters/world-books', { name: "Ann's Atlas" }, 201)).body;
    const annPng = buildPng([], { width: 5 });
    const form = new FormData();
    form.append('file', new Blob([BACKUP]), 'personas_20241018.json');
    form.append('avatar', new Blob([Buffer.from(annPng)]), '1729281122334-Ann.png');
    const res = await fetch(`${svc.api.url}${P}/import`, { method: 'POST', headers: { 'X-API-KEY': a.key }, body: form });
    const report = (await res.json()) as any;
    expect(res.status).toBe(201);
    expect(report.imported.map((i: { name: string }) => i.name).sort()).toEqual(['Ann', 'Bram the Bard', 'Cleo', 'User']);
    expect(report.warnings).toEqual(['description 1729281299999-Gone.png has no persona of that id; skipped']);

    const list = (await a.call('GET', P, undefined, 200)).body.items as Array<Record<string, any>>;
    const byName = new Map(list.map((p) => [p.name, p]));
    expect(byName.get('Ann')).toMatchObject({ position: 'in_prompt', world_book_id: atlas.id, avatar: { media_type: 'image/png' } });
    expect(byName.get('Ann')!.locked_character_ids).toHaveLength(1);
    expect(byName.get('Bram the Bard')).toMatchObject({ position: 'at_depth', depth: 1, role: 'user', is_default: true });
    expect(byName.get('Cleo')).toMatchObject({ position: 'an_top' });
    expect(report.default_persona_id).toBe(byName.get('Bram the Bard')!.id);
    const avatar = await svc.download(`${P}/${byName.get('Ann')!.id}/avatar`, { key: a.key });
    expect(Buffer.from(avatar.bytes).equals(Buffer.from(annPng))).toBe(true);

    const exported = (await a.call('GET', `${P}/export`, undefined, 200)).body;
    const original = JSON.parse(BACKUP);
    expect(exported.personas).toEqual(original.personas);
    expect(exported.default_persona).toBe('1729281190001.png');
    for (const id of Object.keys(original.personas)) {
      const { title: _title, ...descriptor } = original.persona_descriptions[id];
      expect(exported.persona_descriptions[id]).toEqual({ lorebook: '', connections: [], ...descriptor });
    }

    const again = await a.call('POST', `${P}/import`, exported, 201);
    expect(again.body.imported).toEqual([]);
    expect(again.body.skipped).toHaveLength(4);
    expect((await a.call('GET', P, undefined, 200)).body.total).toBe(4);
  });

  test('a JSON body that is not a backup is a 422 and imports nothing', async () => {
    const a = api(await user('not-a-backup'));
    const res = await a.call('POST', `${P}/import`, { hello: 'world' });
    expect(res.status).toBe(422);
    expect((await a.call('GET', P, undefined, 200)).body.total).toBe(0);
  });
});

describe('forgetting a user', () => {
  test('removes their personas from the read model and the API', async () => {
    const { user: forgotten, apiKey } = await svc.runtime.userStore.createUser('to-forget', false);
    const a = api(apiKey);
    const p = await a.persona({
      name: 'Secret',
      description: 'secret persona text',
      avatar_base64: Buffer.from(buildPng([], { width: 7 })).toString('base64'),
    });
    expect((await svc.request('DELETE', `/api/v1/admin/users/${forgotten.id}/data`, { key: admin })).status).toBe(200);
    const rows = await svc.runtime.database.db
      .withSchema(svc.runtime.config.READ_SCHEMA)
      .selectFrom('personas')
      .select('id')
      .where('owner_id', '=', forgotten.id)
      .execute();
    expect(rows).toEqual([]);
    expect((await svc.request('GET', `${P}/${p.id}`, { key: admin })).status).toBe(404);
  });
});

describe('replay', () => {
  test('a rebuild of the read models from the log gives the same persona rows', async () => {
    const { db } = svc.runtime.database;
    await rebuildReadModels({
      db,
      eventStore: svc.runtime.eventStore,
      liveSchema: 'read',
      projections,
      targetSchema: 'read_personas_check',
    });
    expect(await tableDifference(db, 'read', 'read_personas_check', 'personas')).toBe(0);
    const rows = await db.withSchema('read_personas_check').selectFrom('personas').select('id').execute();
    expect(rows.length).toBeGreaterThan(10);
    await sql`DROP SCHEMA read_personas_check CASCADE`.execute(db);
  });
});
