import { describe, expect, it } from '@jest/globals';
import { stripCommentMacros } from '../comment-macros.ts';
import { createSeededRandom, runWorldInfo } from '../engine/engine.ts';
import type { WorldInfoEntry } from '../entry.ts';
import type { CompatibilityMode } from '../engine/types.ts';
import type { TokenCounter } from '../../tokenizer/index.ts';

describe('stripCommentMacros', () => {
  it('removes {{// …}} and {{comment: …}}, nested macros included, and leaves other macros', () => {
    expect(stripCommentMacros('a {{// the dragon}} b')).toBe('a  b');
    expect(stripCommentMacros('a {{comment: the dragon}} b {{char}}')).toBe('a  b {{char}}');
    expect(stripCommentMacros('x{{ // multi\nline {{user}} dragon }}y')).toBe('xy');
    expect(stripCommentMacros('{{COMMENT:dragon}}{{Comment : dragon}}z')).toBe('z');
    expect(stripCommentMacros('no macros')).toBe('no macros');
  });

  it('leaves an unclosed comment as written', () => {
    expect(stripCommentMacros('a {{// dragon')).toBe('a {{// dragon');
    expect(stripCommentMacros('a {{// {{dragon}} b')).toBe('a {{// {{dragon}} b');
  });

  it('takes linear time on hostile text (unclosed comments, deep nesting)', () => {
    const unclosed = '{{// dragon '.repeat(100_000);
    const nested = '{{'.repeat(100_000) + '}}'.repeat(100_000);
    const started = performance.now();
    expect(stripCommentMacros(unclosed)).toBe(unclosed);
    expect(stripCommentMacros(nested)).toBe(nested);
    expect(stripCommentMacros('{{// a}}'.repeat(100_000) + 'dragon')).toBe('dragon');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('hidden_key: removed from messages, its text kept when scanned recursively', () => {
    expect(stripCommentMacros('a {{hidden_key: dragon}} b')).toBe('a  b');
    expect(stripCommentMacros('a {{hidden_key: dragon}} b', { recursive: true })).toBe('a dragon b');
    expect(stripCommentMacros('a {{// dragon}} b', { recursive: true })).toBe('a  b');
  });
});

const words: TokenCounter = { family: 'approximate', count: (t) => t.split(/\s+/).filter(Boolean).length };
const MODES: CompatibilityMode[] = ['sillytavern', 'corrected', 'risuai'];

function activatedComments(entries: WorldInfoEntry[], text: string, compatibility: CompatibilityMode): string[] {
  const result = runWorldInfo({
    books: [{ id: 'b', name: 'Book', source: 'character', entries }],
    messages: [{ name: 'User', content: text, role: 'user' }],
    characterName: 'Seraphina',
    tokenizer: words,
    random: createSeededRandom(1),
    settings: { compatibility, recursive: true },
  });
  return result.activated.map((a) => a.entry.comment ?? '');
}

describe.each(MODES)('the engine in %s mode', (mode) => {
  const dragon: WorldInfoEntry = { uid: 1, comment: 'dragon', keys: ['dragon'], content: 'Dragons breathe fire.' };

  it('keys never match inside comment macros of a message', () => {
    expect(activatedComments([dragon], 'Hello {{// a dragon}} there', mode)).toEqual([]);
    expect(activatedComments([dragon], 'Hello {{comment: a dragon}} there', mode)).toEqual([]);
    expect(activatedComments([dragon], 'Hello {{hidden_key: dragon}} there', mode)).toEqual([]);
    expect(activatedComments([dragon], 'Hello {{// note}} a dragon', mode)).toEqual(['dragon']);
  });

  it("keys never match inside an activated entry's comment macros, but do inside its hidden keys", () => {
    const commented: WorldInfoEntry = { uid: 2, comment: 'cave', keys: ['cave'], content: 'A cave. {{// a dragon sleeps}}' };
    expect(activatedComments([commented, dragon], 'the cave', mode)).toEqual(['cave']);
    const hidden: WorldInfoEntry = { uid: 2, comment: 'cave', keys: ['cave'], content: 'A cave. {{hidden_key: dragon}}' };
    expect(activatedComments([hidden, dragon], 'the cave', mode).sort()).toEqual(['cave', 'dragon']);
  });
});
