import { describe, expect, test } from '@jest/globals';
import { anthropicRequestBody } from '../anthropic-request.ts';
import { openAIRequestBody } from '../openai-request.ts';
import { refusedParameter } from '../parameter-support.ts';

const messages = [{ role: 'user' as const, content: 'Hi' }];
/** What SillyTavern sends with every request, whatever the provider. */
const SILLYTAVERN_NEUTRAL = {
  temperature: 1,
  top_p: 1,
  presence_penalty: 0,
  frequency_penalty: 0,
  logit_bias: {},
  n: 1,
  extra: { top_k: 0 },
};

describe('parameter support per provider type', () => {
  test('the neutral values clients always send are accepted everywhere and not sent where they mean nothing', () => {
    for (const type of ['openai', 'openai-compatible', 'anthropic'] as const)
      expect(refusedParameter(type, SILLYTAVERN_NEUTRAL)).toBeNull();
    const anthropic = anthropicRequestBody({ model: 'claude', messages, ...SILLYTAVERN_NEUTRAL }, 1024);
    expect(anthropic).toEqual(expect.objectContaining({ temperature: 1, top_p: 1, max_tokens: 1024 }));
    for (const key of ['presence_penalty', 'frequency_penalty', 'logit_bias', 'n', 'top_k']) expect(anthropic[key]).toBeUndefined();
    const openai = openAIRequestBody({ model: 'gpt-4o', messages, ...SILLYTAVERN_NEUTRAL }, 'openai');
    expect(openai.top_k).toBeUndefined();
    expect(openai).toMatchObject({ presence_penalty: 0, logit_bias: {}, n: 1 });
    expect(openAIRequestBody({ model: 'local', messages, ...SILLYTAVERN_NEUTRAL }, 'openai-compatible').top_k).toBe(0);
  });

  test.each([
    ['presence_penalty', { presence_penalty: 0.4 }],
    ['frequency_penalty', { frequency_penalty: -1 }],
    ['seed', { seed: 1 }],
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['logit_bias', { logit_bias: { '7': 5 } }],
    ['response_format', { response_format: { type: 'json_object' as const } }],
    ['reasoning_effort', { reasoning_effort: 'high' }],
    ['metadata', { metadata: { a: 'b' } }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['temperature', { temperature: 1.4 }],
    ['min_p', { extra: { min_p: 0.1 } }],
    ['mirostat', { extra: { mirostat: 2 } }],
  ])('anthropic refuses a non-neutral %s, naming it', (param, settings) => {
    expect(refusedParameter('anthropic', settings)).toMatchObject({ param });
    expect(refusedParameter('openai-compatible', settings)).toBeNull();
  });

  test('anthropic equivalents: max_completion_tokens, stop, user, top_k, parallel_tool_calls', () => {
    const tools = [{ type: 'function' as const, function: { name: 'look' } }];
    const body = anthropicRequestBody(
      {
        model: 'claude',
        messages,
        max_tokens: 99,
        max_tokens_param: 'max_completion_tokens',
        stop: 'END',
        user: 'u1',
        extra: { top_k: 40 },
        tools,
        parallel_tool_calls: false,
      },
      1024,
    );
    expect(body).toMatchObject({
      max_tokens: 99,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      top_k: 40,
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    });
    expect(
      refusedParameter('anthropic', { max_tokens: 99, stop: 'END', user: 'u1', extra: { top_k: 40 }, tools, parallel_tool_calls: false }),
    ).toBeNull();
  });

  test('max_completion_tokens keeps its name for OpenAI and compatible servers', () => {
    const request = { model: 'gpt-4o', messages, max_tokens: 50, max_tokens_param: 'max_completion_tokens' as const };
    expect(openAIRequestBody(request, 'openai')).toMatchObject({ max_completion_tokens: 50 });
    expect(openAIRequestBody(request, 'openai-compatible').max_tokens).toBeUndefined();
    expect(openAIRequestBody({ model: 'gpt-4o', messages, max_tokens: 50 }, 'openai')).toMatchObject({ max_tokens: 50 });
  });
});
