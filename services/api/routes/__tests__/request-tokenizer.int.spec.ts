import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { countTokens } from '../../../../shared/tokenizer/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

/**
 * The tokenizer that counts a request: chosen by model name as SillyTavern's best match does (`llama` when nothing
 * is connected and no model is named), overridable per request with a `tokenizer` field (a family or an old alias).
 */
const BOOKS = '/api/v1/characters/world-books';
const PROCESS = `${BOOKS}/process-context`;
const LORE = 'Дракон спит на золоте у реки. 龍は金の上で眠る。';

let svc: TestService;
let bookId: string;
let chatId: string;

beforeAll(async () => {
  svc = await startTestService();
  const book = await svc.request('POST', BOOKS, { body: { name: 'Tokenizer lore' } });
  expect(book.status).toBe(201);
  bookId = book.body.id;
  const entry = await svc.request('POST', `${BOOKS}/${bookId}/entries`, { body: { keys: [], constant: true, content: LORE } });
  expect(entry.status).toBe(201);
  const character = await svc.request('POST', '/api/v1/characters', { body: { name: 'Counter', description: 'Counts.' } });
  expect(character.status).toBe(201);
  const chat = await svc.request('POST', '/api/v1/character_chats', {
    body: { character_id: character.body.id, settings: { world_book_ids: [bookId] } },
  });
  expect(chat.status).toBe(201);
  chatId = chat.body.id;
});
afterAll(async () => {
  await svc?.close();
});

const loreTokens = (family: Parameters<typeof countTokens>[1]) => countTokens(`${LORE}\n`, family);

describe('process-context', () => {
  test('counts with llama by default, and with the family the request names', async () => {
    // The families really disagree on this text, so each count below says which one counted.
    expect(new Set(['llama', 'cl100k', 'o200k', 'mistral', 'claude'] as const).size).toBe(
      new Set((['llama', 'cl100k', 'o200k', 'mistral', 'claude'] as const).map(loreTokens)).size,
    );
    const run = async (extra: Record<string, unknown>) => {
      const res = await svc.request('POST', PROCESS, { body: { text: 'hello', world_book_ids: [bookId], ...extra } });
      expect(res.status).toBe(200);
      return res.body.activated[0].tokens as number;
    };
    expect(await run({})).toBe(loreTokens('llama'));
    expect(await run({ tokenizer: 'llama' })).toBe(loreTokens('llama'));
    expect(await run({ tokenizer: 'o200k' })).toBe(loreTokens('o200k'));
    expect(await run({ tokenizer: 'openai-cl100k' })).toBe(loreTokens('cl100k'));
    expect(await run({ tokenizer: 'mistral' })).toBe(loreTokens('mistral'));
  });

  test('an unknown tokenizer is a 400 problem', async () => {
    const res = await svc.request('POST', PROCESS, { body: { text: 'hello', world_book_ids: [bookId], tokenizer: 'gemini' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('prepare', () => {
  const prepare = (body: Record<string, unknown>) => svc.request('POST', `/api/v1/character_chats/${chatId}/prepare`, { body });

  test('with nothing connected and no model, llama counts the prompt; a model or the request chooses another', async () => {
    const none = await prepare({ message: 'Hi' });
    expect(none.status).toBe(200);
    expect(none.body.tokens.tokenizer).toBe('llama');
    expect(none.body.world_info.tokens_used).toBe(loreTokens('llama'));
    const byModel = await prepare({ message: 'Hi', model: 'gpt-4o' });
    expect(byModel.body.tokens.tokenizer).toBe('o200k');
    expect(byModel.body.world_info.tokens_used).toBe(loreTokens('o200k'));
    const byRequest = await prepare({ message: 'Hi', model: 'gpt-4o', tokenizer: 'claude' });
    expect(byRequest.body.tokens.tokenizer).toBe('claude');
    expect(byRequest.body.world_info.tokens_used).toBe(loreTokens('claude'));
  });

  test('an unknown tokenizer is a 400 and nothing is prepared', async () => {
    const res = await prepare({ message: 'Hi', tokenizer: 'bpe' });
    expect(res.status).toBe(400);
  });
});
