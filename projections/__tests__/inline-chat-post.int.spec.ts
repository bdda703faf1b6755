import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql, type QueryCreator } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { chatDecider, chatStream } from '../../commands/chats/chat-decider.ts';
import { postChatMessage, runChatCommand } from '../../commands/chats/chat-workflows.ts';
import { loadState, toNewEvents } from '../../commands/command-handler.ts';
import { createStateCache } from '../../commands/state-cache.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { newId } from '../../shared/ids.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { tableDifference, waitForProjectionsAtHead } from '../../test/read-model-check.ts';
import { chatPostInline } from '../inline-chat-post.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';

let svc: TestService;
let chatId: string;
const actor: Actor = {
  userId: 'local',
  isAdmin: false,
  requestId: 'inline-test',
  correlationId: 'inline-test',
  causationId: 'inline-test',
};
const deps = () => ({
  eventStore: svc.runtime.eventStore,
  stateCache: createStateCache(),
  config: { MAX_CHATS_PER_USER: 1000, MAX_MESSAGES_PER_CHAT: 100_000 },
});
const postCommand = (content: string, parentId?: string) => ({
  type: 'PostMessage' as const,
  chatId,
  messageId: newId(),
  ...(parentId !== undefined ? { parentId } : {}),
  sender: 'user' as const,
  name: null,
  content,
  image: null,
  metadata: null,
  maxMessages: 100_000,
});
const post = (body: Record<string, unknown>) => svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { body });
const revisionOf = async () => (await loadState(svc.runtime.eventStore, chatStream(chatId), chatDecider)).revision;
const chatsCheckpoint = async () =>
  (
    await svc.runtime.database.db
      .withSchema('read')
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', 'chats')
      .executeTakeFirstOrThrow()
  ).position;
const snapshot = async () => ({
  chats: await svc.runtime.database.db.withSchema('read').selectFrom('chats').selectAll().orderBy('id').execute(),
  messages: await svc.runtime.database.db.withSchema('read').selectFrom('chat_messages').selectAll().orderBy('id').execute(),
});

beforeAll(async () => {
  svc = await startTestService();
  const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Inline', first_message: 'hello' } })).body;
  chatId = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })).body.id;
});
afterAll(async () => {
  await svc?.close();
});

describe('a posted message projected in its own append', () => {
  test('is answered while the projector is stopped, readable after the one bounded read-your-writes wait, and the projector later changes nothing', async () => {
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    await svc.runtime.runner!.stop();
    try {
      const checkpoint = await chatsCheckpoint();
      const first = await post({ sender: 'user', content: 'written inline' });
      expect(first.status).toBe(201);
      const second = await post({ sender: 'assistant', content: 'an alternate, inline', parent_message_id: first.body.parent_message_id });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ alternate_count: 2, alternate_index: 1, on_active_path: true });
      // The answers are the rows as any read returns them, committed before the projector saw the events.
      for (const answer of [second, first]) {
        const read = await svc.request('GET', `/api/v1/character_messages/messages/${answer.body.id}`);
        expect(read.status).toBe(200);
        if (answer === second) expect(read.body).toEqual(answer.body);
        else expect(read.body).toMatchObject({ ...answer.body, on_active_path: false, alternate_count: 2, alternate_index: 0 });
      }
      expect(await chatsCheckpoint()).toBe(checkpoint);
      const page = await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?order=desc&limit=1`);
      expect(page.body.items[0].id).toBe(second.body.id);
    } finally {
      await svc.runtime.runner!.start();
    }
    const applied = await snapshot();
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    // The projector passed over both events (checkpoint moved) without changing a row the append wrote.
    expect(await snapshot()).toEqual(applied);
  }, 60_000);

  test('falls back to waiting for the projector when the chat row is behind (an earlier event not yet projected)', async () => {
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    const target = (await post({ sender: 'user', content: 'to be edited' })).body.id as string;
    await svc.runtime.runner!.stop();
    let restarted = false;
    try {
      // An edit appended without waiting: the chat's read-model row is now one revision behind the log.
      await runChatCommand(deps(), actor, chatId, {
        type: 'EditMessage',
        chatId,
        messageId: target,
        content: 'edited first',
        maxMessages: 100_000,
      });
      const direct = await postChatMessage(deps(), actor, postCommand('not inline'), chatPostInline('read'));
      expect(direct.inline).toBeUndefined();
      // Over HTTP: the route waits for the projector, which applies the edit, then this post.
      const pending = post({ sender: 'user', content: 'after the edit' });
      await new Promise((r) => setTimeout(r, 300));
      await svc.runtime.runner!.start();
      restarted = true;
      const answered = await pending;
      expect(answered.status).toBe(201);
      expect(answered.body.content).toBe('after the edit');
    } finally {
      if (!restarted) await svc.runtime.runner!.start();
    }
    expect((await svc.request('GET', `/api/v1/character_messages/messages/${target}`)).body.content).toBe('edited first');
  });

  test('work that fails rolls its append back; a retried append answers as the first without running the work again', async () => {
    const store = svc.runtime.eventStore;
    const revision = await revisionOf();
    const state = (await loadState(store, chatStream(chatId), chatDecider)).state;
    const events = toNewEvents(chatDecider.decide(postCommand('rolled back'), state, actor), actor, state.ownerId ?? undefined);
    // A write of the work that fails (here: its answer cannot be computed) takes the append down with it.
    const failing = {
      statement: (db: QueryCreator<ReadModels>) => db.with('inline', () => sql`(SELECT (1 / 0)::text AS id)`),
      answer: () => 'never',
    };
    await expect(store.appendInline!(chatStream(chatId), events, revision, failing)).rejects.toThrow('division by zero');
    expect(await revisionOf()).toBe(revision);
    const first = await store.appendInline!(chatStream(chatId), events, revision, chatPostInline('read'));
    expect(first.inline).toBeDefined();
    const marker = {
      statement: (db: QueryCreator<ReadModels>) => db.with('inline', () => sql`(SELECT 'ran'::text AS id)`),
      answer: (row: Record<string, unknown>) => row.id,
    };
    const again = await store.appendInline!(chatStream(chatId), events, revision, marker);
    expect(again).toEqual({ revision: first.revision, position: first.position });
  });

  test('a stale cached state (another writer appended) is a lost race, decided again from the log', async () => {
    const d = deps();
    const stale = await loadState(svc.runtime.eventStore, chatStream(chatId), chatDecider);
    d.stateCache.set(chatStream(chatId), stale.state, stale.revision);
    const other = await post({ sender: 'user', content: 'from another writer' });
    expect(other.status).toBe(201);
    const mine = await postChatMessage(d, actor, postCommand('decided again'), chatPostInline('read'));
    expect(mine.revision).toBe(stale.revision + 2);
    expect(mine.inline?.parent_id).toBe(other.body.id);
  });

  test('concurrent posts to one chat all land (lost races decided again, no deadlock between stream and row locks)', async () => {
    const before = (await svc.request('GET', `/api/v1/character_chats/${chatId}`)).body.message_count as number;
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post({ sender: 'user', content: `concurrent ${i}` })));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect((await svc.request('GET', `/api/v1/character_chats/${chatId}`)).body.message_count).toBe(before + 12);
    const page = await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?order=desc&limit=12`);
    expect(new Set(page.body.items.map((m: { id: string }) => m.id))).toEqual(new Set(answers.map((a) => a.body.id)));
  });

  test('a rebuild from the log equals the read models the inline posts and the projector left', async () => {
    await waitForProjectionsAtHead(svc.runtime.database.db, svc.runtime.eventStore);
    const { db } = svc.runtime.database;
    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_inline_check' });
    try {
      expect(await tableDifference(db, 'read', 'read_inline_check', 'chats')).toBe(0);
      expect(await tableDifference(db, 'read', 'read_inline_check', 'chat_messages')).toBe(0);
      expect(await tableDifference(db, 'read', 'read_inline_check', 'audit_events')).toBe(0);
    } finally {
      await sql`DROP SCHEMA read_inline_check CASCADE`.execute(db);
    }
  });
});
