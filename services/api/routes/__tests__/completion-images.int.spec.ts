import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import OpenAI from 'openai';
import { startTestService, TEST_API_KEY, type TestService } from '../../../../test/harness.ts';
import { startFakeAnthropicServer, startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';

type ApiError = InstanceType<typeof OpenAI.APIError>;
type Content = OpenAI.Chat.Completions.ChatCompletionContentPart[];

/** A 1×1 PNG. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const PNG_URL = `data:image/png;base64,${PNG_BASE64}`;
const IMAGE_LIMIT = 2000;
/** Room for the 1×1 PNG, not for a bigger image. */
const STORAGE_QUOTA = 300;

const withImage = (url: string, text = 'What is in this picture?'): Content => [
  { type: 'text', text },
  { type: 'image_url', image_url: { url, detail: 'low' } },
];

function providersFile(openaiUrl: string, anthropicUrl: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'h17img-providers-')), 'providers.json');
  writeFileSync(
    file,
    JSON.stringify({
      default: 'local',
      providers: {
        local: { type: 'openai-compatible', baseUrl: openaiUrl, defaultModel: 'fake-model' },
        claude: { type: 'anthropic', baseUrl: anthropicUrl, apiKey: 'test-anthropic-key', models: ['claude-test'] },
        textonly: { type: 'openai-compatible', baseUrl: openaiUrl, models: ['text-model'], vision: false },
      },
    }),
  );
  return file;
}

/**
 * Image content parts of Chat Completions requests, driven by the official `openai` SDK against the OpenAI and
 * Anthropic stand-ins: data: images are checked and passed on (an image part, an Anthropic image block), stored with
 * a conversation's turn and sent again with the chat's history; http(s) URLs only when the operator allows them.
 */
describe('image content parts', () => {
  let local: FakeLlmServer;
  let claude: FakeLlmServer;
  let svc: TestService;
  let client: OpenAI;
  let characterId: string;

  beforeAll(async () => {
    local = await startFakeOpenAIServer();
    claude = await startFakeAnthropicServer();
    svc = await startTestService({
      env: {
        LLM_PROVIDERS_FILE: providersFile(local.url, claude.url),
        LLM_TIMEOUT_MS: '3000',
        MESSAGE_IMAGE_MAX_BYTES: String(IMAGE_LIMIT),
        STORAGE_QUOTA_BYTES_PER_USER: String(STORAGE_QUOTA),
      },
      roles: { api: true, projector: true, worker: true },
    });
    client = new OpenAI({ apiKey: TEST_API_KEY, baseURL: `${svc.url}/v1`, maxRetries: 0 });
    const created = await svc.request('POST', '/api/v1/characters', {
      body: { name: 'Seraphina', description: 'A guardian of the forest' },
    });
    expect(created.status).toBe(201);
    characterId = created.body.id;
  });
  afterAll(async () => {
    await svc?.close();
    await local?.close();
    await claude?.close();
  });

  const newChat = async () => {
    const res = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: characterId } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const pathOf = async (chatId: string) =>
    (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=100`)).body.items as Array<Record<string, any>>;

  test('a data: image reaches the OpenAI stand-in as an image part and the Anthropic stand-in as an image block', async () => {
    local.clearRequests();
    claude.clearRequests();
    const viaOpenAI = await client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: withImage(PNG_URL) }],
    });
    expect(viaOpenAI.choices[0]!.message.content).toBeTruthy();
    expect(local.requests.at(-1)!.body.messages).toEqual([{ role: 'user', content: withImage(PNG_URL) }]);

    await client.chat.completions.create({ model: 'claude-test', messages: [{ role: 'user', content: withImage(PNG_URL) }] });
    expect(claude.requests.at(-1)!.body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
        ],
      },
    ]);
  });

  /** The user messages of an upstream request that carry an image part, as [text, image URL]. */
  const imagesSent = (messages: Array<{ role: string; content: unknown }>) =>
    messages.flatMap((m) => {
      if (m.role !== 'user' || !Array.isArray(m.content)) return [];
      const text = m.content
        .filter((p: any) => p.type === 'text')
        .map((p: any) => p.text)
        .join('');
      const image = m.content.find((p: any) => p.type === 'image_url')?.image_url.url;
      return image ? [[text, image]] : [];
    });

  test("a conversation's turn stores its image with the message, and the chat's image goes upstream on the next turns", async () => {
    const chatId = await newChat();
    local.clearRequests();
    const first = await client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: withImage(PNG_URL, 'Look at my drawing') }],
      conversation_id: chatId,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    expect(first.choices[0]!.message.content).toBeTruthy();
    // The turn itself went with its image.
    expect(imagesSent(local.requests.at(-1)!.body.messages)).toEqual([[expect.stringContaining('Look at my drawing'), PNG_URL]]);

    const stored = (await pathOf(chatId)).find((m) => m.sender === 'user')!;
    expect(stored.content).toBe('Look at my drawing');
    expect(stored.image).toMatchObject({ media_type: 'image/png', size: Buffer.from(PNG_BASE64, 'base64').byteLength });
    const image = await fetch(`${svc.url}${stored.image.url}`, { headers: { Authorization: `Bearer ${TEST_API_KEY}` } });
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer())).toEqual(Buffer.from(PNG_BASE64, 'base64'));

    // Next turn, text only: the stored image is part of the history sent to the OpenAI-compatible upstream…
    await client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'Do you like it?' }],
      conversation_id: chatId,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    expect(imagesSent(local.requests.at(-1)!.body.messages)).toEqual([[expect.stringContaining('Look at my drawing'), PNG_URL]]);

    // …as an image block to Anthropic…
    claude.clearRequests();
    await client.chat.completions.create({
      model: 'claude-test',
      messages: [{ role: 'user', content: 'And now?' }],
      conversation_id: chatId,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    const blocks = (claude.requests.at(-1)!.body.messages as Array<{ content: unknown }>).flatMap((m) =>
      Array.isArray(m.content) ? m.content.filter((b: any) => b.type === 'image') : [],
    );
    expect(blocks).toEqual([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } }]);

    // …and not at all to a provider configured without vision (its text kept).
    local.clearRequests();
    await client.chat.completions.create({
      model: 'text-model',
      messages: [{ role: 'user', content: 'Describe it in words.' }],
      conversation_id: chatId,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    const textOnly = local.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
    expect(imagesSent(textOnly)).toEqual([]);
    expect(JSON.stringify(textOnly)).toContain('Look at my drawing');
    expect(JSON.stringify(textOnly)).not.toContain('data:image');
  });

  test('an image posted as a message image (image_base64) reaches the upstream with the next completion', async () => {
    const chatId = await newChat();
    const posted = await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
      body: { sender: 'user', content: 'My cat', image_base64: PNG_BASE64 },
    });
    expect(posted.status).toBe(201);
    local.clearRequests();
    const reply = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: {} });
    expect(reply.status).toBe(200);
    expect(imagesSent(local.requests.at(-1)!.body.messages)).toEqual([[expect.stringContaining('My cat'), PNG_URL]]);
  });

  test("an image the chat owner's storage quota cannot take: 413 quota_exceeded before any generation, nothing stored", async () => {
    const big = `data:image/png;base64,${Buffer.concat([Buffer.from(PNG_BASE64, 'base64'), Buffer.alloc(STORAGE_QUOTA)]).toString('base64')}`;
    const chatId = await newChat();
    const before = await pathOf(chatId);
    local.clearRequests();
    const err = (await client.chat.completions
      .create({
        model: 'fake-model',
        messages: [{ role: 'user', content: withImage(big) }],
        conversation_id: chatId,
      } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(413);
    expect(err.code).toBe('quota_exceeded');
    expect(local.requests).toHaveLength(0);
    expect(await pathOf(chatId)).toEqual(before);
    // Not stored (no conversation), it passes.
    await client.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: withImage(big) }] });
    expect(imagesSent(local.requests.at(-1)!.body.messages)).toEqual([['What is in this picture?', big]]);
  });

  test('an http(s) image URL is refused by default (400 naming the part), nothing fetched or sent upstream', async () => {
    local.clearRequests();
    const err = (await client.chat.completions
      .create({ model: 'fake-model', messages: [{ role: 'user', content: withImage('https://example.com/cat.png') }] })
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('image_url_not_allowed');
    expect(err.param).toBe('messages[0].content[1].image_url.url');
    expect(local.requests).toHaveLength(0);
  });

  test.each([
    ['bad base64', 'data:image/png;base64,@@not*base64@@', 'invalid_image'],
    ['not an image', `data:image/png;base64,${Buffer.from('just some text, no picture').toString('base64')}`, 'unsupported_image_type'],
    [
      'too large',
      `data:image/png;base64,${Buffer.concat([Buffer.from(PNG_BASE64, 'base64'), Buffer.alloc(IMAGE_LIMIT)]).toString('base64')}`,
      'image_too_large',
    ],
    ['not a data: or http(s) URL', 'file:///etc/passwd', 'invalid_image_url'],
  ])('%s: a 400 in the envelope naming the part, nothing stored, nothing sent', async (_name, url, code) => {
    const chatId = await newChat();
    const before = await pathOf(chatId);
    local.clearRequests();
    const err = (await client.chat.completions
      .create({
        model: 'fake-model',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: withImage(url) },
        ],
        conversation_id: chatId,
      } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe(code);
    expect(err.param).toBe('messages[1].content[1].image_url.url');
    expect(local.requests).toHaveLength(0);
    expect(await pathOf(chatId)).toEqual(before);
  });
});

describe('image URLs allowed by the operator (COMPLETION_IMAGE_URLS=allow)', () => {
  let local: FakeLlmServer;
  let claude: FakeLlmServer;
  let svc: TestService;
  let client: OpenAI;

  beforeAll(async () => {
    local = await startFakeOpenAIServer();
    claude = await startFakeAnthropicServer();
    svc = await startTestService({
      env: { LLM_PROVIDERS_FILE: providersFile(local.url, claude.url), LLM_TIMEOUT_MS: '3000', COMPLETION_IMAGE_URLS: 'allow' },
      roles: { api: true, projector: true, worker: true },
    });
    client = new OpenAI({ apiKey: TEST_API_KEY, baseURL: `${svc.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await svc?.close();
    await local?.close();
    await claude?.close();
  });

  test('an https image URL goes to the provider as it is (never fetched here)', async () => {
    const url = 'https://images.example.com/cat.png';
    await client.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: withImage(url) }] });
    expect(local.requests.at(-1)!.body.messages[0].content[1]).toEqual({ type: 'image_url', image_url: { url, detail: 'low' } });
    await client.chat.completions.create({ model: 'claude-test', messages: [{ role: 'user', content: withImage(url) }] });
    expect(claude.requests.at(-1)!.body.messages[0].content[1]).toEqual({ type: 'image', source: { type: 'url', url } });
  });
});
