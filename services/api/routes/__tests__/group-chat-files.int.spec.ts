import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';
import { buildPng, cardJson, tEXt } from '../../../../shared/cards/__tests__/helpers/builders.ts';

/** SillyTavern group chat files (JSONL with several speakers) in and out, over HTTP with a real database. */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ roles: { api: true, projector: true, worker: false } });
}, 30_000);
afterAll(async () => {
  await svc?.close();
});

const FIXTURE = path.resolve(process.cwd(), 'test/fixtures/sillytavern-groups/2024-09-28@14h03m22s.jsonl');

async function character(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await svc.request('POST', '/api/v1/characters', { body: { name, ...extra } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A character whose card was imported from a PNG under `filename`: SillyTavern knows it by that avatar name. */
async function importedCharacter(name: string, filename: string, extra: Record<string, unknown> = {}): Promise<string> {
  const png = buildPng([tEXt('chara', Buffer.from(cardJson(name, extra)).toString('base64'))]);
  const res = await svc.upload('/api/v1/characters/import', { bytes: png, filename, type: 'image/png' });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function group(name: string, member_ids: string[]): Promise<string> {
  const res = await svc.request('POST', '/api/v1/groups', { body: { name, member_ids } });
  expect(res.status).toBe(201);
  return res.body.id;
}

const messagesOf = async (chatId: string) =>
  (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=100`)).body.items as Array<Record<string, any>>;

async function exportJsonl(chatId: string): Promise<Array<Record<string, any>>> {
  const res = await svc.download(`/api/v1/character_chats/${chatId}/export?format=jsonl`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/jsonl');
  return Buffer.from(res.bytes)
    .toString('utf8')
    .split('\n')
    .map((l) => JSON.parse(l));
}

const chatCount = async () => (await svc.request('GET', '/api/v1/character_chats?limit=100')).body.total as number;

describe('SillyTavern group chat files', () => {
  test('a group chat exports as a group chat file: the "unused" header, then each speaker by name and avatar file name', async () => {
    const alice = await character('Alice', { first_message: 'Hello {{user}}, I am Alice.' });
    const bob = await importedCharacter('Bob', 'bob_v2.png', { first_mes: 'Bob tunes his lute.' });
    const g = await group('Duo', [alice, bob]);
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { group_id: g, settings: { user_name: 'Ann' } } })).body;
    const posted = await svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
      body: { sender: 'user', content: 'Hi both!' },
    });
    expect(posted.status).toBe(201);

    const [header, ...lines] = await exportJsonl(chat.id);
    expect(header).toMatchObject({ user_name: 'unused', character_name: 'unused', chat_metadata: {} });
    expect(lines.map((l) => [l.name, l.is_user, l.original_avatar, l.mes])).toEqual([
      ['Alice', false, 'Alice.png', 'Hello Ann, I am Alice.'],
      ['Bob', false, 'bob_v2.png', 'Bob tunes his lute.'],
      ['Ann', true, undefined, 'Hi both!'],
    ]);
    for (const line of lines) {
      expect(line.swipes).toEqual([line.mes]);
      expect(typeof line.send_date).toBe('string');
      expect(line.extra).toEqual({});
    }

    // The file comes back in as a chat of the same group, each line with its speaker.
    const again = await svc.request('POST', '/api/v1/character_chats/import', {
      body: { group_id: g, content: [header, ...lines].map((l) => JSON.stringify(l)).join('\n') },
    });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ group_id: g, character_id: null, character_name: 'Duo', message_count: 3 });
    expect((await messagesOf(again.body.id)).map((m) => [m.sender, m.name, m.speaker_id])).toEqual([
      ['assistant', 'Alice', alice],
      ['assistant', 'Bob', bob],
      ['user', 'Ann', null],
    ]);
  }, 30_000);

  test('a SillyTavern 1.12 group chat file imports (speakers by original_avatar, then by name) and exports back the same lines', async () => {
    const aria = await character('Aria');
    const brom = await importedCharacter('Brom', 'brom_v2.png');
    const g = await group('Group: Aria, Brom', [aria, brom]);
    const content = readFileSync(FIXTURE, 'utf8');
    const file = content.split('\n').map((l) => JSON.parse(l));

    const res = await svc.request('POST', '/api/v1/character_chats/import', { body: { group_id: g, content } });
    expect(res.status).toBe(201);
    expect(res.body.import).toEqual({ lines: 5, messages: 6, skipped_lines: [], header: false });
    // Brom's line names him "Brom the Bard": his avatar file name finds him. Aria's card has no file: her name does.
    const messages = await messagesOf(res.body.id);
    expect(messages.map((m) => [m.sender, m.name, m.speaker_id ?? null, m.content])).toEqual([
      ['system', 'SillyTavern System', null, file[0].mes],
      ['assistant', 'Aria', aria, file[1].mes],
      ['user', 'Ann', null, file[2].mes],
      ['assistant', 'Brom the Bard', brom, 'Every night, friend!'],
      ['assistant', 'Aria', aria, file[4].mes],
    ]);

    const [header, ...lines] = await exportJsonl(res.body.id);
    expect(header).toMatchObject({ user_name: 'unused', character_name: 'unused' });
    expect(lines.map((l) => [l.name, l.is_user, l.original_avatar ?? null, l.mes])).toEqual(
      file.map((l) => [l.name, l.is_user, l.original_avatar ?? null, l.mes]),
    );
    expect(lines[3]).toMatchObject({ swipes: file[3].swipes, swipe_id: 1, extra: file[3].extra, send_date: file[3].send_date });
  }, 30_000);

  test('a speaker that is no member of the group is a 400 naming it, and nothing is stored', async () => {
    // Aria and Brom are the caller's characters (the test above), but not this group's members.
    const cleo = await character('Cleo');
    const g = await group('Cleo alone', [cleo]);
    const before = await chatCount();
    const res = await svc.request('POST', '/api/v1/character_chats/import', {
      body: { group_id: g, content: readFileSync(FIXTURE, 'utf8') },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.detail).toContain('"Aria"');
    expect(res.body.unmatched).toEqual([
      { line: 2, name: 'Aria', original_avatar: 'Aria.png' },
      { line: 4, name: 'Brom the Bard', original_avatar: 'brom_v2.png' },
      { line: 5, name: 'Aria', original_avatar: 'Aria.png' },
    ]);
    expect(await chatCount()).toBe(before);

    const both = await svc.request('POST', '/api/v1/character_chats/import', { body: { group_id: g, character_id: cleo, content: '{}' } });
    expect(both.status).toBe(400);
    const missing = await svc.request('POST', '/api/v1/character_chats/import', {
      body: { group_id: '01a20b51-8aef-70e2-bc70-d07f7c1061d9', content: readFileSync(FIXTURE, 'utf8') },
    });
    expect(missing.status).toBe(404);
  }, 30_000);

  test('the read models rebuild from the events', async () => {
    const { differences } = await compareWithFreshRebuild(svc.databaseUrl);
    expect(differences).toEqual({});
  }, 30_000);
});
