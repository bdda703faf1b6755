import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { baselineSillyTavernChatFile, createBaselineChatReads } from '../../../../bench/chat-read-baseline.ts';
import { createChatMessageQueries, toMessageView } from '../../../../queries/chat-messages-queries.ts';
import { createChatTranscriptQueries } from '../../../../queries/chat-transcript-queries.ts';
import { createChatQueries } from '../../../../queries/chats-queries.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { chatExportBody, sillyTavernChatFile } from '../../../chats/export-chat.ts';

/**
 * Whole-chat reads were made faster (issue 16, item 2); they must answer byte for byte what the reads before
 * them answered (bench/chat-read-baseline.ts keeps those) on a chat with every shape a chat can take.
 */
let svc: TestService;
let chatId: string;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

beforeAll(async () => {
  svc = await startTestService();
  const post = async (path: string, body: unknown) => {
    const res = await svc.request('POST', path, { body });
    expect(res.status).toBeLessThan(300);
    return res.body;
  };
  const character = await post('/api/v1/characters', { name: 'Seraphina', first_message: 'Hello!', alternate_greetings: ['Hi there.'] });
  chatId = (await post('/api/v1/character_chats', { character_id: character.id, settings: { user_name: 'Ann' } })).id;
  const say = (body: Record<string, unknown>) => post(`/api/v1/character_messages/chats/${chatId}/messages`, body);
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await say({ sender: i % 2 ? 'assistant' : 'user', content: `line ${i} "quoted" \u00e9 <b>` })).id);
  // an image, metadata (SillyTavern fields), a name
  await say({ sender: 'user', content: 'look', image_base64: PNG.toString('base64'), image_mime_type: 'image/png' });
  await say({
    sender: 'assistant',
    name: 'Sera',
    content: 'nice',
    metadata: { sillytavern: { extra: { api: 'openai' }, gen_started: 'x' } },
  });
  await say({ sender: 'user', content: 'plain metadata', metadata: { mood: 'calm' } });
  // alternates: a regenerated reply (sibling) and an edit kept as an alternate, then one of them selected
  const sibling = await say({ sender: 'assistant', content: 'another take', parent_message_id: ids[2] });
  await svc.request('PUT', `/api/v1/character_messages/messages/${ids[3]}?as_alternate=true`, { body: { content: 'edited take' } });
  await svc.request('PUT', `/api/v1/character_messages/messages/${ids[3]}/select`);
  expect(sibling.id).toBeTruthy();
  // an edit in place, deletes (one on the path, one alternate)
  await svc.request('PUT', `/api/v1/character_messages/messages/${ids[5]}`, { body: { content: 'edited in place' } });
  await svc.request('DELETE', `/api/v1/character_messages/messages/${ids[7]}`);
  await svc.request('DELETE', `/api/v1/character_messages/messages/${sibling.id}`);
  // a branch off the path and a system message
  await say({ sender: 'user', content: 'a branch', parent_message_id: ids[9] });
  await svc.request('PUT', `/api/v1/character_messages/messages/${ids[10]}/select`);
  await say({ sender: 'system', content: 'narration' });
});
afterAll(async () => {
  await svc?.close();
});

describe('whole-chat reads answer as before', () => {
  test('the JSONL, JSON, Markdown and text exports and the HTTP export are byte-identical to the old reads', async () => {
    const { db } = svc.runtime.database;
    const schema = svc.runtime.config.READ_SCHEMA;
    const chat = (await createChatQueries(db, schema).get(chatId))!;
    const before = await createBaselineChatReads(db, schema).transcript(chatId);
    const now = await createChatTranscriptQueries(db, schema).transcript(chatId);
    expect(before.some((e) => e.alternates.length > 1)).toBe(true);
    expect(before.some((e) => e.message.image_sha256 !== null)).toBe(true);
    const file = baselineSillyTavernChatFile(chat, before);
    expect(sillyTavernChatFile(chat, now)).toBe(file);
    for (const format of ['json', 'markdown', 'text'])
      expect(JSON.stringify(chatExportBody(chat, now, { format, page: 1, page_size: 1000 }))).toBe(
        JSON.stringify(chatExportBody(chat, before, { format, page: 1, page_size: 1000 })),
      );
    const http = await svc.download(`/api/v1/character_chats/${chatId}/export?format=jsonl`);
    expect(Buffer.from(http.bytes).toString('utf8')).toBe(file);
  });

  test('keyset pages of the conversation are byte-identical to the old reads, both orders, every page', async () => {
    const { db } = svc.runtime.database;
    const schema = svc.runtime.config.READ_SCHEMA;
    const before = createBaselineChatReads(db, schema);
    const now = createChatMessageQueries(db, schema);
    for (const order of ['asc', 'desc'] as const) {
      let after: number | undefined;
      for (;;) {
        const old = await before.pathPage(chatId, { order, limit: 3, after });
        const page = await now.pathPage(chatId, { order, limit: 3, after });
        expect(JSON.stringify({ ...page, items: page.items.map(toMessageView) })).toBe(
          JSON.stringify({ ...old, items: old.items.map(toMessageView) }),
        );
        if (!old.hasMore) break;
        after = old.items[old.items.length - 1]!.depth;
      }
    }
  });
});
