import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
let characterId: string;
beforeAll(async () => {
  svc = await startTestService({ env: { MAX_MESSAGES_PER_CHAT: '5000' } });
  characterId = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Seraphina', first_message: 'Hello!' } })).body.id;
});
afterAll(async () => {
  await svc?.close();
});

/** A SillyTavern 1.12 solo chat: header, greeting swipes, a swiped reply in the middle, several date forms. */
const SOLO = [
  {
    user_name: 'Ann',
    character_name: 'Seraphina',
    create_date: '2024-10-18@20h52m05s',
    chat_metadata: {
      note_prompt: '',
      note_interval: 1,
      note_depth: 4,
      note_position: 1,
      note_role: 0,
      timedWorldInfo: { sticky: {}, cooldown: {} },
      variables: {},
      tainted: true,
      integrity: 'b0a8e6c2-5d0e-4f5e-9f5e-0c6e2a8f1d11',
    },
  },
  {
    name: 'Seraphina',
    is_user: false,
    is_system: false,
    send_date: 'October 18, 2024 8:52pm',
    mes: '*You wake up.* Are you hurt?',
    extra: {},
    swipe_id: 0,
    swipes: ['*You wake up.* Are you hurt?', 'Hello, traveller.', 'You are safe now.'],
    swipe_info: [],
  },
  {
    name: 'Ann',
    is_user: true,
    is_system: false,
    send_date: 'October 18, 2024 8:53pm',
    mes: 'Where am I?',
    extra: { isSmallSys: false },
    force_avatar: 'User Avatars/user-default.png',
  },
  {
    name: 'Seraphina',
    is_user: false,
    is_system: false,
    send_date: '2024-7-12@01h31m37s',
    mes: 'In my glade, deep in the forest.',
    extra: { api: 'openai', model: 'gpt-4o', token_count: 9 },
    gen_started: '2024-10-18T20:53:10.000Z',
    gen_finished: '2024-10-18T20:53:12.000Z',
    swipe_id: 1,
    swipes: ['In the forest.', 'In my glade, deep in the forest.', 'Somewhere safe.'],
    swipe_info: [
      {
        send_date: 'October 18, 2024 8:53pm',
        gen_started: '2024-10-18T20:53:01.000Z',
        gen_finished: '2024-10-18T20:53:02.000Z',
        extra: { api: 'openai', model: 'gpt-4o' },
      },
      {
        send_date: '2024-7-12@01h31m37s',
        gen_started: '2024-10-18T20:53:10.000Z',
        gen_finished: '2024-10-18T20:53:12.000Z',
        extra: { api: 'openai', model: 'gpt-4o', token_count: 9 },
      },
      { send_date: 'October 18, 2024 8:54pm', extra: { api: 'openai', model: 'gpt-4o' } },
    ],
  },
  { name: 'Ann', is_user: true, is_system: true, send_date: 1729284840000, mes: '(a hidden note)', extra: {} },
  {
    name: 'System',
    is_user: false,
    is_system: true,
    send_date: '2024-6-5 @14h 56m 50s 682ms',
    mes: 'The sun sets over Eldoria.',
    extra: { type: 'narrator' },
  },
];

/** A SillyTavern 1.12 group chat: no header, several speakers. */
const GROUP = [
  { name: 'Ann', is_user: true, is_system: false, send_date: 'October 18, 2024 9:00pm', mes: 'Hello both of you.', extra: {} },
  {
    name: 'Seraphina',
    is_user: false,
    is_system: false,
    send_date: 'October 18, 2024 9:01pm',
    mes: 'Greetings.',
    extra: { gen_id: 1 },
    force_avatar: 'characters/Seraphina.png',
    original_avatar: 'Seraphina.png',
  },
  {
    name: 'Flux',
    is_user: false,
    is_system: false,
    send_date: 'October 18, 2024 9:01pm',
    mes: 'Meow.',
    extra: { gen_id: 1 },
    force_avatar: 'characters/Flux.png',
    original_avatar: 'Flux.png',
    swipe_id: 0,
    swipes: ['Meow.', 'Purr.'],
    swipe_info: [],
  },
];

const jsonl = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n');
const importChat = (content: string, extra: Record<string, unknown> = {}) =>
  svc.request('POST', '/api/v1/character_chats/import', { body: { character_id: characterId, content, ...extra } });
const exportFile = async (chatId: string) => {
  const res = await fetch(`${svc.url}/api/v1/character_chats/${chatId}/export?format=jsonl`, {
    headers: { 'X-API-KEY': 'test-api-key-0123456789abcdef' },
  });
  return { res, lines: (await res.text()).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
};
const withoutEmptySwipeInfo = (original: Record<string, unknown>, exported: Record<string, unknown>) => {
  if (Array.isArray(original.swipe_info) && original.swipe_info.length === 0) {
    expect((exported.swipe_info as unknown[]).length).toBe((original.swipes as unknown[]).length);
    const { swipe_info: _s, ...rest } = exported;
    const { swipe_info: _o, ...orig } = original;
    return [orig, rest];
  }
  return [original, exported];
};

describe('SillyTavern JSONL over HTTP', () => {
  test('a solo chat survives a round trip with its swipes, send dates and header', async () => {
    const imported = await importChat(jsonl(SOLO));
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({
      imported_from: 'sillytavern-jsonl',
      message_count: 9,
      character_id: characterId,
      import: { lines: 5, messages: 9, skipped_lines: [], header: true },
    });
    expect(imported.body.settings).toMatchObject({ user_name: 'Ann', author_note: '', author_note_depth: 4, author_note_role: 'system' });
    expect(imported.body.title).toMatch(/^Seraphina - \d{4}-\d{2}-\d{2}@\d{2}h\d{2}m\d{2}s imported$/);
    const path = (await svc.request('GET', `/api/v1/character_messages/chats/${imported.body.id}/messages`)).body.items;
    expect(path.map((m: { content: string }) => m.content)).toEqual([
      SOLO[1]!.mes,
      'Where am I?',
      'In my glade, deep in the forest.',
      '(a hidden note)',
      'The sun sets over Eldoria.',
    ]);
    expect(path.map((m: { sender: string }) => m.sender)).toEqual(['assistant', 'user', 'assistant', 'user', 'system']);
    expect(path[2]).toMatchObject({ alternate_count: 3, alternate_index: 1, name: 'Seraphina' });
    expect(path.map((m: { created_at: string }) => m.created_at)).toEqual([
      '2024-10-18T20:52:00.000Z',
      '2024-10-18T20:53:00.000Z',
      '2024-07-12T01:31:37.000Z',
      '2024-10-18T20:54:00.000Z',
      '2024-06-05T14:56:50.682Z',
    ]);

    const { res, lines } = await exportFile(imported.body.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jsonl; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.jsonl"/);
    expect(lines).toHaveLength(SOLO.length);
    expect(lines[0]).toEqual(SOLO[0]);
    for (let i = 1; i < SOLO.length; i++) {
      const [original, exported] = withoutEmptySwipeInfo(SOLO[i] as Record<string, unknown>, lines[i]!);
      expect(exported).toEqual(original);
    }

    // swiping in this service shows up as swipe_id in the next export, and the file imports again the same way
    const alternates = (await svc.request('GET', `/api/v1/character_messages/messages/${path[2].id}/alternates`)).body.items;
    await svc.request('PUT', `/api/v1/character_messages/messages/${alternates[2].id}/select`);
    const again = await exportFile(imported.body.id);
    expect(again.lines).toHaveLength(4); // the reply swiped to has no continuation
    expect(again.lines[3]).toMatchObject({
      mes: 'Somewhere safe.',
      swipe_id: 2,
      send_date: 'October 18, 2024 8:54pm',
      swipes: SOLO[3]!.swipes,
    });
    const reimported = await importChat(again.lines.map((l) => JSON.stringify(l)).join('\n'));
    const third = await exportFile(reimported.body.id);
    expect(third.lines).toEqual(again.lines);
  });

  test('a header-less group chat imports with its speakers and exports without a header', async () => {
    const imported = await importChat(jsonl(GROUP), { title: 'Group night' });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ title: 'Group night', message_count: 4, import: { header: false } });
    const path = (await svc.request('GET', `/api/v1/character_messages/chats/${imported.body.id}/messages`)).body.items;
    expect(path.map((m: { name: string }) => m.name)).toEqual(['Ann', 'Seraphina', 'Flux']);
    const { lines } = await exportFile(imported.body.id);
    expect(lines).toHaveLength(3);
    for (let i = 0; i < GROUP.length; i++) {
      const [original, exported] = withoutEmptySwipeInfo(GROUP[i] as Record<string, unknown>, lines[i]!);
      expect(exported).toEqual(original);
    }
  });

  test('a chat made here exports as a valid SillyTavern file, greeting swipes included', async () => {
    const chat = (
      await svc.request('POST', '/api/v1/character_chats', {
        body: { character_id: characterId, settings: { user_name: 'Bo', author_note: 'Stay in character.' } },
      })
    ).body;
    await svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, { body: { sender: 'user', content: 'hi there' } });
    const { lines } = await exportFile(chat.id);
    expect(lines[0]).toMatchObject({ user_name: 'Bo', character_name: 'Seraphina', chat_metadata: { note_prompt: 'Stay in character.' } });
    expect(lines[0]!.create_date).toMatch(/^\d{4}-\d{2}-\d{2}@\d{2}h\d{2}m\d{2}s$/);
    expect(lines[1]).toMatchObject({ name: 'Seraphina', is_user: false, mes: 'Hello!', extra: {} });
    expect(lines[2]).toMatchObject({ name: 'Bo', is_user: true, is_system: false, mes: 'hi there' });
    expect(typeof lines[2]!.send_date).toBe('string');
  });

  test('a broken file is a 400 naming the line, and nothing is stored', async () => {
    const head = await svc.runtime.eventStore.headPosition();
    const bad = await importChat(`${JSON.stringify(SOLO[0])}\n${JSON.stringify(SOLO[1])}\n{"name": "x", "mes": `);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_chat_file', line: 3 });
    expect((await importChat('   ')).status).toBe(400);
    expect(
      (
        await svc.request('POST', '/api/v1/character_chats/import', {
          body: { character_id: '01a20b51-8aef-70e2-bc70-d07f7c1061d9', content: jsonl(GROUP) },
        })
      ).status,
    ).toBe(404);
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
  });

  test('a large file (2,000 lines) imports in one append and reads back', async () => {
    const lines = [
      SOLO[0],
      ...Array.from({ length: 2000 }, (_, i) => ({
        name: i % 2 ? 'Seraphina' : 'Ann',
        is_user: i % 2 === 0,
        is_system: false,
        send_date: 'October 18, 2024 8:52pm',
        mes: `line ${i} ${'lorem ipsum '.repeat(20)}`,
        extra: {},
      })),
    ];
    const imported = await importChat(jsonl(lines));
    expect(imported.status).toBe(201);
    expect(imported.body.message_count).toBe(2000);
    const latest = (await svc.request('GET', `/api/v1/character_messages/chats/${imported.body.id}/messages?order=desc&limit=1`)).body;
    expect(latest.items[0].content).toMatch(/^line 1999 /);
    expect(latest.total).toBe(2000);
  });
});

describe('plain text, Markdown and JSON exports', () => {
  test('the conversation in each format, paginated', async () => {
    const imported = (await importChat(jsonl(SOLO))).body;
    const json = (await svc.request('GET', `/api/v1/character_chats/${imported.id}/export`)).body;
    expect(json).toMatchObject({
      chat_id: imported.id,
      character_name: 'Seraphina',
      character_id: characterId,
      title: imported.title,
      metadata: { total_messages: 5 },
      pagination: { page: 1, total: 5, has_more: false },
    });
    expect(json.messages.map((m: { role: string; name: string }) => [m.role, m.name])).toEqual([
      ['assistant', 'Seraphina'],
      ['user', 'Ann'],
      ['assistant', 'Seraphina'],
      ['user', 'Ann'],
      ['system', 'System'],
    ]);
    const paged = (await svc.request('GET', `/api/v1/character_chats/${imported.id}/export?format=json&page=2&page_size=2`)).body;
    expect(paged.messages.map((m: { content: string }) => m.content)).toEqual(['In my glade, deep in the forest.', '(a hidden note)']);
    expect(paged.pagination).toMatchObject({ page: 2, total_pages: 3, has_more: true, messages_in_page: 2 });
    const md = (await svc.request('GET', `/api/v1/character_chats/${imported.id}/export?format=markdown`)).body;
    expect(md.format).toBe('markdown');
    expect(md.content).toMatch(/^# Chat Export: /);
    expect(md.content).toContain('**Ann** (2024-10-18T20:53:00.000Z):\nWhere am I?');
    const text = (await svc.request('GET', `/api/v1/character_chats/${imported.id}/export?format=text`)).body;
    expect(text).toMatchObject({ format: 'text' });
    expect(text.content).toContain('Seraphina: In my glade, deep in the forest.\n');
  });
});
