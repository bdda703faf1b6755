import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ConcurrencyError, EventStoreUnavailableError } from '../../infra/eventstore/event-store.ts';
import { AppendTooLargeError } from '../../infra/eventstore/append-size.ts';
import { ProviderCancelledError, ProviderError } from '../../infra/llm/provider-errors.ts';
import { CardExportError } from '../../shared/cards/index.ts';
import { DictionaryFormatError } from '../../shared/dictionaries/dictionary-formats.ts';
import { IncludeCycleError } from '../../shared/dictionaries/dictionary-includes.ts';
import { AppError, badRequest, conflict, forbidden, limitExceeded, notFound, unauthorized, unprocessable } from '../../shared/errors.ts';
import { MacroExpansionError } from '../../shared/prompt/macros/macro-errors.ts';
import { PromptBudgetExceededError, PromptInputError } from '../../shared/prompt/prompt-errors.ts';
import { UnknownLorebookFormatError } from '../../shared/worldinfo/formats/index.ts';
import { toRelayProblem } from '../completions/relay-problem.ts';
import { toProblem } from '../problem-details.ts';

const zodError = (() => {
  const parsed = z.object({ name: z.string() }).safeParse({ name: 1 });
  if (parsed.success) throw new Error('expected a validation failure');
  return parsed.error;
})();

/** Every error class the service answers with, and the status and code it answers. */
const table: Array<[string, unknown, number, string, Record<string, unknown>?]> = [
  ['badRequest', badRequest('invalid_cursor', 'bad cursor'), 400, 'invalid_cursor'],
  ['unauthorized', unauthorized(), 401, 'unauthorized'],
  ['forbidden', forbidden(), 403, 'forbidden'],
  ['forbidden with a code', forbidden('admins only', 'admin_required'), 403, 'admin_required'],
  ['notFound', notFound('character', 'c1'), 404, 'not_found'],
  ['conflict', conflict('name_taken', 'taken', { existing_id: 'c2' }), 409, 'name_taken', { existing_id: 'c2' }],
  ['unprocessable', unprocessable('scan_too_costly', 'too costly'), 422, 'scan_too_costly'],
  ['limitExceeded', limitExceeded('too many chats', { limit: 3 }), 403, 'limit_exceeded', { limit: 3 }],
  ['AppError', new AppError(503, 'processing_timeout', 'slow'), 503, 'processing_timeout'],
  ['CardExportError', new CardExportError('unsupported_export_format', 'no such format'), 400, 'unsupported_export_format'],
  ['CardExportError (422)', new CardExportError('asset_path_conflict', 'two assets'), 422, 'asset_path_conflict'],
  ['DictionaryFormatError', new DictionaryFormatError('not a dictionary'), 400, 'invalid_dictionary_file'],
  ['IncludeCycleError', new IncludeCycleError(['a', 'b', 'a'], ['A', 'B', 'A']), 400, 'include_cycle', { cycle: ['a', 'b', 'a'] }],
  ['UnknownLorebookFormatError', new UnknownLorebookFormatError(), 422, 'unknown_lorebook_format'],
  ['MacroExpansionError', new MacroExpansionError(1000), 422, 'macro_expansion_too_large', { limit: 1000 }],
  ['PromptBudgetExceededError', new PromptBudgetExceededError(10, 5), 400, 'prompt_exceeds_context', { budget_tokens: 5 }],
  ['PromptInputError', new PromptInputError('continue on an empty chat'), 400, 'invalid_prompt_input'],
  [
    'ProviderError',
    new ProviderError(429, 'upstream_rate_limited', 'slow down', { retryAfter: '3' }),
    429,
    'upstream_rate_limited',
    { retry_after: '3' },
  ],
  ['ProviderCancelledError', new ProviderCancelledError('openai'), 499, 'cancelled'],
  ['ZodError', zodError, 400, 'validation_error'],
  ['ConcurrencyError', new ConcurrencyError('character-1', 2, 3), 409, 'version_conflict', { expected_version: 2, current_version: 3 }],
  ['EventStoreUnavailableError', new EventStoreUnavailableError('down'), 503, 'service_unavailable'],
  [
    'AppendTooLargeError',
    new AppendTooLargeError('chat-1', 2_000_000, 1_048_576),
    413,
    'append_too_large',
    { bytes: 2_000_000, limit: 1_048_576 },
  ],
  [
    'a lost PostgreSQL connection',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    503,
    'service_unavailable',
  ],
  [
    'a body over the limit',
    Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 }),
    413,
    'payload_too_large',
  ],
  [
    'a body that is not JSON',
    Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed', status: 400 }),
    400,
    'invalid_json',
  ],
];

describe('toProblem: one mapping from errors to problem details', () => {
  it.each(table.map(([name, err, status, code, extra]) => [name, err, status, code, extra ?? {}] as const))(
    '%s',
    (_name, err, status, code, extra) => {
      const p = toProblem(err);
      expect(p).toMatchObject({ status, code, type: `https://character-chat.dev/problems/${code}` });
      expect(typeof p.title).toBe('string');
      expect(typeof p.detail).toBe('string');
      expect(p).toMatchObject(extra);
    },
  );

  it('an AppError answers with its own message as the detail', () => {
    expect(toProblem(notFound('character', 'c1')).detail).toBe('character c1 does not exist');
    expect(toProblem(new DictionaryFormatError('not a dictionary')).detail).toBe('not a dictionary');
  });

  it('validation lists every issue', () => {
    expect(toProblem(zodError)).toMatchObject({ detail: expect.stringContaining('name'), errors: [{ path: 'name' }] });
  });

  it('an unknown error is a 500 that does not leak its message', () => {
    const p = toProblem(new Error('password=hunter2 in /srv/secret.ts'));
    expect(p).toMatchObject({ status: 500, code: 'internal_error', title: 'Internal Server Error' });
    expect(JSON.stringify(p)).not.toContain('hunter2');
    expect(toProblem('a thrown string')).toMatchObject({ status: 500, code: 'internal_error' });
    expect(toProblem(undefined)).toMatchObject({ status: 500, code: 'internal_error' });
  });

  it('the worker uses the same mapping, an unknown failure answered as completion_failed in the relay shape', () => {
    expect(toRelayProblem(new IncludeCycleError(['a', 'a'], ['A', 'A']))).toEqual({
      status: 400,
      code: 'include_cycle',
      detail: 'Dictionary include cycle detected: A -> A',
      extra: { cycle: ['a', 'a'] },
    });
    const unknown = toRelayProblem(new Error('socket hang up at 10.0.0.3'));
    expect(unknown).toEqual({
      status: 500,
      code: 'completion_failed',
      detail: 'the completion failed unexpectedly; it has been logged',
      extra: {},
    });
  });
});
