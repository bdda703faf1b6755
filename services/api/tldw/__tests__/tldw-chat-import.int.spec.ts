/**
 * Our port of tldw_server's `test_chat_import_local_chats.py` (HTTP level) against `POST /api/v1/chats/import`.
 * Differences from the original, by design: message ids that are not UUIDs are stored under a UUID derived from
 * the chat and the client's id (kept as `metadata_extra.client_message_id`), a message holds one image, and the
 * metadata allow-list's refusals are FastAPI's list rather than the original's `unsupported_metadata`. The tests
 * that need two users or small limits are in tldw-limits-port.int.spec.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { buildPng } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
}, 120_000);
afterAll(async () => {
  await svc?.close();
});

// Message ids are unique on the server, as in the original's store; its tests each have a fresh database, and
// these share one service, so each test's ids carry its own suffix.
let run = 'defined';
beforeEach(() => {
  run = randomUUID().slice(0, 8);
});
const mid = (id: string) => `${id}_${run}`;
const ts = (minute: number) => `2025-03-01T10:${String(minute).padStart(2, '0')}:00.250Z`;
const message = (id: string, parent: string | null, role: string, minute: number, extra: Record<string, unknown> = {}) => ({
  id: mid(id),
  parent_message_id: parent && mid(parent),
  role,
  content: `text of ${id}`,
  timestamp: ts(minute),
  ...extra,
});
const COMPLETE = { model_id: 'gpt-4o-mini', provider: 'openai', finish_reason: 'stop', generation_status: 'complete' };
const branching = () => [
  message('pa_q1', null, 'user', 0),
  message('pa_a1', 'pa_q1', 'assistant', 1, { metadata: COMPLETE }),
  message('pa_a2', 'pa_q1', 'assistant', 2, { metadata: { model_id: 'gpt-4o', generation_status: 'length' } }),
  message('pa_q2', 'pa_a2', 'user', 3),
  message('pa_a3', 'pa_q2', 'assistant', 4, { metadata: COMPLETE }),
  message('pa_q1b', null, 'user', 5),
  message('pa_a4', 'pa_q1b', 'assistant', 6),
];
const body = (id: string, messages: unknown[] = branching(), extra: Record<string, unknown> = {}) => ({
  id,
  title: 'Trip planning',
  state: 'resolved',
  created_at: '2025-03-01T09:59:30.000Z',
  last_modified: '2025-03-02T08:30:00.000Z',
  messages,
  ...extra,
});
const importChat = (b: unknown) => svc.request('POST', '/api/v1/chats/import', { body: b });
const allMessages = async (id: string) =>
  (await svc.request('GET', `/api/v1/chats/${id}/messages?limit=200&include_metadata=true&render_placeholders=false`)).body;

describe('test_chat_import_local_chats.py', () => {
  test('test_multi_branch_chat_round_trips_through_messages_and_history_capture (graph, text, times, metadata; no images)', async () => {
    const id = randomUUID();
    const r = await importChat(body(id));
    expect(r.status).toBe(201);
    expect([r.body.id, r.body.title, r.body.state, r.body.scope_type, r.body.message_count, r.body.root_id]).toEqual([
      id,
      'Trip planning',
      'resolved',
      'global',
      7,
      id,
    ]);
    // The conversation shown ends at the last message sent (pa_q1b -> pa_a4); every branch is kept in the tree.
    const shown = await allMessages(id);
    expect(shown.messages.map((m: { metadata_extra: { client_message_id: string } }) => m.metadata_extra.client_message_id)).toEqual([
      mid('pa_q1b'),
      mid('pa_a4'),
    ]);
    const tree = await svc.request('GET', `/api/v1/character_messages/chats/${id}/messages?view=tree&limit=200`);
    const byClient = new Map<string, { id: string; parent_message_id: string | null; sender: string; content: string; created_at: string }>(
      tree.body.items.map((m: { metadata: { client_message_id: string } }) => [m.metadata.client_message_id, m]),
    );
    for (const sent of branching()) {
      const row = byClient.get(sent.id)!;
      expect([row.sender, row.content, row.created_at]).toEqual([sent.role, sent.content, sent.timestamp]);
      expect(row.parent_message_id).toBe(sent.parent_message_id ? byClient.get(sent.parent_message_id)!.id : null);
    }
    const a1 = await svc.request('GET', `/api/v1/messages/${byClient.get(mid('pa_a1'))!.id}?include_metadata=true`);
    expect(a1.body.metadata_extra).toEqual({ sender_role: 'assistant', client_message_id: mid('pa_a1'), ...COMPLETE });
  });

  test('test_offset_timestamps_are_stored_as_the_same_instant', async () => {
    const id = randomUUID();
    const messages = [{ ...message('pa_q1', null, 'user', 0), timestamp: '2025-03-01T12:00:00.250+02:00' }];
    expect((await importChat(body(id, messages, { created_at: '2025-03-01T05:59:30-04:00' }))).status).toBe(201);
    expect((await allMessages(id)).messages[0].timestamp).toBe('2025-03-01T10:00:00.250Z');
  });

  test('test_imported_text_and_title_are_searchable', async () => {
    const id = randomUUID();
    const messages = [{ ...message('pa_q1', null, 'user', 0), content: 'the heliotrope itinerary' }];
    expect((await importChat(body(id, messages, { title: 'Heliotrope trip' }))).status).toBe(201);
    const found = await svc.request('GET', `/api/v1/chats/${id}/messages/search?query=heliotrope`);
    expect(found.status).toBe(200);
    expect(found.body.messages.map((m: { content: string }) => m.content)).toEqual(['the heliotrope itinerary']);
  });

  test('test_replay_returns_the_same_chat_and_writes_nothing', async () => {
    const id = randomUUID();
    const first = await importChat(body(id));
    const head = await svc.runtime.eventStore.headPosition();
    const second = await importChat(body(id));
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.headers.get('idempotency-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    expect(JSON.stringify(second.body)).not.toContain('sha256:');
  });

  test.each([
    ['title', { title: 'Different title' }],
    ['state', { state: 'backlog' }],
    ['created_at', { created_at: '2025-03-01T09:59:31.000Z' }],
    ['fewer-messages', { messages: branching().slice(0, -1) }],
    ['extra-message', { messages: [...branching(), message('pa_new', 'pa_a4', 'user', 7)] }],
  ])('test_same_id_with_a_different_body_is_409_and_changes_nothing[%s]', async (_name, change) => {
    const id = randomUUID();
    expect((await importChat(body(id))).status).toBe(201);
    const head = await svc.runtime.eventStore.headPosition();
    const conflict = await importChat({ ...body(id), ...change });
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail.error_code).toBe('chat_id_conflict');
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
  });

  test('test_id_of_a_chat_that_was_not_imported_is_409', async () => {
    const created = await svc.request('POST', '/api/v1/chats/', { body: { title: 'Server chat' } });
    const conflict = await importChat(body(created.body.id));
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail.error_code).toBe('chat_id_conflict');
  });

  test.each([
    ['missing-parent', [message('pa_q1', null, 'user', 0), message('pa_a1', 'pa_missing', 'assistant', 1)]],
    ['self-parent', [message('pa_q1', 'pa_q1', 'user', 0)]],
    ['cycle', [message('pa_1', 'pa_3', 'user', 0), message('pa_2', 'pa_1', 'assistant', 1), message('pa_3', 'pa_2', 'user', 2)]],
    ['duplicate-id', [message('pa_q1', null, 'user', 0), message('pa_q1', null, 'user', 1)]],
  ])('test_invalid_graph_is_422_and_writes_nothing[%s]', async (name, messages) => {
    const id = randomUUID();
    const r = await importChat(body(id, messages));
    expect(r.status).toBe(422);
    const codes: Record<string, string> = {
      'missing-parent': 'missing_parent',
      'self-parent': 'cyclic_ancestry',
      cycle: 'cyclic_ancestry',
      'duplicate-id': 'duplicate_message_id',
    };
    expect(r.body.detail.error_code).toBe(codes[name]);
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  test.each([
    ['extra-key', { ...COMPLETE, reasoning_time_taken: 12 }],
    ['bad-usage', { usage: { prompt_tokens: -1 } }],
    ['reserved-key', { sender_role: 'system' }],
  ])('test_metadata_outside_the_allow_list_is_422_and_writes_nothing[%s]', async (_name, metadata) => {
    const id = randomUUID();
    const r = await importChat(body(id, [message('pa_q1', null, 'user', 0), message('pa_a1', 'pa_q1', 'assistant', 1, { metadata })]));
    expect(r.status).toBe(422);
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  test('test_generation_metadata_on_a_user_message_is_422', async () => {
    const r = await importChat(body(randomUUID(), [message('pa_q1', null, 'user', 0, { metadata: { model_id: 'gpt-4o' } })]));
    expect(r.status).toBe(422);
  });

  const simple = (id: string) => body(id, [message('pa_q1', null, 'user', 0), message('pa_a1', 'pa_q1', 'assistant', 1)]);
  const without = (b: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(b).filter(([k]) => k !== key));
  const firstMessage = (b: ReturnType<typeof simple>, change: Record<string, unknown>) => ({
    ...b,
    messages: [{ ...(b.messages[0] as object), ...change }],
  });
  test.each([
    ['bad-uuid', (b: ReturnType<typeof simple>) => ({ ...b, id: 'not-a-uuid' })],
    ['no-id', (b: ReturnType<typeof simple>) => without(b, 'id')],
    ['no-title', (b: ReturnType<typeof simple>) => without(b, 'title')],
    ['no-created-at', (b: ReturnType<typeof simple>) => without(b, 'created_at')],
    ['blank-title', (b: ReturnType<typeof simple>) => ({ ...b, title: '   ' })],
    ['bad-state', (b: ReturnType<typeof simple>) => ({ ...b, state: 'archived' })],
    ['naive-date', (b: ReturnType<typeof simple>) => ({ ...b, created_at: '2025-03-01T09:59:30' })],
    ['epoch-number', (b: ReturnType<typeof simple>) => ({ ...b, created_at: 1788256770000 })],
    ['no-messages', (b: ReturnType<typeof simple>) => ({ ...b, messages: [] })],
    ['tool-role', (b: ReturnType<typeof simple>) => firstMessage(b, { role: 'tool' })],
    ['id-with-space', (b: ReturnType<typeof simple>) => firstMessage(b, { id: 'has space' })],
    ['id-with-slash', (b: ReturnType<typeof simple>) => firstMessage(b, { id: '../etc' })],
    ['id-too-long', (b: ReturnType<typeof simple>) => firstMessage(b, { id: 'x'.repeat(256) })],
    ['bad-timestamp', (b: ReturnType<typeof simple>) => firstMessage(b, { timestamp: 'yesterday' })],
    ['nil-uuid', (b: ReturnType<typeof simple>) => ({ ...b, id: '00000000-0000-0000-0000-000000000000' })],
    ['empty-message', (b: ReturnType<typeof simple>) => firstMessage(b, { content: '   ', images: [] })],
    ['nul-in-text', (b: ReturnType<typeof simple>) => firstMessage(b, { content: 'a\u0000b' })],
    ['lone-surrogate', (b: ReturnType<typeof simple>) => firstMessage(b, { content: 'cut \ud83d emoji' })],
    ['id-with-newline', (b: ReturnType<typeof simple>) => firstMessage(b, { id: 'pa_q1\n' })],
    [
      'no-timestamp',
      (b: ReturnType<typeof simple>) => ({ ...b, messages: [without(b.messages[0] as Record<string, unknown>, 'timestamp')] }),
    ],
    ['fork-without-parent', (b: ReturnType<typeof simple>) => ({ ...b, forked_from_message_id: 'pa_q1' })],
    ['persona-without-id', (b: ReturnType<typeof simple>) => ({ ...b, assistant_kind: 'persona' })],
    ['memory-mode-on-character', (b: ReturnType<typeof simple>) => ({ ...b, persona_memory_mode: 'read_write' })],
    ['control-char-in-parent-id', (b: ReturnType<typeof simple>) => ({ ...b, parent_conversation_id: 'a\u0000b' })],
    [
      'persona-with-character',
      (b: ReturnType<typeof simple>) => ({ ...b, assistant_kind: 'persona', assistant_id: 'p1', character_id: 1 }),
    ],
    ['surrogate-in-assistant-id', (b: ReturnType<typeof simple>) => ({ ...b, assistant_kind: 'persona', assistant_id: 'cut \ud83d id' })],
    ['surrogate-in-message-id', (b: ReturnType<typeof simple>) => firstMessage(b, { id: 'cut\ud83did' })],
    ['surrogate-in-unknown-key', (b: ReturnType<typeof simple>) => ({ ...b, ['cut \ud83d key']: 1 })],
    ['surrogate-in-state', (b: ReturnType<typeof simple>) => ({ ...b, state: 'cut \ud83d state' })],
  ])('test_malformed_request_is_422_and_writes_nothing[%s]', async (_name, change) => {
    const id = randomUUID();
    expect((await importChat(change(simple(id)))).status).toBe(422);
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  test('test_timestamp_in_the_future_is_422', async () => {
    const future = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const r = await importChat(body(randomUUID(), [{ ...message('pa_q1', null, 'user', 0), timestamp: future }]));
    expect(r.status).toBe(422);
  });

  test.each([
    ['client_id'],
    ['user_id'],
    ['owner_user_id'],
    ['owner'],
    ['deleted'],
    ['version'],
    ['scope_type'],
    ['workspace_id'],
    ['root_id'],
    ['rating'],
    ['create_request_fingerprint'],
    ['history_version'],
  ])('test_owner_and_other_server_owned_conversation_fields_are_refused[%s]', async (field) => {
    const id = randomUUID();
    const r = await importChat({ ...simple(id), [field]: 2 });
    expect(r.status).toBe(422);
    expect(r.body.detail[0].type).toBe('extra_forbidden');
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  test.each([
    ['key-order', (b: Record<string, unknown>) => Object.fromEntries(Object.entries(b).reverse())],
    ['uppercase-id', (b: Record<string, unknown>) => ({ ...b, id: String(b.id).toUpperCase() })],
    ['normalized-state', (b: Record<string, unknown>) => ({ ...b, state: 'RESOLVED' })],
    ['same-instant', (b: Record<string, unknown>) => ({ ...b, created_at: '2025-03-01T11:59:30+02:00' })],
    ['explicit-nulls', (b: Record<string, unknown>) => ({ ...b, character_id: null, parent_conversation_id: null })],
    [
      'explicit-defaults',
      (b: Record<string, unknown>) => ({
        ...b,
        messages: (b.messages as Array<Record<string, unknown>>).map((m) => ({
          ...m,
          images: m.images ?? [],
          metadata: m.metadata ?? null,
        })),
      }),
    ],
  ])('test_replay_matches_equivalent_request_bodies[%s]', async (_name, equivalent) => {
    const id = randomUUID();
    expect((await importChat(body(id))).status).toBe(201);
    const replay = await importChat(equivalent(body(id)));
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(id);
  });

  test('test_replay_compares_the_original_request_not_the_current_chat', async () => {
    const id = randomUUID();
    const created = await importChat(body(id));
    const renamed = await svc.request('PUT', `/api/v1/chats/${id}?expected_version=${created.body.version}`, {
      body: { title: 'Renamed' },
    });
    expect(renamed.status).toBe(200);
    const appended = await svc.request('POST', `/api/v1/chats/${id}/messages`, { body: { role: 'user', content: 'one more' } });
    expect(appended.status).toBe(201);
    const replay = await importChat(body(id));
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect([replay.body.title, replay.body.message_count]).toEqual(['Renamed', 8]);
  });

  test.each([
    ['client_id'],
    ['conversation_id'],
    ['history_id'],
    ['deleted'],
    ['version'],
    ['sender'],
    ['ranking'],
    ['last_modified'],
    ['tool_calls'],
    ['history_admission_json'],
    ['tldw_history_admission_v1'],
  ])('test_owner_and_other_server_owned_message_fields_are_refused[%s]', async (field) => {
    const id = randomUUID();
    const r = await importChat(body(id, [{ ...message('pa_q1', null, 'user', 0), [field]: field === 'tool_calls' ? [] : 'x' }]));
    expect(r.status).toBe(422);
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  test('test_replaying_a_trashed_import_is_410_and_does_not_restore_or_recreate', async () => {
    const id = randomUUID();
    const created = await importChat(body(id));
    expect((await svc.request('DELETE', `/api/v1/chats/${id}?expected_version=${created.body.version}`)).status).toBe(204);
    const gone = await importChat(body(id));
    expect(gone.status).toBe(410);
    expect(gone.body.detail.error_code).toBe('chat_deleted');
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
    const different = await importChat(body(id, branching(), { title: 'Different title' }));
    expect(different.status).toBe(409);
    expect(different.body.detail.error_code).toBe('chat_id_conflict');
  });

  test('test_restored_import_replays_again', async () => {
    const id = randomUUID();
    const created = await importChat(body(id));
    expect((await svc.request('DELETE', `/api/v1/chats/${id}?expected_version=${created.body.version}`)).status).toBe(204);
    expect((await svc.request('POST', `/api/v1/chats/${id}/restore`)).status).toBe(200);
    const replay = await importChat(body(id));
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
  });

  // The original trashes the chat in its store; here through the API's own delete.
  test('test_permanently_deleted_import_frees_its_ids', async () => {
    const id = randomUUID();
    const created = await importChat(body(id));
    expect((await svc.request('DELETE', `/api/v1/chats/${id}?expected_version=${created.body.version}`)).status).toBe(204);
    expect((await importChat(body(id))).status).toBe(410);
    expect((await svc.request('DELETE', `/api/v1/chats/${id}?hard_delete=true`)).status).toBe(204);
    const again = await importChat(body(id));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotency-replayed')).toBeNull();
    expect((await allMessages(id)).total).toBe(2);
  });

  test('test_character_binding_is_kept_and_an_unknown_character_is_404', async () => {
    const missing = await importChat({ ...simple(randomUUID()), character_id: randomUUID() });
    expect(missing.status).toBe(404);
    expect(missing.body.detail.error_code).toBe('character_not_found');
    const character = await svc.request('POST', '/api/v1/characters', {
      body: { name: `Archivist ${Date.now()}`, first_message: 'Welcome back.' },
    });
    const id = randomUUID();
    const bound = await importChat({ ...simple(id), character_id: character.body.id });
    expect(bound.status).toBe(201);
    expect([bound.body.character_id, bound.body.assistant_kind, bound.body.assistant_id]).toEqual([
      character.body.id,
      'character',
      character.body.id,
    ]);
    expect(bound.body.character_name).toBe(character.body.name);
    // No greeting is seeded: the import is exactly the messages that were sent.
    expect(bound.body.message_count).toBe(2);
    const aliased = await importChat({ ...simple(id), assistant_kind: 'character', assistant_id: character.body.id });
    expect(aliased.status).toBe(200);
  });

  test('test_timestamps_are_not_restamped_with_the_time_of_the_import', async () => {
    const started = Date.now();
    const id = randomUUID();
    const imported = await importChat({ ...simple(id), last_modified: null });
    expect(imported.status).toBe(201);
    // No last_modified sent: the newest message's time, not the import's.
    expect([imported.body.created_at, imported.body.last_modified]).toEqual(['2025-03-01T09:59:30.000Z', ts(1)]);
    const fetched = await svc.request('GET', `/api/v1/chats/${id}`);
    expect([fetched.body.created_at, fetched.body.last_modified, fetched.body.state]).toEqual([
      '2025-03-01T09:59:30.000Z',
      ts(1),
      'resolved',
    ]);
    expect((await allMessages(id)).messages.map((m: { timestamp: string }) => m.timestamp)).toEqual([ts(0), ts(1)]);
    expect(Date.parse(fetched.body.last_modified)).toBeLessThan(started);
    // The original lists the chat first (its database holds one); here it is found among the others.
    let listed: { id: string; last_modified: string } | undefined;
    for (let offset = 0; !listed; offset += 100) {
      const page = await svc.request('GET', `/api/v1/chats/?limit=100&offset=${offset}`);
      expect(page.body.chats.length).toBeGreaterThan(0);
      listed = page.body.chats.find((c: { id: string }) => c.id === id);
    }
    expect(listed.last_modified).toBe(ts(1));
    // A last_modified that is sent is kept as it is.
    const dated = await importChat(body(randomUUID(), [message('pa_dated', null, 'user', 0)]));
    expect([dated.body.created_at, dated.body.last_modified]).toEqual(['2025-03-01T09:59:30.000Z', '2025-03-02T08:30:00.000Z']);
  });

  test('test_parent_in_another_conversation_is_not_a_valid_parent', async () => {
    const other = await importChat(body(randomUUID(), [message('server_msg', null, 'user', 0)], { title: 'Other chat' }));
    expect(other.status).toBe(201);
    const serverUuid = (await allMessages(other.body.id)).messages[0].id;
    const head = await svc.runtime.eventStore.headPosition();
    // Neither the client's id nor our id of a message elsewhere can be adopted as a parent.
    for (const parent of [mid('server_msg'), serverUuid]) {
      const id = randomUUID();
      const r = await importChat(body(id, [{ ...message('pa_q1', null, 'user', 0), parent_message_id: parent }]));
      expect(r.status).toBe(422);
      expect(r.body.detail.error_code).toBe('missing_parent');
      expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
    }
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
  });

  test('test_schema_errors_name_the_field_without_echoing_the_chat', async () => {
    const SECRET = 'owner one private message';
    const PNG = `data:image/png;base64,${Buffer.from(buildPng()).toString('base64')}`;
    const sent: Record<string, unknown> = body(randomUUID(), [
      { ...message('pa_q1', null, 'user', 0), content: SECRET.repeat(400), images: [PNG] },
      { ...message('pa_a1', 'pa_q1', 'assistant', 1), role: 'narrator', content: SECRET },
    ]);
    delete sent.title;
    const r = await importChat(sent);
    expect(r.status).toBe(422);
    const errors = r.body.detail as Array<{ loc: unknown[]; type: string }>;
    expect(new Set(errors.map((e) => JSON.stringify([e.loc, e.type])))).toEqual(
      new Set([JSON.stringify([['body', 'title'], 'missing']), JSON.stringify([['body', 'messages', 1, 'role'], 'literal_error'])]),
    );
    expect(errors.every((e) => Object.keys(e).sort().join() === 'loc,msg,type')).toBe(true);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('base64');
    expect(text.length).toBeLessThan(1_000);
  });

  test('test_schema_error_list_is_bounded', async () => {
    const id = randomUUID();
    const messages = Array.from({ length: 500 }, (_, i) => ({ id: `m${i}`, role: 'narrator', content: 'x', timestamp: ts(0) }));
    const r = await importChat(body(id, messages));
    expect(r.status).toBe(422);
    expect(r.body.detail).toHaveLength(100);
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  test('test_message_count_beyond_the_parse_ceiling_is_422', async () => {
    const id = randomUUID();
    const messages = Array.from({ length: 10_001 }, (_, i) => ({ id: mid(`m${i}`), role: 'user', content: 'x', timestamp: ts(0) }));
    const r = await importChat(body(id, messages));
    expect(r.status).toBe(422);
    expect(r.body.detail[0].loc).toEqual(['body', 'messages']);
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  // The original lowers its limit to 40 for the test; here our real one (a message's 1,000,000 characters).
  test('test_message_text_over_the_persisted_content_limit_is_413', async () => {
    const id = randomUUID();
    const head = await svc.runtime.eventStore.headPosition();
    const r = await importChat(body(id, [{ ...message('pa_q1', null, 'user', 0), content: 'x'.repeat(1_000_001) }]));
    expect(r.status).toBe(413);
    expect(r.body.detail).toMatchObject({ error_code: 'message_content_too_large', message_id: mid('pa_q1') });
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    const within = await importChat(body(id, [{ ...message('pa_q1', null, 'user', 0), content: '{{char}}'.repeat(125_000) }]));
    expect(within.status).toBe(201);
  });

  test('test_message_id_already_on_the_server_is_409_and_writes_nothing', async () => {
    const other = await importChat(
      body(randomUUID(), [{ ...message('pa_q2', null, 'user', 0), content: 'already here' }], { title: 'Existing' }),
    );
    expect(other.status).toBe(201);
    const head = await svc.runtime.eventStore.headPosition();
    const id = randomUUID();
    const r = await importChat(body(id));
    expect(r.status).toBe(409);
    expect(r.body.detail).toEqual({ error_code: 'message_id_conflict', message: 'A message id of the import is already in use.' });
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
    const kept = (await allMessages(other.body.id)).messages;
    expect(kept.map((m: { content: string }) => m.content)).toEqual(['already here']);
  });

  const messageIdOf = async (chatId: string, clientId: string) => {
    const tree = await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?view=tree&limit=200`);
    return tree.body.items.find((m: { metadata: { client_message_id?: string } }) => m.metadata.client_message_id === clientId)
      .id as string;
  };

  // The original answers the fork's message with the client's id; ids here are ours, so it is the message's UUID.
  test('test_fork_keeps_its_lineage_when_the_parent_is_on_the_server', async () => {
    const parent = randomUUID();
    expect((await importChat(body(parent))).status).toBe(201);
    const child = randomUUID();
    const fork = body(child, [message('pa_f1', null, 'user', 0), message('pa_f2', 'pa_f1', 'assistant', 1)], {
      title: 'Fork',
      parent_conversation_id: parent,
      forked_from_message_id: mid('pa_a2'),
    });
    const r = await importChat(fork);
    expect(r.status).toBe(201);
    expect([r.body.parent_conversation_id, r.body.root_id, r.body.forked_from_message_id]).toEqual([
      parent,
      parent,
      await messageIdOf(parent, mid('pa_a2')),
    ]);
    expect((await importChat(fork)).status).toBe(200);
  });

  test('test_fork_source_must_be_a_message_of_the_parent', async () => {
    const parent = randomUUID();
    expect((await importChat(body(parent))).status).toBe(201);
    const head = await svc.runtime.eventStore.headPosition();
    const child = randomUUID();
    const fork = body(child, [message('pa_f1', null, 'user', 0)], { parent_conversation_id: parent, forked_from_message_id: 'pa_nope' });
    const r = await importChat(fork);
    expect(r.status).toBe(422);
    expect(r.body.detail.error_code).toBe('invalid_fork_source');
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    expect((await svc.request('GET', `/api/v1/chats/${child}`)).status).toBe(404);
  });

  const png = Buffer.from(buildPng());
  const dataUrl = (bytes: Uint8Array) => `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`;
  test.each([
    ['empty', 'data:image/png;base64,'],
    ['not-base64', 'not base64 !!'],
    ['not-an-image', Buffer.from('plain text pretending to be an image').toString('base64')],
    ['truncated-png', dataUrl(png.subarray(0, 40))],
  ])('test_image_that_could_not_be_read_back_is_422[%s]', async (_name, image) => {
    const id = randomUUID();
    const r = await importChat(body(id, [message('pa_q1', null, 'user', 0, { images: [image] })]));
    expect(r.status).toBe(422);
    expect(r.body.detail).toMatchObject({ error_code: 'invalid_image', message_id: mid('pa_q1') });
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  // The original takes several images on a message; a message holds one here, so two are already too many.
  test('test_too_many_images_on_one_message_is_422', async () => {
    const id = randomUUID();
    const r = await importChat(body(id, [message('pa_q1', null, 'user', 0, { images: [dataUrl(png), dataUrl(png)] })]));
    expect(r.status).toBe(422);
    expect((await svc.request('GET', `/api/v1/chats/${id}`)).status).toBe(404);
  });

  test('an imported image is stored with its message and read back byte for byte', async () => {
    const id = randomUUID();
    expect((await importChat(body(id, [message('pa_q1', null, 'user', 0, { images: [dataUrl(png)] })]))).status).toBe(201);
    const stored = (await allMessages(id)).messages[0];
    const image = await svc.download(`/api/v1/character_messages/messages/${stored.id}/image`);
    expect(image.status).toBe(200);
    expect(Buffer.from(image.bytes).equals(png)).toBe(true);
  });

  // Not built: persona-backed chats (`assistant_kind: "persona"`) are refused as invalid input (422), not looked up.
  test.failing('test_unknown_persona_is_404', async () => {
    const id = randomUUID();
    const r = await importChat({ ...simple(id), assistant_kind: 'persona', assistant_id: 'no-such-persona' });
    expect(r.status).toBe(404);
    expect(r.body.detail.error_code).toBe('persona_not_found');
  });
});
