import { describe, expect, test } from '@jest/globals';
import { collapseOpenAIPath, OPENAI_COMPATIBLE_PATH, openAIErrorType, reasonPhraseOf, withOpenAIError } from '../openai-error.ts';
import { problem } from '../../../problem-details.ts';

describe("OpenAI's error envelope", () => {
  test('the problem keeps its members and gains error {message, type, param, code}', () => {
    const p = problem(400, 'unsupported_parameter', 'seed 3 is not supported', { param: 'seed' });
    expect(withOpenAIError(p)).toEqual({
      ...p,
      error: { message: 'seed 3 is not supported', type: 'invalid_request_error', param: 'seed', code: 'unsupported_parameter' },
    });
    const invalid = problem(400, 'validation_error', 'temperature: too big', { errors: [{ path: 'temperature', message: 'too big' }] });
    expect(withOpenAIError(invalid).error.param).toBe('temperature');
  });

  test('types by status; a 429 is rate_limit_exceeded, never insufficient_quota', () => {
    expect([400, 401, 403, 404, 429, 500, 502, 503, 504].map(openAIErrorType)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'invalid_request_error',
      'rate_limit_exceeded',
      'server_error',
      'server_error',
      'server_error',
      'server_error',
    ]);
  });

  test('the OpenAI paths, and doubled slashes after a base collapsed', () => {
    for (const p of ['/v1', '/v1/models', '/api/v1/models/x', '/api/v1/chat/completions', '/api/v1/chat/completions/abc/stream'])
      expect([p, OPENAI_COMPATIBLE_PATH.test(p)]).toEqual([p, true]);
    for (const p of ['/api/v1/characters', '/v10/models', '/api/v1/chat/dictionaries'])
      expect([p, OPENAI_COMPATIBLE_PATH.test(p)]).toEqual([p, false]);
    expect(collapseOpenAIPath('/v1//models')).toBe('/v1/models');
    expect(collapseOpenAIPath('//api//v1///chat/completions?x=a//b')).toBe('/api/v1/chat/completions?x=a//b');
    expect(collapseOpenAIPath('/api/v1/characters//x')).toBe('/api/v1/characters//x');
  });

  test('the message as a reason phrase: one line of visible ASCII, bounded', () => {
    expect(reasonPhraseOf("This model's maximum context length is 8192 tokens.")).toBe(
      "This model's maximum context length is 8192 tokens.",
    );
    expect(reasonPhraseOf('line one\r\nline two\tand «quotes»')).toBe('line one line two and quotes');
    expect(reasonPhraseOf('x'.repeat(1000))).toHaveLength(300);
  });
});
