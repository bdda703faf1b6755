import { expand } from './helpers/macro-env.ts';

describe('text macros', () => {
  test('{{newline}} is a line break', () => {
    expect(expand('a{{newline}}b{{NewLine}}c')).toBe('a\nb\nc');
  });

  test('{{trim}} removes itself and the newlines around it', () => {
    expect(expand('first\n\n{{trim}}\n\nsecond')).toBe('firstsecond');
    expect(expand('first\r\n{{trim}}\r\nsecond')).toBe('firstsecond');
    expect(expand('  first  {{trim}}  second')).toBe('  first    second');
    expect(expand('{{trim}}\nstart')).toBe('start');
    expect(expand('end\n{{trim}}')).toBe('end');
  });

  test('{{trim}} also removes newlines produced by neighbouring macros', () => {
    expect(expand('a{{newline}}{{trim}}{{newline}}b')).toBe('ab');
  });

  test('{{// comment}} is removed, across lines and with macros inside, which are not evaluated', () => {
    expect(expand('a{{// a note}}b')).toBe('ab');
    expect(expand('a{{// line one\nline two}}b')).toBe('ab');
    expect(expand('{{// {{setvar::x::1}} }}{{getvar::x}}')).toBe('');
  });

  test('{{noop}} is empty', () => {
    expect(expand('a{{noop}}b')).toBe('ab');
  });

  test('{{reverse:text}} reverses by code point', () => {
    expect(expand('{{reverse:abc}}')).toBe('cba');
    expect(expand('{{reverse::héllo 🙂}}')).toBe('🙂 olléh');
  });
});

describe('chat macros', () => {
  const messages = [
    { role: 'assistant' as const, content: 'Welcome.', sentAt: '2025-01-06T14:00:00Z' },
    { role: 'user' as const, content: 'Where am I?', sentAt: '2025-01-06T14:05:00Z' },
    { role: 'assistant' as const, content: 'In my glade.', sentAt: '2025-01-06T14:06:00Z' },
    { role: 'system' as const, content: 'The wind rises.', sentAt: '2025-01-06T14:30:00Z' },
  ];

  test('{{lastMessage}}, {{lastUserMessage}}, {{lastCharMessage}}, {{lastMessageId}}', () => {
    expect(expand('{{lastMessage}}|{{lastUserMessage}}|{{lastCharMessage}}|{{lastMessageId}}', { messages })).toBe(
      'The wind rises.|Where am I?|In my glade.|3',
    );
  });

  test('they are empty in an empty chat', () => {
    expect(expand('[{{lastMessage}}|{{lastUserMessage}}|{{lastCharMessage}}|{{lastMessageId}}]')).toBe('[|||]');
  });

  test('{{idle_duration}}: time since the last user message before the newest message', () => {
    // now 15:07:09, that user message 14:05:00 → 62 minutes → "an hour"
    expect(expand('{{idle_duration}}', { messages })).toBe('an hour');
  });

  test('{{idle_duration}} is "just now" without an earlier user message or its time', () => {
    expect(expand('{{idle_duration}}')).toBe('just now');
    expect(expand('{{idle_duration}}', { messages: [{ role: 'user', content: 'Hi', sentAt: '2025-01-06T10:00:00Z' }] })).toBe('just now');
    expect(
      expand('{{idle_duration}}', {
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
        ],
      }),
    ).toBe('just now');
  });
});
