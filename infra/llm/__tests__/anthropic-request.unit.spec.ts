import { anthropicMessages, anthropicRequestBody, FIRST_USER_TURN, type ChatRequest } from '../index.ts';

const request = (messages: ChatRequest['messages'], extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'claude',
  messages,
  ...extra,
});

describe('anthropicMessages', () => {
  test('an empty conversation gets the minimal user turn; a system-only prompt too', () => {
    expect(anthropicMessages(request([]))).toEqual({ system: '', messages: [{ role: 'user', content: FIRST_USER_TURN }] });
    expect(anthropicMessages(request([{ role: 'system', content: 'Be brief.' }]))).toEqual({
      system: 'Be brief.',
      messages: [{ role: 'user', content: FIRST_USER_TURN }],
    });
  });

  test('consecutive assistant turns merge; empty messages are dropped before merging', () => {
    const { messages } = anthropicMessages(
      request([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'One.' },
        { role: 'user', content: '   ' },
        { role: 'assistant', content: 'Two.' },
        { role: 'assistant', content: null },
        { role: 'user', content: 'Three?' },
      ]),
    );
    expect(messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'One.\n\nTwo.' },
      { role: 'user', content: 'Three?' },
    ]);
  });

  test('names become prefixes; example names without speaker names stay as written', () => {
    const { system, messages } = anthropicMessages(
      request([
        { role: 'system', content: 'Hello', name: 'example_user' },
        { role: 'user', content: 'Hi all', name: 'Ann' },
        { role: 'user', content: 'Bob: already prefixed', name: 'Bob' },
      ]),
    );
    expect(system).toBe('example_user: Hello');
    expect(messages).toEqual([{ role: 'user', content: 'Ann: Hi all\n\nBob: already prefixed' }]);
  });

  test('images: data URLs become base64 blocks, http URLs url blocks', () => {
    const { messages } = anthropicMessages(
      request([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/glade.jpg' } },
          ],
        },
      ]),
    );
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look:' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/glade.jpg' } },
        ],
      },
    ]);
  });

  test('tool arguments that are not a JSON object are kept as text input', () => {
    const { messages } = anthropicMessages(
      request([
        { role: 'user', content: 'go' },
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: 'not json' } }] },
        { role: 'tool', tool_call_id: 't1', content: 'done' },
      ]),
    );
    expect(messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: { input: 'not json' } }] });
    expect(messages[2]).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'done' }] });
  });

  test('a whitespace-only final assistant turn is removed', () => {
    const { messages } = anthropicMessages(
      request([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'x' },
        { role: 'assistant', content: '  ' },
      ]),
    );
    expect(messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'x' },
    ]);
  });
});

describe('anthropicRequestBody', () => {
  test('tool_choice forms and a single stop string', () => {
    const tools = [{ type: 'function' as const, function: { name: 'f' } }];
    expect(anthropicRequestBody(request([], { tools, tool_choice: 'auto' }), 100).tool_choice).toEqual({ type: 'auto' });
    expect(anthropicRequestBody(request([], { tools, tool_choice: 'none' }), 100).tool_choice).toEqual({ type: 'none' });
    expect(
      anthropicRequestBody(request([], { tools, tool_choice: { type: 'function', function: { name: 'f' } } }), 100).tool_choice,
    ).toEqual({ type: 'tool', name: 'f' });
    expect(anthropicRequestBody(request([], { tool_choice: 'auto' }), 100).tool_choice).toBeUndefined();
    expect(anthropicRequestBody(request([], { stop: 'END', max_tokens: 50, temperature: -1 }), 100)).toMatchObject({
      stop_sequences: ['END'],
      max_tokens: 50,
      temperature: 0,
    });
  });
});
