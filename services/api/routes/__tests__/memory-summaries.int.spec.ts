import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { lastUserText, startFakeOpenAIServer, type FakeLlmServer, type RecordedRequest } from '../../../../test/fake-llm/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';
import { waitFor } from '../../../../test/service-process.ts';
import { summariesOnBranch } from '../../../../queries/chat-summaries-queries.ts';
import { searchSummaries } from '../../../../queries/summary-search.ts';
import { SUMMARY_INSTRUCTION } from '../../../../shared/memory/summary-prompt.ts';

/**
 * Long-term memory summaries over HTTP, written by a stand-in OpenAI-compatible provider: off by default, written
 * when a span leaves the window, requested over a range, edited, pinned, regenerated and deleted as new versions,
 * only on the branch of their sources, and rebuilt by replay. The window is 4 messages and a span 3, so a few posts
 * make one due.
 */
let upstream: FakeLlmServer;
let svc: TestService;
let characterId: string;
let regenerations = 0;

const isSummaryRequest = (r: RecordedRequest) => r.body?.messages?.[0]?.content === SUMMARY_INSTRUCTION;

beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  // A summary request is answered with a recap made of its transcript (so the test sees which messages it was given).
  upstream.setDefaultReply((request) =>
    isSummaryRequest(request)
      ? { text: `Recap ${++regenerations}: ${lastUserText(request).replace(/\n+/g, ' | ')}` }
      : { text: 'An ordinary reply.' },
  );
  svc = await startTestService({
    env: {
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: upstream.url,
      LLM_MODEL: 'fake-model',
      MEMORY_SUMMARY_WINDOW_MESSAGES: '4',
      MEMORY_SUMMARY_SPAN_MESSAGES: '3',
    },
    roles: { api: true, projector: true, worker: true },
  });
  const character = await svc.request('POST', '/api/v1/characters', {
    body: { name: 'Archivist', first_message: 'Welcome to the archive.' },
  });
  expect(character.status).toBe(201);
  characterId = character.body.id;
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

async function newChat(settings: Record<string, unknown> = {}): Promise<string> {
  const res = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: characterId, settings } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function post(chatId: string, content: string, parent?: string): Promise<string> {
  const res = await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
    body: { sender: 'user', content, ...(parent ? { parent_message_id: parent } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function activePath(chatId: string): Promise<Array<{ id: string; content: string }>> {
  const res = await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=200`);
  expect(res.status).toBe(200);
  return res.body.items;
}

const summariesUrl = (chatId: string) => `/api/v1/character_chats/${chatId}/memory/summaries`;
const list = async (chatId: string, query = '') => {
  const res = await svc.request('GET', `${summariesUrl(chatId)}${query}`);
  expect(res.status).toBe(200);
  return res.body.summaries as Array<Record<string, any>>;
};
const summaryRequests = () => upstream.requests.filter(isSummaryRequest);

describe('summaries are off by default', () => {
  test('a long chat without the setting queues no summary and calls no provider', async () => {
    const chatId = await newChat();
    for (let i = 0; i < 9; i++) await post(chatId, `plain message ${i}`);
    // The trigger runs beside the answer: give it time to (not) queue anything.
    await new Promise((r) => setTimeout(r, 500));
    expect(await list(chatId)).toEqual([]);
    expect(summaryRequests()).toHaveLength(0);
  });
});

describe('written when a span leaves the window', () => {
  test("the chat's memory_summaries: the first 3 messages beyond the 4-message window, once", async () => {
    const chatId = await newChat({ memory_summaries: true });
    for (let i = 1; i <= 6; i++) await post(chatId, `Fact ${i}: the vault code is ${1000 + i}`);
    const path = await activePath(chatId); // greeting + 6
    expect(path).toHaveLength(7);
    await waitFor('an automatic summary', async () => (await list(chatId)).length === 1, 20_000, 100);
    const [summary] = await list(chatId);
    expect(summary).toMatchObject({ origin: 'auto', version: 1, pinned: false, on_active_branch: true });
    expect(summary!.source_message_ids).toEqual(path.slice(0, 3).map((m) => m.id));
    expect(summary!.text).toContain('Welcome to the archive.');
    expect(summary!.text).toContain('Fact 2: the vault code is 1002');
    expect(summary!.text).not.toContain('Fact 3');
    // More posts: the next span (3 more beyond the window) makes a second summary; the first is not written again.
    for (let i = 7; i <= 9; i++) await post(chatId, `Fact ${i}: the vault code is ${1000 + i}`);
    await waitFor('a second summary', async () => (await list(chatId)).length === 2, 20_000, 100);
    const both = await list(chatId);
    const full = await activePath(chatId);
    expect(both[1]!.source_message_ids).toEqual(full.slice(3, 6).map((m) => m.id));
  });

  test("the owner's default turns them on for chats that do not say; a chat's false wins", async () => {
    const defaults = await svc.request('PATCH', '/api/v1/users/me/defaults', { body: { memory_summaries: true } });
    expect(defaults.status).toBe(200);
    expect(defaults.body.defaults.memory_summaries).toBe(true);
    try {
      const on = await newChat();
      const off = await newChat({ memory_summaries: false });
      for (let i = 0; i < 6; i++) {
        await post(on, `default-on ${i}`);
        await post(off, `chat-off ${i}`);
      }
      await waitFor('the default-on chat’s summary', async () => (await list(on)).length === 1, 20_000, 100);
      await new Promise((r) => setTimeout(r, 300));
      expect(await list(off)).toEqual([]);
    } finally {
      expect((await svc.request('PATCH', '/api/v1/users/me/defaults', { body: { memory_summaries: null } })).status).toBe(200);
    }
  });
});

describe('requested, edited, pinned, regenerated, deleted', () => {
  let chatId: string;
  let path: Array<{ id: string; content: string }>;
  let summaryId: string;

  beforeAll(async () => {
    chatId = await newChat();
    await post(chatId, 'Mira found a brass key under the lighthouse stairs.');
    await post(chatId, 'Mira promised to return on the first of May.');
    await post(chatId, 'The storm broke the lighthouse lamp.');
    path = await activePath(chatId);
  });

  test('POST over a range: the provider summarises exactly those messages; 201 with its first version', async () => {
    const before = summaryRequests().length;
    const res = await svc.request('POST', summariesUrl(chatId), { body: { from_message_id: path[1]!.id, to_message_id: path[2]!.id } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ chat_id: chatId, origin: 'request', version: 1, source_message_ids: [path[1]!.id, path[2]!.id] });
    expect(res.body.model).toBe('default/fake-model');
    expect(res.body.versions).toHaveLength(1);
    const sent = summaryRequests().slice(before);
    expect(sent).toHaveLength(1);
    expect(lastUserText(sent[0]!)).toContain('brass key');
    expect(lastUserText(sent[0]!)).toContain('first of May');
    expect(lastUserText(sent[0]!)).not.toContain('storm');
    summaryId = res.body.summary_id;
    const one = await svc.request('GET', `${summariesUrl(chatId)}/${summaryId}`);
    expect(one.status).toBe(200);
    expect(one.body.text).toBe(res.body.text);
  });

  test('a range not on the active path, or an unknown message, is a 400 and writes nothing', async () => {
    const other = await newChat();
    const foreignMessage = await post(other, 'elsewhere');
    const bad = await svc.request('POST', summariesUrl(chatId), { body: { from_message_id: path[0]!.id, to_message_id: foreignMessage } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('not_on_active_path');
    const invalid = await svc.request('POST', summariesUrl(chatId), { body: { from_message_id: 'nope', to_message_id: path[0]!.id } });
    expect(invalid.status).toBe(400);
    expect(await list(chatId)).toHaveLength(1);
  });

  test('PATCH text and pin: new versions, the earlier text kept; a stale version is a 409; an empty change a 400', async () => {
    const original = (await svc.request('GET', `${summariesUrl(chatId)}/${summaryId}`)).body.text;
    const edit = await svc.request('PATCH', `${summariesUrl(chatId)}/${summaryId}`, {
      body: { text: 'Mira hid a brass key and will come back on 1 May.', expected_version: 1 },
    });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ version: 2, origin: 'edit', text: 'Mira hid a brass key and will come back on 1 May.' });
    expect(edit.body.versions.map((v: { text: string }) => v.text)).toEqual([
      original,
      'Mira hid a brass key and will come back on 1 May.',
    ]);
    const stale = await svc.request('PATCH', `${summariesUrl(chatId)}/${summaryId}`, { body: { pinned: true, expected_version: 1 } });
    expect(stale.status).toBe(409);
    const empty = await svc.request('PATCH', `${summariesUrl(chatId)}/${summaryId}`, { body: { expected_version: 2 } });
    expect(empty.status).toBe(400);
    const pin = await svc.request('PATCH', `${summariesUrl(chatId)}/${summaryId}`, { body: { pinned: true, expected_version: 2 } });
    expect(pin.status).toBe(200);
    expect(pin.body).toMatchObject({ version: 3, pinned: true, text: 'Mira hid a brass key and will come back on 1 May.' });
  });

  test('regenerate: the provider writes it again from the same sources as a new version', async () => {
    const res = await svc.request('POST', `${summariesUrl(chatId)}/${summaryId}/regenerate`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 4, origin: 'regenerate', pinned: true });
    expect(res.body.text).toMatch(/^Recap \d+: .*brass key/);
    expect(res.body.versions).toHaveLength(4);
  });

  test('search over the summaries of the branch: stems matched, why names the sources', async () => {
    const ids = path.map((m) => m.id);
    const hits = await searchSummaries(svc.runtime.database.db, svc.runtime.config.READ_SCHEMA, chatId, ids, 'keys of brass');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ summary_id: summaryId, source_message_ids: [path[1]!.id, path[2]!.id] });
    expect(hits[0]!.matched_terms).toEqual(expect.arrayContaining(['brass', 'key']));
    expect(hits[0]!.why).toContain(path[1]!.id);
    expect(await searchSummaries(svc.runtime.database.db, svc.runtime.config.READ_SCHEMA, chatId, ids, 'volcano')).toEqual([]);
    // Off the branch: the same search with the sources missing from the active ids finds nothing.
    expect(await searchSummaries(svc.runtime.database.db, svc.runtime.config.READ_SCHEMA, chatId, [ids[0]!, ids[1]!], 'brass')).toEqual([]);
  });

  test('DELETE: no longer listed or readable; its versions stay in the event history', async () => {
    const res = await svc.request('DELETE', `${summariesUrl(chatId)}/${summaryId}?expected_version=4`);
    expect(res.status).toBe(200);
    expect(await list(chatId)).toEqual([]);
    expect((await svc.request('GET', `${summariesUrl(chatId)}/${summaryId}`)).status).toBe(404);
    const events = await svc.runtime.eventStore.readStream(`chatsummary-${summaryId}`);
    expect(events.map((e) => e.type)).toEqual([
      'ChatSummaryWritten',
      'ChatSummaryRevised',
      'ChatSummaryRevised',
      'ChatSummaryRevised',
      'ChatSummaryDeleted',
    ]);
  });
});

describe('a branch never carries a summary whose sources are not on it', () => {
  test('a new branch under an earlier message hides the summary; swiping back shows it again', async () => {
    const chatId = await newChat();
    const a = await post(chatId, 'The red door opens at dawn.');
    const b = await post(chatId, 'Only Tomas has the red key.');
    const created = await svc.request('POST', summariesUrl(chatId), { body: { from_message_id: a, to_message_id: b } });
    expect(created.status).toBe(201);
    const sid = created.body.summary_id;
    // A branch under `a`: `b` leaves the active path.
    const c = await post(chatId, 'Nobody has a key.', a);
    const path = (await activePath(chatId)).map((m) => m.id);
    expect(path).toContain(c);
    expect(path).not.toContain(b);
    expect(await list(chatId)).toEqual([]);
    const all = await list(chatId, '?include_off_branch=true');
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ summary_id: sid, on_active_branch: false });
    expect(await summariesOnBranch(svc.runtime.database.db, svc.runtime.config.READ_SCHEMA, chatId, path)).toEqual([]);
    // Swipe back to `b`: the summary is on the branch again.
    const swipe = await svc.request('PUT', `/api/v1/character_messages/messages/${b}/select`);
    expect([200, 201]).toContain(swipe.status);
    const back = (await activePath(chatId)).map((m) => m.id);
    expect(back).toContain(b);
    const onBranch = await summariesOnBranch(svc.runtime.database.db, svc.runtime.config.READ_SCHEMA, chatId, back);
    expect(onBranch).toEqual([{ summary_id: sid, text: created.body.text, source_message_ids: [a, b], pinned: false, version: 1 }]);
  });

  test('deleting a source message takes the summary off the branch', async () => {
    const chatId = await newChat();
    const a = await post(chatId, 'The owl counts the stars.');
    const b = await post(chatId, 'There were 412 of them.');
    expect((await svc.request('POST', summariesUrl(chatId), { body: { from_message_id: a, to_message_id: b } })).status).toBe(201);
    expect(await list(chatId)).toHaveLength(1);
    expect((await svc.request('DELETE', `/api/v1/character_messages/messages/${b}`)).status).toBe(200);
    expect(await list(chatId)).toEqual([]);
  });
});

describe('read model', () => {
  test('a replay of the log into a fresh schema gives the same summary rows', async () => {
    const { differences } = await compareWithFreshRebuild(svc.databaseUrl, svc.runtime.config.READ_SCHEMA);
    expect(differences).toEqual({});
  });
});

// Last: erasing a chat leaves aggregates (a character's last use, daily usage) until their rebuild, by design.
describe('a chat erased for good takes its summaries with it', () => {
  test('rows of both summary tables gone, the summary streams read back redacted', async () => {
    const chatId = await newChat();
    const a = await post(chatId, 'Zanthor keeps the silver compass.');
    const created = await svc.request('POST', summariesUrl(chatId), { body: { from_message_id: a, to_message_id: a } });
    expect(created.status).toBe(201);
    const sid = created.body.summary_id;
    expect(
      (await svc.request('PATCH', `${summariesUrl(chatId)}/${sid}`, { body: { text: 'Zanthor edited', expected_version: 1 } })).status,
    ).toBe(200);
    expect((await svc.request('DELETE', `/api/v1/character_chats/${chatId}`)).status).toBe(200);
    expect((await svc.request('DELETE', `/api/v1/chats/${chatId}?hard_delete=true`)).status).toBe(204);
    const db = svc.runtime.database.db.withSchema(svc.runtime.config.READ_SCHEMA);
    expect(await db.selectFrom('chat_summaries').select('id').where('chat_id', '=', chatId).execute()).toEqual([]);
    expect(await db.selectFrom('chat_summary_versions').select('version').where('summary_id', '=', sid).execute()).toEqual([]);
    const events = await svc.runtime.eventStore.readStream(`chatsummary-${sid}`);
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.redacted)).toBe(true);
    expect(JSON.stringify(events)).not.toContain('Zanthor');
    expect(await db.selectFrom('audit_events').select('stream_id').where('stream_id', '=', `chatsummary-${sid}`).execute()).toEqual([]);
  });
});
