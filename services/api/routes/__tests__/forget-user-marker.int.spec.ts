/**
 * Forgetting a user leaves nothing readable anywhere: a marker string written through every route that stores user
 * text (characters created, imported, updated, renamed by an administrator, reverted; world books, entries, imports;
 * chats, imports, forks, messages, edits, an image whose PNG metadata holds the marker; chat dictionaries, their
 * entries and imports; personas (their avatars, a backup import); groups, a group file import and a group chat;
 * completions through the fake LLM, whose prompt and reply hold the marker, streamed and not; summaries the fake LLM
 * writes (requested, edited, regenerated);
 * one failing with the marker in the provider's error) is, once the user is forgotten, found nowhere: not in any
 * table of any schema of the database (the event log, the read models, the blob store, the keys, the queue's BullMQ
 * tables), text and bytea alike, in clear or base64; not in Redis (every key of the queue's and relay's database)
 * when REDIS_URL is set. Another user wrote the same marker: their rows still hold it (the search finds what is
 * there). Real HTTP, real PostgreSQL, real Redis, a fake LLM upstream over real HTTP.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { buildPng, cardJson, tEXt } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import { cardFromBasicFields, exportCard } from '../../../../shared/cards/index.ts';
import { lastUserText, startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { createStateCache } from '../../../../commands/state-cache.ts';
import { createMemoryRelay } from '../../../../infra/relay/relay.ts';
import type { QueuedCompletionJob } from '../../../../shared/completions/completion-job.ts';
import { createCharacterPrompts } from '../../../completions/character-prompt.ts';
import { createCompletionRunner } from '../../../completions/completion-runner.ts';
import { createCompletionSealer } from '../../../completions/completion-sealing.ts';

const backends: Array<[string, Record<string, string>]> = [['postgres', {}]];
if (process.env.REDIS_URL) {
  // A database of its own, so the search sees only this service's keys.
  const url = new URL(process.env.REDIS_URL);
  url.pathname = '/11';
  backends.push(['redis', { REDIS_URL: url.toString() }]);
} else {
  console.log('SKIP forget-user marker search on Redis: REDIS_URL is not set');
  test.skip('forget-user marker search (redis): REDIS_URL is not set', () => undefined);
}

/**
 * The forms the marker can take in storage: as written, and base64 (a card inside a PNG chunk, a data URL) at each
 * of the three alignments, without the characters that depend on its neighbours.
 */
function needlesOf(marker: string): string[] {
  const out = [marker];
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.from(`${'x'.repeat(pad)}${marker}`).toString('base64');
    const start = Math.ceil((pad * 4) / 3) + 1;
    const end = Math.floor(((pad + marker.length) * 4) / 3) - 1;
    out.push(b64.slice(start, end));
  }
  return out;
}

interface Hit {
  where: string;
  text: string;
}

/** Every row of every table of every schema whose text (bytea decoded) holds a needle, with the row's text. */
async function searchDatabase(svc: TestService, needles: string[]): Promise<Hit[]> {
  const pool = svc.runtime.database.pool;
  const { rows: columns } = await pool.query<{ table_schema: string; table_name: string; column_name: string; data_type: string }>(
    `SELECT c.table_schema, c.table_name, c.column_name, c.data_type
       FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.table_schema NOT LIKE 'pg_toast%'
      ORDER BY c.table_schema, c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  for (const c of columns) {
    const key = `${q(c.table_schema)}.${q(c.table_name)}`;
    const expr = c.data_type === 'bytea' ? `encode(${q(c.column_name)}, 'escape')` : `${q(c.column_name)}::text`;
    tables.set(key, [...(tables.get(key) ?? []), expr]);
  }
  const hits: Hit[] = [];
  for (const [table, exprs] of tables) {
    const text = `concat_ws(' | ', ${exprs.join(', ')})`;
    const { rows } = await pool.query<{ text: string }>(`SELECT ${text} AS text FROM ${table} WHERE ${text} ILIKE ANY($1::text[])`, [
      needles.map((n) => `%${n}%`),
    ]);
    for (const row of rows) hits.push({ where: table, text: row.text });
  }
  return hits;
}

/** Every value of every key of the Redis database (strings, hashes, lists, sets, sorted sets, streams) holding a needle. */
async function searchRedis(url: string, needles: string[]): Promise<{ hits: Hit[]; keys: string[] }> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const lowered = needles.map((n) => n.toLowerCase());
  const hits: Hit[] = [];
  const keys: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const key of batch) {
        keys.push(key);
        const type = await redis.type(key);
        let values: unknown;
        if (type === 'string') values = await redis.get(key);
        else if (type === 'hash') values = await redis.hgetall(key);
        else if (type === 'list') values = await redis.lrange(key, 0, -1);
        else if (type === 'set') values = await redis.smembers(key);
        else if (type === 'zset') values = await redis.zrange(key, '0', '-1', 'WITHSCORES');
        else if (type === 'stream') values = await redis.xrange(key, '-', '+');
        else throw new Error(`Redis key ${key} has a type the search does not read: ${type}`);
        const text = `${key} ${JSON.stringify(values)}`;
        if (lowered.some((n) => text.toLowerCase().includes(n))) hits.push({ where: `redis ${type} ${key}`, text });
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return { hits, keys };
}

describe.each(backends)('forgetting a user leaves the marker nowhere (%s)', (_backend, backendEnv) => {
  const marker = `Qmk${randomBytes(6).toString('hex')}`;
  const needles = needlesOf(marker);
  let upstream: FakeLlmServer;
  let svc: TestService;
  let admin: string;
  const alice = { id: '', key: '', streamedCompletionId: '', adminCompletionId: '' };
  const bob = { id: '', key: '', ids: [] as string[] };
  let forgotten: { status: number; body: any };
  let before: Hit[] = [];
  let pendingJob: QueuedCompletionJob;

  const ok = async (res: Promise<{ status: number; body: any; headers: Headers }>, what: string, statuses = [200, 201]) => {
    const r = await res;
    if (!statuses.includes(r.status))
      throw new Error(`${what}: ${r.status} ${typeof r.body === 'string' ? r.body.slice(0, 300) : JSON.stringify(r.body)}`);
    return r;
  };

  /** Alice writes the marker through every route that stores text. */
  async function aliceWritesEverywhere() {
    const key = alice.key;
    const req = (method: string, url: string, body?: unknown) => svc.request(method, url, { key, ...(body !== undefined ? { body } : {}) });
    const M = marker;

    // characters: create, import (PNG with the card in a chunk, JSON), update and rename, an admin's rename, revert
    const character = (
      await ok(
        req('POST', '/api/v1/characters', {
          name: `${M} hero`,
          description: `${M} lives in a tower`,
          personality: `${M} is kind`,
          scenario: `${M} scenario`,
          first_message: `Greetings from ${M}`,
          mes_example: `<START>\n{{char}}: ${M}`,
          creator_notes: `${M} notes`,
          system_prompt: `${M} system`,
          tags: [`${M}tag`],
          creator: `${M} creator`,
        }),
        'create character',
      )
    ).body;
    const png = buildPng(
      [
        tEXt(
          'chara',
          Buffer.from(
            cardJson(`${M} imported`, {
              description: `${M} card text`,
              character_book: { entries: [{ keys: [`${M}lore`], content: `${M} card lore`, enabled: true, insertion_order: 1 }] },
            }),
          ).toString('base64'),
        ),
      ],
      { width: 7 },
    );
    await ok(svc.upload('/api/v1/characters/import', { bytes: png, filename: `${M}.png` }, { key }), 'import png card');
    await ok(
      svc.upload(
        '/api/v1/characters/import',
        { bytes: new Uint8Array(Buffer.from(cardJson(`${M} json card`, { description: `${M} from json` }))), filename: 'card.json' },
        { key },
      ),
      'import json card',
    );
    const boxed = cardFromBasicFields({ name: `${M} boxed`, description: `${M} in a box` });
    boxed.data.assets = [{ type: 'emotion', uri: 'embeded://assets/emotion/happy.png', name: `${M} happy`, ext: 'png' }];
    const asset = buildPng([tEXt('Comment', `${M} in an asset`)], { width: 11 });
    const charx = exportCard(boxed, 'charx', {
      assets: [
        {
          path: 'assets/emotion/happy.png',
          uri: 'embeded://assets/emotion/happy.png',
          type: 'emotion',
          name: `${M} happy`,
          ext: 'png',
          mime: 'image/png',
          bytes: asset,
        },
      ],
    });
    await ok(
      svc.upload('/api/v1/characters/import', { bytes: charx.bytes, filename: 'boxed.charx' }, { key }),
      'import charx with an asset',
    );
    await ok(
      req('PUT', `/api/v1/characters/${character.id}`, { name: `${M} renamed`, description: `${M} second version` }),
      'update character',
    );
    await ok(
      svc.request('PUT', `/api/v1/characters/${character.id}`, {
        key: admin,
        body: { name: `${M} renamed by admin`, scenario: `${M} as the admin wrote it` },
      }),
      'admin renames character',
    );
    await ok(req('POST', `/api/v1/characters/${character.id}/revert`, { target_version: 2 }), 'revert character');

    // world books: create, update, entries (add, change), import, attach, bulk change, process-context (recorded)
    const book = (await ok(req('POST', '/api/v1/characters/world-books', { name: `${M} lore`, description: `${M} book` }), 'create book'))
      .body;
    await ok(req('PUT', `/api/v1/characters/world-books/${book.id}`, { description: `${M} book, changed` }), 'update book');
    const entry = (
      await ok(
        req('POST', `/api/v1/characters/world-books/${book.id}/entries`, {
          keys: [`${M}key`, 'tower'],
          secondary_keys: [`${M}second`],
          content: `${M} entry content`,
          comment: `${M} comment`,
        }),
        'add entry',
      )
    ).body;
    await ok(
      req('PUT', `/api/v1/characters/world-books/${book.id}/entries/${entry.entry_id}`, { content: `${M} entry content, changed` }),
      'update entry',
    );
    const lorebook = {
      entries: {
        0: {
          uid: 0,
          key: [`${M}imported`],
          keysecondary: [],
          comment: `${M} imported comment`,
          content: `${M} imported content`,
          order: 100,
          position: 0,
          disable: false,
        },
      },
    };
    await ok(
      svc.upload(
        `/api/v1/characters/world-books/import?name=${M}%20imported%20book`,
        { bytes: new Uint8Array(Buffer.from(JSON.stringify(lorebook))), filename: 'lore.json' },
        { key },
      ),
      'import book',
    );
    await ok(req('POST', `/api/v1/characters/${character.id}/world-books`, { world_book_id: book.id }), 'attach book');
    await ok(
      req('POST', '/api/v1/characters/world-books/entries/bulk', { entry_ids: [entry.entry_id], operation: 'set_priority', value: 5 }),
      'bulk entries',
    );
    // tldw_server's routes: an entry changed by its own id (with its extras), a tag renamed on every character
    await ok(
      req('PUT', `/api/v1/characters/world-books/entries/${entry.entry_id}`, {
        keywords: [`${M}tldw`],
        group: `${M} group`,
        metadata: { note: `${M} note` },
      }),
      'tldw update entry',
    );
    await ok(
      req('POST', '/api/v1/characters/tags/operations', { operation: 'rename', source_tag: `${M}tag`, target_tag: `${M}renamed-tag` }),
      'tldw tag rename',
    );
    await ok(
      req('POST', '/api/v1/characters/world-books/process-context', {
        text: `${M} walks to the tower`,
        character_id: character.id,
        record: true,
      }),
      'process-context',
    );

    // chats: create, update, import, messages (text, image with the marker in its metadata), edits, fork
    const chat = (
      await ok(
        req('POST', '/api/v1/character_chats', {
          character_id: character.id,
          title: `${M} chat title`,
          settings: { user_name: `${M}user` },
        }),
        'create chat',
      )
    ).body;
    await ok(req('PUT', `/api/v1/character_chats/${chat.id}`, { title: `${M} chat renamed` }), 'update chat');
    const stChat = [
      { user_name: `${M}user`, character_name: `${M} hero`, create_date: '2024-10-18@20h52m00s', chat_metadata: { note: `${M} metadata` } },
      {
        name: `${M} hero`,
        is_user: false,
        is_system: false,
        send_date: 'October 18, 2024 8:52pm',
        mes: `${M} imported greeting`,
        extra: {},
      },
      { name: `${M}user`, is_user: true, is_system: false, send_date: 'October 18, 2024 8:53pm', mes: `${M} imported reply`, extra: {} },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    await ok(req('POST', '/api/v1/character_chats/import', { character_id: character.id, content: stChat }), 'import chat');
    const message = (
      await ok(
        req('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, { sender: 'user', content: `${M} says something private` }),
        'post message',
      )
    ).body;
    const image = Buffer.from(buildPng([tEXt('Comment', `${M} in the picture`)], { width: 9 })).toString('base64');
    await ok(
      req('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
        sender: 'user',
        content: `${M} sends a picture`,
        image_base64: image,
      }),
      'post image',
    );
    await ok(req('PUT', `/api/v1/character_messages/messages/${message.id}`, { content: `${M} edited` }), 'edit message');
    await ok(
      req('PUT', `/api/v1/character_messages/messages/${message.id}?as_alternate=true`, { content: `${M} edited as an alternate` }),
      'edit as alternate',
    );
    await ok(req('POST', `/api/v1/character_chats/${chat.id}/fork`, { message_id: message.id }), 'fork chat');

    // tldw_server's routes: a chat under a client id, its settings, a message (edited and pinned), a graph import
    const session = (
      await ok(req('POST', '/api/v1/chats/', { id: randomUUID(), character_id: character.id, title: `${M} tldw chat` }), 'tldw chat')
    ).body;
    await ok(
      req('PUT', `/api/v1/chats/${session.id}/settings`, { settings: { authorNote: `${M} note`, memo: `${M} memo` } }),
      'tldw settings',
    );
    const tldwMessage = (
      await ok(req('POST', `/api/v1/chats/${session.id}/messages`, { role: 'user', content: `${M} tldw message` }), 'tldw message')
    ).body;
    await ok(
      req('PUT', `/api/v1/messages/${tldwMessage.id}?expected_version=1`, { content: `${M} tldw edited`, pinned: true }),
      'tldw edit and pin',
    );
    await ok(
      req('POST', '/api/v1/chats/import', {
        id: randomUUID(),
        title: `${M} imported graph`,
        created_at: '2025-03-01T09:59:30.000Z',
        messages: [{ id: `${M}-q1`, role: 'user', content: `${M} graph text`, timestamp: '2025-03-01T10:00:00.250Z' }],
      }),
      'tldw import',
    );
    // groups: create, update, a SillyTavern group file, a group chat (its greetings name the speaker)
    const group = (
      await ok(
        req('POST', '/api/v1/groups', { name: `${M} group`, member_ids: [character.id], join_prefix: `${M} prefix` }),
        'create group',
      )
    ).body;
    await ok(req('PUT', `/api/v1/groups/${group.id}`, { name: `${M} group renamed` }), 'update group');
    const memberName = (await ok(req('GET', `/api/v1/characters/${character.id}`), 'read character')).body.name as string;
    await ok(req('POST', '/api/v1/groups/import', { name: `${M} imported group`, members: [`${memberName}.png`] }), 'import group');
    await ok(req('POST', '/api/v1/character_chats', { group_id: group.id, title: `${M} group chat` }), 'group chat');

    // chat dictionaries: create with entries, update, entries (add, change), imports (Markdown, JSON), attach
    const dictionary = (
      await ok(
        req('POST', '/api/v1/chat/dictionaries', {
          name: `${M} dictionary`,
          description: `${M} described`,
          entries: [{ pattern: `${M}pattern`, replacement: `${M}replacement` }],
        }),
        'create dictionary',
      )
    ).body;
    await ok(
      req('PUT', `/api/v1/chat/dictionaries/${dictionary.id}`, { description: `${M} described again`, version: dictionary.version }),
      'update dictionary',
    );
    const dictionaryEntry = (
      await ok(
        req('POST', `/api/v1/chat/dictionaries/${dictionary.id}/entries`, { pattern: `${M}afk`, replacement: `${M} away` }),
        'add dictionary entry',
      )
    ).body;
    await ok(
      req('PUT', `/api/v1/chat/dictionaries/entries/${dictionaryEntry.id}`, { replacement: `${M} back soon` }),
      'update dictionary entry',
    );
    await ok(
      req('POST', '/api/v1/chat/dictionaries/import', { content: `# ${M} markdown\n\n- ${M}brb -> ${M} be right back\n` }),
      'import dictionary markdown',
    );
    await ok(
      req('POST', '/api/v1/chat/dictionaries/import/json', {
        data: { name: `${M} json dictionary`, entries: [{ pattern: `${M}ttyl`, replacement: `${M} talk later` }] },
      }),
      'import dictionary json',
    );
    await ok(
      req('POST', `/api/v1/character_chats/${chat.id}/chat-dictionaries`, { dictionary_id: dictionary.id, apply_to: 'both' }),
      'attach dictionary',
    );

    // personas: create (an avatar whose PNG metadata holds the marker), update, a SillyTavern backup import, a chat as one
    const persona = (
      await ok(
        req('POST', '/api/v1/personas', {
          name: `${M} persona`,
          description: `${M} persona description`,
          avatar_base64: Buffer.from(buildPng([tEXt('Comment', `${M} persona picture`)], { width: 11 })).toString('base64'),
        }),
        'create persona',
      )
    ).body;
    await ok(req('PUT', `/api/v1/personas/${persona.id}`, { description: `${M} persona described again` }), 'update persona');
    await ok(
      req('POST', '/api/v1/personas/import', {
        personas: { [`${M}.png`]: `${M} imported persona` },
        persona_descriptions: { [`${M}.png`]: { description: `${M} imported description`, position: 4, depth: 2, role: 0 } },
        default_persona: `${M}.png`,
      }),
      'import personas',
    );
    await ok(req('PUT', `/api/v1/character_chats/${chat.id}`, { persona_id: persona.id }), 'chat as persona');

    // completions (the fake upstream answers with the marker): streamed and resumable, stored; /complete; a
    // plain proxy; one the provider refuses with the marker in its message
    const streamed = await ok(
      svc.request('POST', '/api/v1/chat/completions', {
        key,
        body: {
          stream: true,
          resumable: true,
          character_id: character.id,
          conversation_id: chat.id,
          messages: [{ role: 'user', content: `${M} asks about the tower` }],
        },
      }),
      'streamed completion',
      [200],
    );
    expect(streamed.body).toContain(marker);
    alice.streamedCompletionId = streamed.headers.get('x-completion-id')!;
    await ok(req('POST', `/api/v1/character_chats/${chat.id}/complete`, { message: `${M} asks again` }), 'complete');

    // long-term memory: a summary the provider writes (its reply holds the marker), an edit, a regeneration
    const turns = (await ok(req('GET', `/api/v1/character_messages/chats/${chat.id}/messages?limit=200`), 'messages')).body.items;
    const summaries = `/api/v1/character_chats/${chat.id}/memory/summaries`;
    const summary = (await ok(req('POST', summaries, { from_message_id: turns[0].id, to_message_id: turns.at(-1).id }), 'request summary'))
      .body;
    await ok(req('PATCH', `${summaries}/${summary.summary_id}`, { text: `${M} summary edited`, expected_version: 1 }), 'edit summary');
    await ok(req('POST', `${summaries}/${summary.summary_id}/regenerate`), 'regenerate summary');
    // An administrator's completion on her chat: her character, her conversation, so her data.
    const byAdmin = await ok(
      svc.request('POST', `/api/v1/character_chats/${chat.id}/complete`, {
        key: admin,
        body: { stream: true, resumable: true, message: `${M} asked by the admin` },
      }),
      'admin completes her chat',
      [200],
    );
    expect(byAdmin.body).toContain(marker);
    alice.adminCompletionId = byAdmin.headers.get('x-completion-id')!;
    await ok(
      req('POST', '/api/v1/chat/completions', { messages: [{ role: 'user', content: `${M} proxied question` }] }),
      'proxy completion',
    );
    upstream.reply({ kind: 'http-error', status: 400, message: `the provider refuses ${M}` });
    await ok(
      req('POST', '/api/v1/chat/completions', { messages: [{ role: 'user', content: `${M} refused question` }] }),
      'refused completion',
      [400],
    );
  }

  beforeAll(async () => {
    if (backendEnv.REDIS_URL) {
      // This file's own database: only this run's keys are searched.
      const redis = new Redis(backendEnv.REDIS_URL);
      await redis.flushdb();
      redis.disconnect();
    }
    upstream = await startFakeOpenAIServer();
    // The marker whole in one chunk, so that each relay entry of a stream would show it if it were in clear.
    upstream.setDefaultReply((request) => ({ textChunks: [`The answer to "${lastUserText(request)}" `, `mentions ${marker}`, ' too.'] }));
    svc = await startTestService({
      env: {
        ...backendEnv,
        AUTH_MODE: 'multi-user',
        JWT_SECRET: 'forget-marker-secret-0123456789-abcdefghij',
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: upstream.url,
        LLM_MODEL: 'fake-model',
      },
      roles: { api: true, projector: true, worker: true },
    });
    admin = (await svc.runtime.userStore.createUser('root', true)).apiKey;
    const a = await svc.runtime.userStore.createUser('alice', false);
    alice.id = a.user.id;
    alice.key = a.apiKey;
    const b = await svc.runtime.userStore.createUser('bob', false);
    bob.id = b.user.id;
    bob.key = b.apiKey;

    await aliceWritesEverywhere();
    // Bob writes the same marker: a character, a chat, a message, a stored completion.
    const character = (
      await ok(
        svc.request('POST', '/api/v1/characters', {
          key: bob.key,
          body: { name: `${marker} bob's hero`, description: `${marker} for bob` },
        }),
        'bob character',
      )
    ).body;
    const chat = (
      await ok(
        svc.request('POST', '/api/v1/character_chats', {
          key: bob.key,
          body: { character_id: character.id, title: `${marker} bob's chat` },
        }),
        'bob chat',
      )
    ).body;
    await ok(
      svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
        key: bob.key,
        body: { sender: 'user', content: `${marker} bob writes` },
      }),
      'bob message',
    );
    await ok(
      svc.request('POST', `/api/v1/character_chats/${chat.id}/complete`, { key: bob.key, body: { message: `${marker} bob asks` } }),
      'bob completion',
    );
    bob.ids = [bob.id, character.id, chat.id];

    // A job of hers that a worker has not taken yet when she is forgotten.
    pendingJob = await createCompletionSealer(svc.runtime.dataKeys).sealJob({
      completionId: `chatcmpl-pending-${randomBytes(4).toString('hex')}`,
      userId: alice.id,
      isAdmin: false,
      requestId: 'r',
      correlationId: 'c',
      requestHash: 'h',
      provider: null,
      model: null,
      params: {},
      target: { kind: 'proxy', messages: [{ role: 'user', content: `${marker} pending question` }] },
    });
    before = await searchDatabase(svc, needles);
    forgotten = await svc.request('DELETE', `/api/v1/admin/users/${alice.id}/data`, { key: admin });
  }, 120_000);
  afterAll(async () => {
    await svc?.close();
    await upstream?.close();
  });

  const isBobs = (hit: Hit) => bob.ids.some((id) => hit.text.includes(id));
  const summary = (hits: Hit[]) =>
    hits.map((h) => {
      const at = Math.max(0, ...needles.map((n) => h.text.toLowerCase().indexOf(n.toLowerCase())));
      return `${h.where}: ${h.text.slice(Math.max(0, at - 100), at + 100)}`;
    });

  test('before: the search finds her marker in the read models and in the blob store (PNG metadata of a message image and a card asset)', () => {
    const hers = before.filter((h) => !isBobs(h));
    const tables = new Set(hers.map((h) => h.where));
    for (const table of [
      'characters',
      'chats',
      'chat_messages',
      'world_books',
      'world_book_entries',
      'chat_dictionaries',
      'chat_dictionary_entries',
      'audit_events',
    ])
      expect(tables).toContain(`"read"."${table}"`);
    // The message image as stored: its PNG metadata (a tEXt chunk) holds the marker, found in the decoded bytea.
    expect(hers.some((h) => h.where === '"blobs"."blobs"' && h.text.includes(`${marker} in the picture`))).toBe(true);
    expect(hers.some((h) => h.where === '"blobs"."blobs"' && h.text.includes(`${marker} in an asset`))).toBe(true);
  });

  test('the user is forgotten', () => {
    expect(forgotten.status).toBe(200);
    expect(forgotten.body.keys_destroyed).toBe(1);
  });

  test("no table of any schema holds the marker but for the other user's rows (text, JSON, bytea, base64)", async () => {
    const hits = await searchDatabase(svc, needles);
    expect(summary(hits.filter((h) => !isBobs(h)))).toEqual([]);
    // The search finds what is there: bob's character, chat and messages still hold it.
    expect(hits.filter(isBobs).length).toBeGreaterThanOrEqual(3);
  });

  test("the completion stream does not replay the forgotten user's replies (hers, and an administrator's on her chat)", async () => {
    for (const id of [alice.streamedCompletionId, alice.adminCompletionId]) {
      const replay = await svc.request('GET', `/api/v1/chat/completions/${id}/stream`, { key: admin });
      expect(typeof replay.body === 'string' ? replay.body : JSON.stringify(replay.body)).not.toContain(marker);
      expect(replay.status).toBe(404);
    }
  });

  test('a job of hers still queued when she was forgotten runs nothing: no provider call, nothing on its channel', async () => {
    const { runtime } = svc;
    const relay = createMemoryRelay();
    const worker = createCompletionRunner({
      providers: runtime.providers,
      relay,
      prompts: createCharacterPrompts(runtime.database.db, runtime.config.READ_SCHEMA),
      chats: { eventStore: runtime.eventStore, stateCache: createStateCache(), config: runtime.config },
      eventStore: runtime.eventStore,
      waiter: runtime.waiter,
      readYourWritesTimeoutMs: 2000,
      sealer: createCompletionSealer(runtime.dataKeys),
      images: { blobs: runtime.blobStore, quotaBytes: runtime.config.STORAGE_QUOTA_BYTES_PER_USER },
    });
    const calls = upstream.requests.length;
    await expect(
      worker(pendingJob, {
        jobId: pendingJob.completionId,
        jobName: 'completion',
        attempt: 1,
        maxAttempts: 2,
        signal: new AbortController().signal,
        log: runtime.logger,
      }),
    ).rejects.toThrow('completion_forgotten');
    expect(upstream.requests.length).toBe(calls);
    expect(await relay.exists(pendingJob.completionId)).toBe(false);
  });

  test('a stream that is running when its user is forgotten stops: what comes after no longer opens', async () => {
    const carol = await svc.runtime.userStore.createUser(`carol-${randomBytes(3).toString('hex')}`, false);
    const words = Array.from({ length: 30 }, (_, i) => `${marker}word${i} `);
    upstream.reply({ textChunks: words, delayMs: 100 });
    const res = await fetch(`${svc.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { 'X-API-KEY': carol.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, resumable: true, messages: [{ role: 'user', content: 'count for me' }] }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let forgetting: Promise<unknown> | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!forgetting && text.includes(`${marker}word1 `))
        forgetting = svc.request('DELETE', `/api/v1/admin/users/${carol.user.id}/data`, { key: admin });
    }
    expect((await forgetting) as { status: number }).toMatchObject({ status: 200 });
    expect(text).toContain('"code":"not_found"');
    expect(text).not.toContain(`${marker}word29`);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  if (backendEnv.REDIS_URL) {
    test('no Redis key holds the marker (queue jobs, their events, relay streams, rate limits)', async () => {
      // A canary with the marker: the search finds what is there.
      const canary = new Redis(backendEnv.REDIS_URL!);
      await canary.set('forget-marker-canary', `canary ${marker}`, 'EX', 60);
      canary.disconnect();
      const { hits, keys } = await searchRedis(backendEnv.REDIS_URL!, needles);
      // The queue's jobs and the relay's streams are there (sealed), next to the canary.
      expect(keys.filter((k) => k.startsWith('bull:character-chat:chatcmpl-')).length).toBeGreaterThanOrEqual(4);
      expect(keys.filter((k) => k.startsWith('ccb:relay:chatcmpl-')).length).toBeGreaterThanOrEqual(4);
      expect(summary(hits)).toEqual([`redis string forget-marker-canary: forget-marker-canary "canary ${marker}"`]);
    });
  }
});
