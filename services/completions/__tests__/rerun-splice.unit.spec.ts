import { describe, expect, test } from '@jest/globals';
import type { ChunkDelta, FinishReason, ProviderChunk } from '../../../shared/llm/chat-types.ts';
import { createRerunSplice } from '../rerun-splice.ts';

const chunk = (delta: ChunkDelta, finish: FinishReason | null = null, index = 0): ProviderChunk => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index, delta, finish_reason: finish }],
});

/** What a client that concatenates the deltas ends up holding. */
function clientText(sent: Array<ProviderChunk | undefined>, field: 'content' | 'reasoning_content' = 'content'): string {
  return sent.map((c) => c?.choices.map((ch) => ch.delta[field] ?? '').join('') ?? '').join('');
}

describe('rerun splice', () => {
  test('a first run passes through untouched', () => {
    const splice = createRerunSplice();
    const c = chunk({ role: 'assistant', content: 'Hi' });
    expect(splice.chunk(c)).toBe(c);
  });

  test('a rerun that repeats the first run sends only what goes beyond it, chunk boundaries anywhere', () => {
    const splice = createRerunSplice();
    const out = [splice.chunk(chunk({ role: 'assistant', content: 'Once up' })), splice.chunk(chunk({ content: 'on a' }))];
    splice.restart();
    const rerun = [
      splice.chunk(chunk({ role: 'assistant', content: 'Once' })),
      splice.chunk(chunk({ content: ' upon a t' })),
      splice.chunk(chunk({ content: 'ime' })),
      splice.chunk(chunk({}, 'stop')),
    ];
    expect(rerun[0]).toBeUndefined(); // all of it already held; the role is not repeated
    expect(clientText([...out, ...rerun])).toBe('Once upon a time');
    expect(rerun[3]?.choices[0]?.finish_reason).toBe('stop');
    expect(splice.diverged).toBe(false);
  });

  test('reasoning text is spliced like content', () => {
    const splice = createRerunSplice();
    const out = [splice.chunk(chunk({ reasoning_content: 'Let me th' }))];
    splice.restart();
    out.push(splice.chunk(chunk({ reasoning_content: 'Let me think.' })), splice.chunk(chunk({ content: 'Yes.' })));
    expect(clientText(out, 'reasoning_content')).toBe('Let me think.');
    expect(clientText(out)).toBe('Yes.');
  });

  test('a rerun that differs, or a second tool call, diverges and sends nothing more', () => {
    const splice = createRerunSplice();
    splice.chunk(chunk({ content: 'Hello' }));
    splice.restart();
    expect(splice.chunk(chunk({ content: 'Hi' }))).toBeUndefined();
    expect(splice.diverged).toBe(true);
    expect(splice.chunk(chunk({ content: ' there' }))).toBeUndefined();

    const tools = createRerunSplice();
    tools.chunk(chunk({ tool_calls: [{ index: 0, id: 't1', function: { name: 'f', arguments: '{' } }] }));
    tools.restart();
    expect(tools.chunk(chunk({ tool_calls: [{ index: 0, id: 't2', function: { name: 'f', arguments: '{' } }] }))).toBeUndefined();
    expect(tools.diverged).toBe(true);
  });

  test('a usage-only chunk of the rerun is sent', () => {
    const splice = createRerunSplice();
    splice.chunk(chunk({ content: 'Hi' }));
    splice.restart();
    const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
    expect(splice.chunk({ ...chunk({}), choices: [], usage })).toMatchObject({ choices: [], usage });
  });
});
