import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createChat } from '../../../../commands/chats/chat-workflows.ts';
import type { SeedMessage } from '../../../../commands/chats/chat-decider.ts';
import { createStateCache } from '../../../../commands/state-cache.ts';
import { newId } from '../../../../shared/ids.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

/**
 * Recall into the prompt, over HTTP with the local stand-in provider: in a 10,000-message chat (written through the
 * command side, as an import writes it) a fact told in its first hundred messages reaches the prompt of a later
 * question, the report says why, an alternate that is not on the branch and a turn still in the window are never
 * recalled, the reply records what was recalled, and the chat's settings turn it off.
 */
let upstream: FakeLlmServer;
let svc: TestService;
let characterId: string;

const SIZE = 10_000;
const FILLER = [
  'We talked about the weather and the long walk by the river.',
  'The tea was too hot, so we waited and read the paper.',
  'Work went on as usual, a few calls and some email.',
  'In the evening we watched the rain from the window.',
  'The market was busy; we bought bread, apples and cheese.',
];

beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    env: {
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: upstream.url,
      LLM_MODEL: 'fake-model',
      LLM_CONTEXT_SIZE: '4096',
      MAX_MESSAGES_PER_CHAT: '20000',
    },
    roles: { api: true, projector: true, worker: true },
  });
  const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Wren', first_mes: 'Hello again.' } });
  expect(character.status).toBe(201);
  characterId = character.body.id;
}, 60_000);
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

/** A long chat whose 38th message tells the fact, with an unselected alternate of it; the last ones mention the ring too. */
async function seedLongChat(): Promise<{ chatId: string; fact: string; alternate: string; recent: string; span: string[] }> {
  const chatId = newId();
  const messages: SeedMessage[] = [];
  let parentId: string | null = null;
  const ids: Record<string, string> = {};
  const span: string[] = [];
  for (let i = 0; i < SIZE; i++) {
    const messageId = newId();
    let content = `${FILLER[i % FILLER.length]} (${i})`;
    if (i === 37) {
      content = "I hid my grandmother's ring inside the blue teapot in the attic.";
      ids.fact = messageId;
      // Its alternate (same parent, not selected): another branch of the chat.
      ids.alternate = newId();
      messages.push({ ...seed(ids.alternate, parentId, "My grandmother's ring is in the red box under the stairs."), active: false });
    }
    if (i === SIZE - 2) {
      content = 'Shall I polish the ring before the party?';
      ids.recent = messageId;
    }
    if (i >= 200 && i < 210) span.push(messageId);
    messages.push(seed(messageId, parentId, content, i % 2 ? 'assistant' : 'user'));
    parentId = messageId;
  }
  const deps = { eventStore: svc.runtime.eventStore, stateCache: createStateCache(), config: svc.runtime.config };
  const actor = { userId: 'local', isAdmin: false, requestId: 'seed', correlationId: 'seed', causationId: 'seed' };
  const result = await createChat(deps, actor, {
    chatId,
    characterId,
    characterName: 'Wren',
    title: 'long',
    settings: {},
    forkedFrom: null,
    importedFrom: null,
    messages,
  });
  expect(await svc.runtime.waiter.waitFor(result.position!, 60_000)).toBe(true);
  return { chatId, fact: ids.fact!, alternate: ids.alternate!, recent: ids.recent!, span };
}

function seed(messageId: string, parentId: string | null, content: string, sender: 'user' | 'assistant' = 'user'): SeedMessage {
  return { messageId, parentId, sender, name: null, content, image: null, metadata: null, sentAt: null, active: true };
}

describe('memory recall in the prompt', () => {
  let chat: Awaited<ReturnType<typeof seedLongChat>>;
  beforeAll(async () => {
    chat = await seedLongChat();
  }, 120_000);

  test('prepare: the old fact is recalled at its depth with the template, and the report says why', async () => {
    const res = await svc.request('POST', `/api/v1/character_chats/${chat.chatId}/prepare`, {
      body: { message: "Where is my grandmother's ring now?" },
    });
    expect(res.status).toBe(200);
    const memory = res.body.memory;
    expect(res.body.dropped.historyMessages).toBeGreaterThan(1000);
    expect(memory.enabled).toBe(true);
    expect(memory.summaries).toEqual([]);
    const ids = memory.recalled.map((r: { message_id: string }) => r.message_id);
    expect(ids[0]).toBe(chat.fact);
    expect(memory.recalled[0].why).toMatch(/grandmoth/);
    expect(memory.recalled[0].why).toMatch(/ring/);
    // Never another branch, never a turn the window still holds.
    expect(ids).not.toContain(chat.alternate);
    expect(ids).not.toContain(chat.recent);
    const injected = (res.body.messages as Array<{ role: string; content: string }>).filter((m) => m.content.startsWith('[Memory: '));
    expect(injected).toHaveLength(1);
    expect(injected[0]!.role).toBe('system');
    expect(injected[0]!.content).toContain('blue teapot');
    expect(injected[0]!.content).not.toContain('red box');
    const layout = (res.body.layout as Array<{ injection?: { sources: string[] } }>).find((l) => l.injection?.sources.includes('memory'));
    expect(layout).toBeDefined();
    expect(memory.budget_tokens).toBe(Math.floor(0.15 * 4096));
  });

  test('complete: the provider gets the recalled fact and the reply records the recall', async () => {
    upstream.clearRequests();
    upstream.reply({ text: 'In the blue teapot, up in the attic.' });
    const res = await svc.request('POST', `/api/v1/character_chats/${chat.chatId}/complete`, {
      body: { message: 'Remind me: where did I put the ring from my grandmother?' },
    });
    expect(res.status).toBe(200);
    const sent = JSON.stringify(upstream.requests[0]!.body.messages);
    expect(sent).toContain('blue teapot');
    expect(sent).not.toContain('red box');
    const reply = await svc.request('GET', `/api/v1/character_messages/messages/${res.body.message_ids.reply}`);
    expect(reply.status).toBe(200);
    expect(reply.body.metadata.memory.recalled[0].message_id).toBe(chat.fact);
  });

  test('a summary of an old span is recalled with its sources when the query matches it, and the reply records it', async () => {
    upstream.clearRequests();
    upstream.reply({ text: 'Orsolya, the lighthouse keeper, came by with smoked fish and stories of the storm.' });
    const written = await svc.request('POST', `/api/v1/character_chats/${chat.chatId}/memory/summaries`, {
      body: { from_message_id: chat.span[0], to_message_id: chat.span.at(-1) },
    });
    expect(written.status).toBe(201);
    const res = await svc.request('POST', `/api/v1/character_chats/${chat.chatId}/prepare`, {
      body: { message: 'What did the lighthouse keeper bring us?' },
    });
    expect(res.status).toBe(200);
    expect(res.body.memory.summaries).toHaveLength(1);
    expect(res.body.memory.summaries[0]).toMatchObject({ summary_id: written.body.summary_id, source_message_ids: chat.span });
    expect(res.body.memory.summaries[0].why).toMatch(/lighthous/);
    const injected = (res.body.messages as Array<{ content: string }>).find((m) => m.content.startsWith('[Memory: '));
    expect(injected?.content).toContain('Summary: Orsolya, the lighthouse keeper');
    // A query that matches neither the summary nor its span recalls no summary (it is not pinned).
    const other = await svc.request('POST', `/api/v1/character_chats/${chat.chatId}/prepare`, {
      body: { message: "Where is my grandmother's ring now?" },
    });
    expect(other.body.memory.summaries).toEqual([]);
  });

  test('off per chat, and per user default; the chat setting wins', async () => {
    const off = await svc.request('PUT', `/api/v1/character_chats/${chat.chatId}`, { body: { settings: { memory: { enabled: false } } } });
    expect(off.status).toBe(200);
    const prepared = async () =>
      (
        await svc.request('POST', `/api/v1/character_chats/${chat.chatId}/prepare`, {
          body: { message: "Where is my grandmother's ring?" },
        })
      ).body.memory;
    expect(await prepared()).toMatchObject({ enabled: false, recalled: [] });
    const defaults = await svc.request('PATCH', '/api/v1/users/me/defaults', { body: { memory: { enabled: false, max_results: 2 } } });
    expect(defaults.status).toBe(200);
    expect(defaults.body.defaults.memory).toEqual({ enabled: false, max_results: 2 });
    const on = await svc.request('PUT', `/api/v1/character_chats/${chat.chatId}`, { body: { settings: { memory: { enabled: true } } } });
    expect(on.status).toBe(200);
    const memory = await prepared();
    expect(memory.enabled).toBe(true);
    expect(memory.recalled.length).toBeLessThanOrEqual(2);
    expect(memory.recalled[0].message_id).toBe(chat.fact);
    const bad = await svc.request('PUT', `/api/v1/character_chats/${chat.chatId}`, {
      body: { settings: { memory: { template: 'no slot' } } },
    });
    expect(bad.status).toBe(400);
    await svc.request('PATCH', '/api/v1/users/me/defaults', { body: { memory: null } });
  });
});
