import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { baselineSillyTavernChatFile, createBaselineChatReads } from '../../../../bench/chat-read-baseline.ts';
import { readModelMigrations } from '../../../../infra/db/migrate.ts';
import * as messageExportParts from '../../../../infra/db/migrations/2026_12_08_100_message_export_parts.ts';
import { createChatExportLines } from '../../../../queries/chat-export-lines.ts';
import { createChatQueries } from '../../../../queries/chats-queries.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

/**
 * The SillyTavern export joined by the database from the line parts the chats projection stores (issue 16, item 2):
 * byte for byte the file the reads before it built, for imported SillyTavern chats (swipes, swipe_info, fields in any
 * order, numeric keys), text with every character JSON escapes, names empty or absent, after edits, deletes, restores
 * and swipes; a message whose SillyTavern fields move the line's keys takes the general path; a rebuild writes the
 * same parts, and the migration fills them for rows projected before it.
 */
let svc: TestService;
let characterId: string;
const TRICKY = 'ctl \u0001\u001f\u007f \b\f\n\r\t "q" \\ / \u2028\u2029 é 😀 <b>&amp;</b> \ud7ff\ue000';

const jsonl = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n');
const IMPORTED = [
  { user_name: 'Ann', character_name: 'Seraphina', create_date: '2024-10-18@20h52m05s', chat_metadata: { note_prompt: '', tainted: true } },
  {
    name: 'Seraphina',
    is_user: false,
    is_system: false,
    send_date: 'October 18, 2024 8:52pm',
    mes: `Are you hurt? ${TRICKY}`,
    extra: { zeta: 1, a: { y: [1, 2.5, 'x'], x: null }, '10': true, '2': false, é: 'accent', ab: 0.1 },
    swipe_id: 0,
    swipes: [`Are you hurt? ${TRICKY}`, 'Hello, traveller.', 'You are safe now.'],
    swipe_info: [],
  },
  { name: '', is_user: true, is_system: false, send_date: 'October 18, 2024 8:53pm', mes: 'Where am I?', extra: {}, force_avatar: 'a.png' },
  {
    name: 'Seraphina',
    is_user: false,
    is_system: false,
    send_date: '2024-7-12@01h31m37s',
    mes: 'In my glade.',
    extra: { api: 'openai', model: 'gpt-4o', token_count: 9 },
    gen_started: '2024-10-18T20:53:10.000Z',
    gen_finished: '2024-10-18T20:53:12.000Z',
    swipe_id: 1,
    swipes: ['In the forest.', 'In my glade.', 'Somewhere safe.'],
    swipe_info: [
      { send_date: 'October 18, 2024 8:53pm', gen_started: '2024-10-18T20:53:01.000Z', extra: { model: 'gpt-4o', api: 'openai' } },
      { send_date: '2024-7-12@01h31m37s', extra: { api: 'openai', model: 'gpt-4o', token_count: 9 } },
      { send_date: 'October 18, 2024 8:54pm', extra: {} },
    ],
  },
  { name: 'Ann', is_user: true, is_system: true, send_date: 1729284840000, mes: '(a hidden note)', extra: {} },
  {
    name: 'System',
    is_user: false,
    is_system: true,
    send_date: '2024-6-5 @14h 56m 50s 682ms',
    mes: 'Sunset.',
    extra: { type: 'narrator' },
  },
];

const schema = () => svc.runtime.config.READ_SCHEMA;
const db = () => svc.runtime.database.db;
async function expectExportAsBefore(chatId: string, path: 'stored' | 'general') {
  const chat = (await createChatQueries(db(), schema()).get(chatId))!;
  const file = baselineSillyTavernChatFile(chat, await createBaselineChatReads(db(), schema()).transcript(chatId));
  const http = await svc.download(`/api/v1/character_chats/${chatId}/export?format=jsonl`);
  expect(Buffer.from(http.bytes).toString('utf8')).toBe(file);
  const names = { user: '"x"', assistant: '"x"', system: '"x"' };
  const stored = await createChatExportLines(db(), schema()).sillyTavernLines(chatId, names);
  expect(stored === undefined ? 'general' : 'stored').toBe(path);
  return file;
}
const call = async (method: string, path: string, body?: unknown) => {
  const res = await svc.request(method, path, body === undefined ? {} : { body });
  expect(res.status).toBeLessThan(300);
  return res.body;
};
const post = (path: string, body: unknown) => call('POST', path, body);

beforeAll(async () => {
  svc = await startTestService();
  characterId = (await post('/api/v1/characters', { name: 'Seraphina', first_message: 'Hello!' })).id;
});
afterAll(async () => {
  await svc?.close();
});

describe('the SillyTavern export from stored line parts', () => {
  test('an imported chat with swipes, then swiped, edited, deleted and restored, exports as before', async () => {
    const chatId = (await post('/api/v1/character_chats/import', { character_id: characterId, content: jsonl(IMPORTED) })).id;
    const first = await expectExportAsBefore(chatId, 'stored');
    expect(first).toContain('"swipes":[');
    expect(first).toContain('"name":""'.replace('""', '"Ann"'));
    const path = (await call('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=200`)).items;
    const alternates = (await call('GET', `/api/v1/character_messages/messages/${path[0].id}/alternates`)).items;
    await call('PUT', `/api/v1/character_messages/messages/${alternates[2].id}/select`);
    await call('PUT', `/api/v1/character_messages/messages/${path[1].id}`, { content: `edited ${TRICKY}` });
    await call('DELETE', `/api/v1/character_messages/messages/${path[3].id}`);
    await post(`/api/v1/character_messages/chats/${chatId}/messages`, {
      sender: 'assistant',
      content: 'a new take',
      parent_message_id: path[1].id,
    });
    await expectExportAsBefore(chatId, 'stored');
    await call('POST', `/api/v1/character_messages/messages/${path[3].id}/restore`);
    await call('DELETE', `/api/v1/character_messages/messages/${alternates[1].id}`);
    await expectExportAsBefore(chatId, 'stored');
  });

  test('native messages with every escaped character, names and SillyTavern fields export as before', async () => {
    const chatId = (await post('/api/v1/character_chats', { character_id: characterId, settings: { user_name: 'Bo "B" \\' } })).id;
    const say = (body: Record<string, unknown>) => post(`/api/v1/character_messages/chats/${chatId}/messages`, body);
    await say({ sender: 'user', content: TRICKY });
    await say({ sender: 'assistant', name: `Sera ${TRICKY}`, content: 'named' });
    await say({ sender: 'system', content: 'narration' });
    await say({
      sender: 'assistant',
      content: 'fields',
      metadata: { pinned: true, sillytavern: { b: 1, a: { d: 2, c: 1, '7': 'n' }, extra: { x: 1 } } },
    });
    await expectExportAsBefore(chatId, 'stored');
  });

  test('a message whose SillyTavern fields hold or precede the line keys takes the general path, with the same file', async () => {
    const chatId = (await post('/api/v1/character_chats', { character_id: characterId })).id;
    await post(`/api/v1/character_messages/chats/${chatId}/messages`, { sender: 'user', content: 'hi' });
    await post(`/api/v1/character_messages/chats/${chatId}/messages`, {
      sender: 'assistant',
      content: 'odd',
      metadata: { sillytavern: { name: 'Someone else', swipes: ['x'] } },
    });
    await expectExportAsBefore(chatId, 'general');
    // an integer-like field comes before `name` in a JavaScript object, so before the line's name
    const numbered = (await post('/api/v1/character_chats', { character_id: characterId })).id;
    await post(`/api/v1/character_messages/chats/${numbered}/messages`, {
      sender: 'user',
      content: 'n',
      metadata: { sillytavern: { '7': 1 } },
    });
    await expectExportAsBefore(numbered, 'general');
    const empty = (await post('/api/v1/character_chats', { character_id: characterId })).id;
    await expectExportAsBefore(empty, 'stored');
  });

  test('a rebuild writes the same line parts, and the migration fills them for rows projected before it', async () => {
    const { differences } = await compareWithFreshRebuild(svc.databaseUrl, schema());
    expect(differences).toEqual({});
    const before = `${schema()}_parts_${Date.now()}`;
    const { [`2026_12_08_100_message_export_parts`]: _parts, ...earlier } = readModelMigrations;
    const scoped = db().withSchema(before);
    try {
      await sql`CREATE SCHEMA ${sql.id(before)}`.execute(db());
      const migrator = new Migrator({
        db: scoped,
        migrationTableSchema: before,
        allowUnorderedMigrations: true,
        provider: { getMigrations: async () => earlier },
      });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const columns = sql.raw(
        'id, chat_id, seq, parent_id, sibling_group, depth, on_path, sender, name, speaker_id, content, image_sha256, image_media_type, image_size, metadata, alternate_of, version, created_at, updated_at, deleted_at',
      );
      await sql`INSERT INTO ${sql.id(before, 'chat_messages')} (${columns}) SELECT ${columns} FROM ${sql.id(schema(), 'chat_messages')}`.execute(
        db(),
      );
      await messageExportParts.up(scoped);
      const differ = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (
          (SELECT id, st_line_head, st_swipe_info FROM ${sql.id(schema(), 'chat_messages')}
            EXCEPT ALL SELECT id, st_line_head, st_swipe_info FROM ${sql.id(before, 'chat_messages')})
          UNION ALL
          (SELECT id, st_line_head, st_swipe_info FROM ${sql.id(before, 'chat_messages')}
            EXCEPT ALL SELECT id, st_line_head, st_swipe_info FROM ${sql.id(schema(), 'chat_messages')})) d`.execute(db());
      expect(differ.rows[0]!.n).toBe(0);
      const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.id(before, 'chat_messages')}`.execute(db());
      expect(rows.rows[0]!.n).toBeGreaterThan(15);
    } finally {
      await sql`DROP SCHEMA IF EXISTS ${sql.id(before)} CASCADE`.execute(db());
    }
  });
});
