import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { lastUserText, type FakeReply } from '../fake-llm/index.ts';
import { startTestService, TEST_API_KEY, type TestService } from '../harness.ts';
import { startOpenAIUpstream, UPSTREAM_MODELS, type OpenAIUpstream } from './openai-upstream.ts';
import { SillyTavernFrontEnd, type ChatMessage, type Reply } from './sillytavern-front-end.ts';
import { ensureSillyTavern, type SillyTavernVersion } from './sillytavern-install.ts';
import { startSillyTavern, type SillyTavernServer } from './sillytavern-server.ts';

/**
 * SillyTavern, unchanged, in front of this service: its own server (a pinned release from npm) driven exactly as
 * its browser front end drives it, its "Custom (OpenAI-compatible)" source pointed at our `/v1`, our service on a
 * real PostgreSQL with a stand-in provider behind it. Every assertion is on what a SillyTavern user would see.
 */
const DEFAULT_REPLY: FakeReply = { text: 'Hello from the stand-in provider.' };

/** The prompt SillyTavern builds for a character chat (main prompt, card, new-chat marker, greeting, the turn). */
function chatPrompt(userText: string): ChatMessage[] {
  return [
    { role: 'system', content: "Write Seraphina's next reply in a fictional chat between Seraphina and User." },
    { role: 'system', content: "[Seraphina's personality: gentle, protective guardian of the Eldoria forest]" },
    { role: 'system', content: '[Start a new Chat]' },
    { role: 'assistant', content: '*You wake in a glade, bandaged.* Easy now. You were hurt in the forest.' },
    { role: 'user', content: userText },
  ];
}

/* Where SillyTavern looks for an error's text: a streamed request's error body or event is read for `error.message`
 * (1.12.6 and 1.19.0); a non-streamed failure is re-worded by SillyTavern's server, 1.12.6 with the body's
 * `error.message`, 1.19.0 with the HTTP status text alone (`fetchResponse.statusText`), so there only a reason phrase
 * that carries the message reaches the user. */
const PROVIDER_ERRORS: Array<{ name: string; reply: FakeReply; reads: string | RegExp }> = [
  {
    name: 'provider 400, context too long',
    reply: {
      kind: 'http-error',
      status: 400,
      body: {
        error: {
          message:
            "This model's maximum context length is 8192 tokens. However, your messages resulted in 9120 tokens. Please reduce the length of the messages.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    },
    reads: 'maximum context length is 8192 tokens',
  },
  {
    name: "provider 401, our service's provider key is bad",
    reply: {
      kind: 'http-error',
      status: 401,
      body: {
        error: {
          message: 'Incorrect API key provided: sk-stale***. You can find your API key at https://platform.openai.com/account/api-keys.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    },
    reads: 'Incorrect API key provided',
  },
  {
    name: 'provider 5xx',
    reply: {
      kind: 'http-error',
      status: 500,
      body: {
        error: {
          message: 'The server had an error while processing your request. Sorry about that!',
          type: 'server_error',
          param: null,
          code: null,
        },
      },
    },
    reads: 'The server had an error while processing your request',
  },
];

const RATE_LIMITED: FakeReply = {
  kind: 'http-error',
  status: 429,
  headers: { 'retry-after': '1' },
  body: {
    error: {
      message: 'Rate limit reached for stand-in-small on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    },
  },
};

/** A message about the key SillyTavern holds for this service: it names the key or the credentials (a bare status
 * text such as "Unauthorized" or "Bad request" does not). */
const BAD_KEY_READS = /api key|credential/i;

/** The error toast names the cause; never the credits pop-up. (1.19.0 keeps reading a stream after an error event, so
 * `failed` is not asserted: the toast is what the user reads either way.) */
function expectReadable(reply: Reply, reads: string | RegExp): void {
  expect(reply.quotaPopup).toBe(false);
  expect(reply.toasts.length).toBeGreaterThan(0);
  const shown = reply.toasts.join('\n');
  if (typeof reads === 'string') expect(shown).toContain(reads);
  else expect(shown).toMatch(reads);
}

export function sillyTavernSuite(version: SillyTavernVersion): void {
  let upstream: OpenAIUpstream;
  let svc: TestService;
  let st: SillyTavernServer | undefined;
  let fe: SillyTavernFrontEnd;
  let characterId: string;
  const base = () => `${svc.url}/v1`;
  const generate = (stream: boolean, userText: string, model: string = 'stand-in-small') =>
    fe.generate({ customUrl: base(), model, stream, messages: chatPrompt(userText) });

  beforeAll(async () => {
    const install = ensureSillyTavern(version);
    if (install.installMs > 0) console.log(`SillyTavern ${version} installed from npm in ${install.installMs} ms`);
    upstream = await startOpenAIUpstream();
    svc = await startTestService({
      env: {
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: upstream.url,
        LLM_MODEL: 'stand-in-small',
        LLM_TIMEOUT_MS: '5000',
      },
      roles: { api: true, projector: true, worker: true },
    });
    const created = await svc.request('POST', '/api/v1/characters', {
      body: { name: 'Seraphina', description: 'A guardian of the Eldoria forest', first_mes: 'Easy now. You were hurt.' },
    });
    expect(created.status).toBe(201);
    characterId = created.body.id;
    st = await startSillyTavern(install);
    fe = new SillyTavernFrontEnd(st.url, version);
    await fe.open();
    await fe.writeCustomKey(TEST_API_KEY);
  }, 600_000);

  afterEach(() => upstream?.setDefaultReply(DEFAULT_REPLY));

  afterAll(async () => {
    await st?.stop();
    await svc?.close();
    await upstream?.close();
  }, 60_000);

  describe(`SillyTavern ${version}: connect with the base URL …/v1`, () => {
    test.each([
      ['http://host:port/v1', ''],
      ['a trailing slash, …/v1/', '/'],
    ])('%s: the status is Valid and the list has the provider models and the characters', async (_name, tail) => {
      const connection = await fe.connect(`${base()}${tail}`);
      expect(connection.status).toBe('Valid');
      expect(connection.modelIds).toEqual(expect.arrayContaining([...UPSTREAM_MODELS]));
      expect(connection.modelIds.filter((id) => id === `character:${characterId}` || /^character:seraphina/i.test(id))).toHaveLength(1);
    });

    test('the other base, …/api/v1, connects too', async () => {
      const connection = await fe.connect(`${svc.url}/api/v1`);
      expect(connection.status).toBe('Valid');
      expect(connection.modelIds).toEqual(expect.arrayContaining([...UPSTREAM_MODELS]));
    });
  });

  describe(`SillyTavern ${version}: replies`, () => {
    test('a streamed reply arrives whole', async () => {
      const text = 'Easy, traveler — the shadowfangs won’t find you in this glade. Rest now. 🌿';
      upstream.setDefaultReply({ text, chunkBytes: 3 });
      const reply = await generate(true, 'Where am I?');
      expect(reply).toMatchObject({ failed: false, toasts: [], text });
      expect(upstream.requests.map(lastUserText)).toContain('Where am I?');
    });

    test('a reply that is not streamed', async () => {
      upstream.setDefaultReply({ text: 'You are in the Eldoria forest, under my care.' });
      const reply = await generate(false, 'Who are you?');
      expect(reply).toMatchObject({ failed: false, toasts: [], text: 'You are in the Eldoria forest, under my care.' });
    });

    test('no model chosen yet (model ""): the default model answers', async () => {
      upstream.setDefaultReply({ text: 'The default model speaks.' });
      const reply = await generate(false, 'Hello?', '');
      expect(reply).toMatchObject({ failed: false, toasts: [], text: 'The default model speaks.' });
    });

    test('a new user who connects and writes at once (the front end picked the first listed model) gets a reply', async () => {
      const connection = await fe.connect(base());
      expect(connection.autoSelected).not.toBe('');
      upstream.setDefaultReply({ text: 'Welcome, newcomer.' });
      const reply = await generate(true, 'Hello there!', connection.autoSelected);
      expect(reply).toMatchObject({ failed: false, toasts: [], text: 'Welcome, newcomer.' });
    });

    test('requests right after a streamed one work (swipe, regenerate, continue in quick succession)', async () => {
      upstream.setDefaultReply({ text: 'Another answer, at once.' });
      const replies: Reply[] = [];
      replies.push(await generate(true, 'First, streamed.'));
      replies.push(await generate(false, 'Then not streamed, at once.'));
      replies.push(await generate(true, 'Then streamed again.'));
      replies.push(await generate(true, 'And once more.'));
      expect(replies.map((r) => ({ failed: r.failed, toasts: r.toasts, text: r.text }))).toEqual(
        replies.map(() => ({ failed: false, toasts: [], text: 'Another answer, at once.' })),
      );
    });
  });

  describe(`SillyTavern ${version}: every error readable where SillyTavern shows it`, () => {
    for (const stream of [true, false]) {
      const mode = stream ? 'streamed' : 'not streamed';
      for (const { name, reply, reads } of PROVIDER_ERRORS) {
        test(`${name}, ${mode}: the user reads the provider's message`, async () => {
          upstream.setDefaultReply(reply);
          expectReadable(await generate(stream, 'Tell me everything.'), reads);
        });
      }

      test(`unknown model, ${mode}: the user reads that the model does not exist`, async () => {
        expectReadable(await generate(stream, 'Hello?', 'no-such-model'), /no-such-model/);
      });

      test(`a bad key for this service, ${mode}: the user reads that the key is wrong`, async () => {
        await fe.writeCustomKey('not-the-right-key-0000');
        try {
          expectReadable(await generate(stream, 'Hello?'), BAD_KEY_READS);
        } finally {
          await fe.writeCustomKey(TEST_API_KEY);
        }
      });
    }

    test("429, streamed: the user reads the provider's message, never the credits pop-up", async () => {
      upstream.setDefaultReply(RATE_LIMITED);
      expectReadable(await generate(true, 'Hello?'), 'Rate limit reached');
    });

    if (version === '1.12.6') {
      test('429, not streamed: SillyTavern 1.12.6 waits 5 s and tries again; the retry is answered', async () => {
        upstream.reply(RATE_LIMITED);
        upstream.setDefaultReply({ text: 'Answered after the wait.' });
        const reply = await generate(false, 'Hello?');
        expect(reply).toMatchObject({ failed: false, quotaPopup: false, toasts: [], text: 'Answered after the wait.' });
      }, 60_000);
    } else {
      test("429, not streamed: the user reads the provider's message, never the credits pop-up", async () => {
        upstream.setDefaultReply(RATE_LIMITED);
        expectReadable(await generate(false, 'Hello?'), 'Rate limit reached');
      });
    }

    test("an error in the middle of a stream: the text so far stays and the user reads the provider's message", async () => {
      upstream.setDefaultReply({
        text: 'The forest is quiet tonight, and the',
        textChunks: ['The forest ', 'is quiet ', 'tonight, and the'],
        errorAfterEvents: 3,
        error: { type: 'server_error', message: 'The model overloaded while generating. Please retry.' },
      });
      const reply = await generate(true, 'What is that sound?');
      expect(reply.text).toBe('The forest is quiet ');
      expectReadable(reply, 'The model overloaded while generating');
    });
  });

  describe(`SillyTavern ${version}: characters as models`, () => {
    let readableId: string;
    const lastPost = () => upstream.requests.filter((r) => r.method === 'POST').at(-1)!.body as { messages: ChatMessage[] };

    beforeAll(async () => {
      readableId = `character:seraphina-${characterId.replace(/-/g, '').slice(-4)}`;
      const book = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Eldoria lore' } });
      expect(book.status).toBe(201);
      const entry = { comment: 'glade', keys: ['glade'], content: 'The glade is sacred to the forest spirits.', position: 'before' };
      expect((await svc.request('POST', `/api/v1/characters/world-books/${book.body.id}/entries`, { body: entry })).status).toBe(201);
      const linked = await svc.request('POST', `/api/v1/characters/${characterId}/world-books`, { body: { world_book_id: book.body.id } });
      expect(linked.status).toBe(200);
    });

    test('each character is listed once under an id a person can read, e.g. character:seraphina-3f2a', async () => {
      const connection = await fe.connect(base());
      expect(connection.status).toBe('Valid');
      expect(connection.modelIds.filter((id) => id.startsWith('character:'))).toEqual([readableId]);
    });

    for (const stream of [true, false]) {
      const mode = stream ? 'streamed' : 'not streamed';
      test(`picking the character, ${mode}: the provider gets the stored character's card instead of SillyTavern's prompt`, async () => {
        upstream.setDefaultReply({ text: 'The glade will keep you safe.' });
        const reply = await generate(stream, 'Take me to the glade.', readableId);
        expect(reply).toMatchObject({ failed: false, toasts: [], text: 'The glade will keep you safe.' });
        // Our default main prompt and new-chat marker are SillyTavern's defaults, word for word; the card's
        // personality line and its place are SillyTavern's alone.
        expect(lastPost().messages).toEqual([
          { role: 'system', content: "Write Seraphina's next reply in a fictional chat between Seraphina and User." },
          { role: 'system', content: 'The glade is sacred to the forest spirits.' },
          { role: 'system', content: 'A guardian of the Eldoria forest' },
          { role: 'system', content: '[Start a new Chat]' },
          { role: 'assistant', content: '*You wake in a glade, bandaged.* Easy now. You were hurt in the forest.' },
          { role: 'user', content: 'Take me to the glade.' },
        ]);
      });
    }

    test("character_prompt: lore_only in SillyTavern's Additional Parameters keeps SillyTavern's prompt and adds the activation", async () => {
      upstream.setDefaultReply({ text: 'Lore only.' });
      const messages = chatPrompt('Take me to the glade.');
      const reply = await fe.generate({
        customUrl: base(),
        model: readableId,
        stream: false,
        messages,
        includeBody: 'character_prompt: lore_only',
      });
      expect(reply).toMatchObject({ failed: false, toasts: [], text: 'Lore only.' });
      const sent = lastPost().messages;
      expect(sent).toEqual(expect.arrayContaining(messages.map((m) => expect.objectContaining(m))));
      expect(JSON.stringify(sent)).toContain('The glade is sacred to the forest spirits.');
      expect(JSON.stringify(sent)).not.toContain('A guardian of the Eldoria forest');
    });

    for (const stream of [true, false]) {
      const mode = stream ? 'streamed' : 'not streamed';
      test(`an unknown character:<id> model, ${mode}: the user reads the 404's message and nothing goes upstream`, async () => {
        const posts = upstream.requests.length;
        const reply = await generate(stream, 'Hello?', 'character:nobody-0000');
        expectReadable(reply, /character:nobody-0000/);
        expect(reply.text).toBe('');
        expect(upstream.requests.length).toBe(posts);
      });
    }

    test('a swipe becomes an alternate of the reply in one stored chat, and the next message continues that chat', async () => {
      const chatsOf = async () =>
        (await svc.request('GET', `/api/v1/character_chats?character_id=${characterId}&limit=100`)).body.items as Array<{ id: string }>;
      const before = new Set((await chatsOf()).map((c) => c.id));
      upstream.reply({ text: 'La la la, the first verse.' }, { text: 'Hum hum, another take.' }, { text: 'And the second verse.' });
      const asked = chatPrompt('Sing me a song.');
      const send = (stream: boolean, messages: ChatMessage[]) => fe.generate({ customUrl: base(), model: readableId, stream, messages });
      expect(await send(false, asked)).toMatchObject({ failed: false, toasts: [], text: 'La la la, the first verse.' });
      // The swipe arrow: SillyTavern sends the same prompt again.
      expect(await send(true, asked)).toMatchObject({ failed: false, toasts: [], text: 'Hum hum, another take.' });
      const next = [
        ...asked,
        { role: 'assistant' as const, content: 'Hum hum, another take.' },
        { role: 'user' as const, content: 'Another verse!' },
      ];
      expect(await send(false, next)).toMatchObject({ failed: false, toasts: [], text: 'And the second verse.' });
      const opened = (await chatsOf()).filter((c) => !before.has(c.id));
      expect(opened).toHaveLength(1);
      const messages = await svc.request('GET', `/api/v1/character_messages/chats/${opened[0]!.id}/messages?limit=50`);
      expect(
        (messages.body.items as Array<{ sender: string; content: string; alternate_count: number }>).map((m) => [
          m.sender,
          m.content,
          m.alternate_count,
        ]),
      ).toEqual([
        ['assistant', '*You wake in a glade, bandaged.* Easy now. You were hurt in the forest.', 1],
        ['user', 'Sing me a song.', 1],
        ['assistant', 'Hum hum, another take.', 2],
        ['user', 'Another verse!', 1],
        ['assistant', 'And the second verse.', 1],
      ]);
    });
  });
}
