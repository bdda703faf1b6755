/** What a completion request becomes before it is a job: its id, hash, generation parameters and character target. */
import { describe, expect, test } from '@jest/globals';
import { ProviderRegistry } from '../../../infra/llm/index.ts';
import { isCompletionId } from '../../../shared/completions/completion-ids.ts';
import { AppError } from '../../../shared/errors.ts';
import { characterCompleteBody, chatCompletionBody } from '../../api/routes/completion-schemas.ts';
import {
  characterTarget,
  clientChoseId,
  completionIdOf,
  generationParams,
  jobBase,
  previewModel,
  requestHashOf,
} from '../completion-request.ts';

const MSG = '0190a3c4-1b2c-7d3e-8f40-123456789abc';

const problemOf = (fn: () => unknown): { status: number; code: string } => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('no error thrown');
};

describe('completion id', () => {
  test('without a client key each request gets a new id; the client did not choose it', () => {
    const a = completionIdOf({}, { userId: 'ann' });
    const b = completionIdOf({ 'idempotency-key': '  ' }, { userId: 'ann' });
    expect(isCompletionId(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(clientChoseId({})).toBe(false);
    expect(clientChoseId({ 'idempotency-key': '  ' })).toBe(false);
  });

  test('an Idempotency-Key (else X-Request-Id) is the same completion for the same user, another for another user', () => {
    const ann = completionIdOf({ 'idempotency-key': 'k-1' }, { userId: 'ann' });
    expect(completionIdOf({ 'idempotency-key': ' k-1 ' }, { userId: 'ann' })).toBe(ann);
    expect(completionIdOf({ 'x-request-id': 'k-1' }, { userId: 'ann' })).toBe(ann);
    expect(completionIdOf({ 'idempotency-key': 'k-1', 'x-request-id': 'other' }, { userId: 'ann' })).toBe(ann);
    expect(completionIdOf({ 'idempotency-key': 'k-1' }, { userId: 'bea' })).not.toBe(ann);
    expect(clientChoseId({ 'x-request-id': 'k-1' })).toBe(true);
  });

  test('a key of invisible or non-ASCII characters, or longer than 255, is a 400 invalid_idempotency_key', () => {
    for (const key of ['has space', 'é', 'x'.repeat(256)]) {
      expect(problemOf(() => completionIdOf({ 'idempotency-key': key }, { userId: 'ann' }))).toEqual({
        status: 400,
        code: 'invalid_idempotency_key',
      });
    }
  });
});

describe('job fields', () => {
  test('the request hash is stable and tells different requests apart', () => {
    expect(requestHashOf(['chat.completions', { a: 1 }])).toBe(requestHashOf(['chat.completions', { a: 1 }]));
    expect(requestHashOf(['chat.completions', { a: 1 }])).not.toBe(requestHashOf(['chat.completions', { a: 2 }]));
    expect(requestHashOf('x')).toMatch(/^[0-9a-f]{64}$/);
  });

  test('jobBase carries who asked and the request it belongs to', () => {
    expect(jobBase({ userId: 'ann', isAdmin: true, requestId: 'r', correlationId: 'c', causationId: 'r' }, 'chatcmpl-x', 'h')).toEqual({
      completionId: 'chatcmpl-x',
      userId: 'ann',
      isAdmin: true,
      requestId: 'r',
      correlationId: 'c',
      requestHash: 'h',
    });
  });

  test('generation parameters keep only what was given; sampler extras go under extra', () => {
    const body = chatCompletionBody.parse({
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.3,
      top_k: 40,
      repetition_penalty: 1.1,
    });
    expect(generationParams(body)).toEqual({ temperature: 0.3, extra: { top_k: 40, repetition_penalty: 1.1 } });
    expect(generationParams(chatCompletionBody.parse({ messages: [{ role: 'user', content: 'hi' }] }))).toEqual({});
  });
});

describe('character target', () => {
  test('a normal turn carries the message and the request settings', () => {
    const body = characterCompleteBody.parse({ message: 'hello', user_name: 'Ann', context_size: 4096 });
    expect(characterTarget('chat-1', 'char-1', body, true)).toEqual({
      kind: 'character',
      characterId: 'char-1',
      chatId: 'chat-1',
      mode: 'normal',
      messages: null,
      userText: 'hello',
      targetMessageId: null,
      userName: 'Ann',
      save: true,
      contextSize: 4096,
      worldBookIds: null,
    });
  });

  test('a mode given what it does not take is a 400', () => {
    expect(problemOf(() => characterTarget('c', 'h', characterCompleteBody.parse({ mode: 'regenerate', message: 'x' }), true))).toEqual({
      status: 400,
      code: 'unexpected_message',
    });
    expect(
      problemOf(() => characterTarget('c', 'h', characterCompleteBody.parse({ mode: 'impersonate', message_id: MSG }), false)),
    ).toEqual({ status: 400, code: 'unexpected_message_id' });
    expect(characterTarget('c', 'h', characterCompleteBody.parse({ mode: 'continue', message_id: MSG }), true).targetMessageId).toBe(MSG);
  });
});

describe('preview model', () => {
  test('without a configured provider a preview uses defaults and names no provider (nothing is called)', () => {
    const none = new ProviderRegistry({ defaultProvider: null, providers: [] });
    const model = previewModel(none, { model: 'gpt-4o' });
    expect(model).toMatchObject({ providerName: null, model: 'gpt-4o' });
    expect(model.contextSize).toBeGreaterThan(0);
    expect(previewModel(none, {}).model).toBe('default');
  });
});
