import { RisuaiScanText, risuaiWindow } from '../risuai-matching.ts';
import type { ChatMessageInput } from '../types.ts';

const user = (content: string): ChatMessageInput => ({ name: 'User', content, role: 'user' });
const bot = (content: string): ChatMessageInput => ({ name: 'Seraphina', content, role: 'assistant' });
const base = { depth: 10, regex: false, wholeWords: false, withRecursion: true };

describe("RisuAI's key search", () => {
  test('the window: slice(L − D, L), where a depth past the chat keeps fewer messages', () => {
    expect([0, 1, 3, 4, 5, 6, 7].map((d) => risuaiWindow(d, 3))).toEqual([0, 1, 3, 1, 2, 3, 3]);
  });

  test('the greeting and the names are not scanned; comment macros are removed; case is ignored', () => {
    const text = new RisuaiScanText([bot('the cat'), user('Hello {{// dragon}} THERE')]);
    expect(text.firstScannable).toBe(1);
    expect(text.search({ ...base, keys: ['cat'] })).toBeNull();
    expect(text.search({ ...base, keys: ['Seraphina', 'User'] })).toBeNull();
    expect(text.search({ ...base, keys: ['dragon'] })).toBeNull();
    expect(text.search({ ...base, keys: ['there'] })).toEqual({ key: 'there', source: 'message', messageIndex: 1 });
  });

  test('partial words ignore spaces; whole words split on single spaces', () => {
    const text = new RisuaiScanText([user('a redfox, here')]);
    expect(text.search({ ...base, keys: ['red fox'] })?.key).toBe('red fox');
    expect(text.search({ ...base, wholeWords: true, keys: ['redfox'] })).toBeNull();
    expect(text.search({ ...base, wholeWords: true, keys: ['here'] })?.key).toBe('here');
  });

  test('all: every key in every scanned text; recursion text unless left out', () => {
    const text = new RisuaiScanText([user('dog bird'), user('dog')]);
    expect(text.search({ ...base, all: true, keys: ['dog', 'bird'] })).toBeNull();
    expect(text.search({ ...base, depth: 1, all: true, keys: ['dog'] })).not.toBeNull();
    text.addRecursion('a wyvern');
    expect(text.search({ ...base, keys: ['wyvern'] })?.source).toBe('recursion');
    expect(text.search({ ...base, withRecursion: false, keys: ['wyvern'] })).toBeNull();
  });

  test('regex entries: /pattern/flags keys with flags; a bare key matches nothing', () => {
    const text = new RisuaiScanText([user('Kaelthas arrives')]);
    expect(text.search({ ...base, regex: true, keys: ['/kael\\w+/i'] })?.key).toBe('/kael\\w+/i');
    expect(text.search({ ...base, regex: true, keys: ['/Kael/'] })).toBeNull();
    expect(text.search({ ...base, regex: true, keys: ['Kaelthas'] })).toBeNull();
  });
});
