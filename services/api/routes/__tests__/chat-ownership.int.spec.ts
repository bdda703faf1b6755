import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const secret = 'a-very-long-test-secret-for-hs256-signing-0123456789';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret } });
});
afterAll(async () => {
  await svc?.close();
});

const bearer = async (sub: string) => ({
  Authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`,
});
const MISSING = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('png')]).toString('base64');

/** A summary id no chat has: the chat's owner check comes first on every summary route. */
const SUMMARY = '01a20b51-8aef-70e2-bc70-d07f7c1061da';

describe('chat and message ownership', () => {
  test("every chat and message route: another user's chat or message is 403, a missing one 404, no credentials 401", async () => {
    const owner = await bearer('olivia');
    const other = await bearer('mallory');
    const as = (headers: Record<string, string>) => ({ key: null, headers });
    const character = (await svc.request('POST', '/api/v1/characters', { ...as(owner), body: { name: 'Owned', first_message: 'hi' } }))
      .body;
    const chat = (await svc.request('POST', '/api/v1/character_chats', { ...as(owner), body: { character_id: character.id } })).body;
    const message = (
      await svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
        ...as(owner),
        body: { sender: 'user', content: 'secret dragon', image_base64: PNG },
      })
    ).body;
    expect(message.has_image).toBe(true);

    // Every route of the table under these prefixes must be listed here (so a new one cannot skip the matrix).
    const routes: Array<[string, string, (ids: { chat: string; message: string }) => string, unknown?]> = [
      ['get', '/api/v1/character_chats/:chat_id', (i) => `/api/v1/character_chats/${i.chat}`],
      ['put', '/api/v1/character_chats/:chat_id', (i) => `/api/v1/character_chats/${i.chat}`, { title: 'hijack' }],
      ['delete', '/api/v1/character_chats/:chat_id', (i) => `/api/v1/character_chats/${i.chat}`],
      ['post', '/api/v1/character_chats/:chat_id/restore', (i) => `/api/v1/character_chats/${i.chat}/restore`],
      ['post', '/api/v1/character_chats/:chat_id/fork', (i) => `/api/v1/character_chats/${i.chat}/fork`, { message_id: message.id }],
      ['get', '/api/v1/character_chats/:chat_id/export', (i) => `/api/v1/character_chats/${i.chat}/export`],
      ['post', '/api/v1/character_chats/:chat_id/prepare', (i) => `/api/v1/character_chats/${i.chat}/prepare`, { message: 'hello' }],
      ['post', '/api/v1/character_chats/:chat_id/complete', (i) => `/api/v1/character_chats/${i.chat}/complete`, { message: 'hello' }],
      [
        'post',
        '/api/v1/character_chats/:chat_id/memory/search',
        (i) => `/api/v1/character_chats/${i.chat}/memory/search`,
        { query: 'dragon' },
      ],
      ['get', '/api/v1/character_chats/:chat_id/memory/summaries', (i) => `/api/v1/character_chats/${i.chat}/memory/summaries`],
      [
        'post',
        '/api/v1/character_chats/:chat_id/memory/summaries',
        (i) => `/api/v1/character_chats/${i.chat}/memory/summaries`,
        { from_message_id: message.id, to_message_id: message.id },
      ],
      [
        'get',
        '/api/v1/character_chats/:chat_id/memory/summaries/:summary_id',
        (i) => `/api/v1/character_chats/${i.chat}/memory/summaries/${SUMMARY}`,
      ],
      [
        'patch',
        '/api/v1/character_chats/:chat_id/memory/summaries/:summary_id',
        (i) => `/api/v1/character_chats/${i.chat}/memory/summaries/${SUMMARY}`,
        { text: 'hijack', expected_version: 1 },
      ],
      [
        'delete',
        '/api/v1/character_chats/:chat_id/memory/summaries/:summary_id',
        (i) => `/api/v1/character_chats/${i.chat}/memory/summaries/${SUMMARY}`,
      ],
      [
        'post',
        '/api/v1/character_chats/:chat_id/memory/summaries/:summary_id/regenerate',
        (i) => `/api/v1/character_chats/${i.chat}/memory/summaries/${SUMMARY}/regenerate`,
      ],
      [
        'post',
        '/api/v1/character_messages/chats/:chat_id/messages',
        (i) => `/api/v1/character_messages/chats/${i.chat}/messages`,
        { sender: 'user', content: 'intrusion' },
      ],
      ['get', '/api/v1/character_messages/chats/:chat_id/messages', (i) => `/api/v1/character_messages/chats/${i.chat}/messages`],
      [
        'get',
        '/api/v1/character_messages/chats/:chat_id/messages/search',
        (i) => `/api/v1/character_messages/chats/${i.chat}/messages/search?q=dragon`,
      ],
      ['get', '/api/v1/character_messages/messages/:message_id', (i) => `/api/v1/character_messages/messages/${i.message}`],
      [
        'put',
        '/api/v1/character_messages/messages/:message_id',
        (i) => `/api/v1/character_messages/messages/${i.message}`,
        { content: 'hijack' },
      ],
      ['delete', '/api/v1/character_messages/messages/:message_id', (i) => `/api/v1/character_messages/messages/${i.message}`],
      [
        'post',
        '/api/v1/character_messages/messages/:message_id/restore',
        (i) => `/api/v1/character_messages/messages/${i.message}/restore`,
      ],
      ['put', '/api/v1/character_messages/messages/:message_id/select', (i) => `/api/v1/character_messages/messages/${i.message}/select`],
      [
        'get',
        '/api/v1/character_messages/messages/:message_id/alternates',
        (i) => `/api/v1/character_messages/messages/${i.message}/alternates`,
      ],
      ['get', '/api/v1/character_messages/messages/:message_id/image', (i) => `/api/v1/character_messages/messages/${i.message}/image`],
      ['get', '/api/v1/character_chats/:chat_id/history', (i) => `/api/v1/character_chats/${i.chat}/history`],
      ['get', '/api/v1/character_messages/messages/:message_id/history', (i) => `/api/v1/character_messages/messages/${i.message}/history`],
      ['get', '/api/v1/character_chats/:chat_id/chat-dictionaries', (i) => `/api/v1/character_chats/${i.chat}/chat-dictionaries`],
      [
        'post',
        '/api/v1/character_chats/:chat_id/chat-dictionaries',
        (i) => `/api/v1/character_chats/${i.chat}/chat-dictionaries`,
        { dictionary_id: '01a20b51-8aef-70e2-bc70-d07f7c1061d9' },
      ],
      [
        'delete',
        '/api/v1/character_chats/:chat_id/chat-dictionaries/:dictionary_id',
        (i) => `/api/v1/character_chats/${i.chat}/chat-dictionaries/01a20b51-8aef-70e2-bc70-d07f7c1061d9`,
      ],
    ];
    const table = svc.api.deps && (await import('../../app.ts')).routeTable(svc.api.deps);
    const scoped = table.filter((r) => /\/character_(chats|messages)\/.*:/.test(r.path)).map((r) => `${r.method} ${r.path}`);
    expect(scoped.sort()).toEqual(routes.map(([m, p]) => `${m} ${p}`).sort());

    const head = await svc.runtime.eventStore.headPosition();
    for (const [method, pattern, url, body] of routes) {
      const opts = body === undefined ? {} : { body };
      const real = url({ chat: chat.id, message: message.id });
      const missing = url({ chat: MISSING, message: MISSING });
      expect({ pattern, method, status: (await svc.request(method.toUpperCase(), real, { key: null, ...opts })).status }).toEqual({
        pattern,
        method,
        status: 401,
      });
      expect({ pattern, method, status: (await svc.request(method.toUpperCase(), real, { ...as(other), ...opts })).status }).toEqual({
        pattern,
        method,
        status: 403,
      });
      expect({ pattern, method, status: (await svc.request(method.toUpperCase(), missing, { ...as(other), ...opts })).status }).toEqual({
        pattern,
        method,
        status: 404,
      });
    }
    // none of that changed anything
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);

    // creating or importing a chat on another user's character is 403
    expect((await svc.request('POST', '/api/v1/character_chats', { ...as(other), body: { character_id: character.id } })).status).toBe(403);
    const file =
      '{"user_name":"M","character_name":"Owned","create_date":"2024-10-18@20h52m05s","chat_metadata":{}}\n{"name":"M","is_user":true,"mes":"hi"}';
    expect(
      (await svc.request('POST', '/api/v1/character_chats/import', { ...as(other), body: { character_id: character.id, content: file } }))
        .status,
    ).toBe(403);
    // lists show only one's own chats
    const theirs = (await svc.request('GET', '/api/v1/character_chats', as(other))).body;
    expect(theirs.items).toEqual([]);
    const mine = (await svc.request('GET', '/api/v1/character_chats', as(owner))).body;
    expect(mine.items.map((c: { id: string }) => c.id)).toEqual([chat.id]);
    // the owner still sees the untouched message
    expect((await svc.request('GET', `/api/v1/character_messages/messages/${message.id}`, as(owner))).body).toMatchObject({
      content: 'secret dragon',
      version: 1,
    });
    // an admin may read any chat
    const admin = {
      Authorization: `Bearer ${await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('root').setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`,
    };
    expect((await svc.request('GET', `/api/v1/character_chats/${chat.id}`, as(admin))).status).toBe(200);
  });
});
