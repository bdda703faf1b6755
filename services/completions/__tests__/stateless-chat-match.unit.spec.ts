import { describe, expect, test } from '@jest/globals';
import { relationToPath, requestTurns, type ChatTurn } from '../stateless-chat-match.ts';

const a = (content: string): ChatTurn => ({ role: 'assistant', content });
const u = (content: string): ChatTurn => ({ role: 'user', content });

describe('a stateless request against a chat’s active path', () => {
  const path = [a('Hello, wanderer.'), u('Where am I?'), a('In the tower.')];

  test('new user turns after the whole path continue it', () => {
    expect(relationToPath([...path, u('What now?')], path)).toBe('normal');
    expect(relationToPath([...path, u('One.'), u('Two.')], path)).toBe('normal');
  });

  test('the history up to the last reply is a swipe of it', () => {
    expect(relationToPath(path.slice(0, -1), path)).toBe('regenerate');
  });

  test('the greeting matches whatever its words; no other turn does', () => {
    expect(relationToPath([a('Hi there, {{user}}.'), u('Where am I?'), a('In the tower.'), u('What now?')], path)).toBe('normal');
    expect(relationToPath([a('Hello, wanderer.'), u('Where am I??'), a('In the tower.'), u('What now?')], path)).toBeNull();
    expect(relationToPath([a('Hello, wanderer.'), u('Where am I?'), a('In a tower.'), u('What now?')], path)).toBeNull();
  });

  test('anything else is no match: a shorter or branching history, an assistant turn past the path, a path without a reply at its end', () => {
    expect(relationToPath([u('Where am I?')], path)).toBeNull();
    expect(relationToPath([...path, a('More.'), u('What now?')], path)).toBeNull();
    expect(relationToPath([...path.slice(0, 2), u('What now?')], path.slice(0, 2))).toBeNull();
    expect(relationToPath([u('Hi')], [])).toBeNull();
  });

  test('the request’s turns leave out system and tool messages and read text parts as stored (joined by new lines)', () => {
    expect(
      requestTurns([
        { role: 'system', content: 'prompt' },
        { role: 'assistant', content: 'Hello.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi' },
            { type: 'text', text: 'there' },
          ],
        },
      ]),
    ).toEqual([a('Hello.'), u('Hi\nthere')]);
  });
});
