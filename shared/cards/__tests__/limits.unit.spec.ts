import { describe, expect, test } from '@jest/globals';
import { DEFAULT_CARD_LIMITS, parseCard, parseJsonCard, resolveCardLimits, type CardParseResult } from '../index.ts';
import { utf8 } from './helpers/builders.ts';

function errorOf(result: CardParseResult) {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

const card = (data: Record<string, unknown>) =>
  utf8(JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'L', ...data } }));

describe('limits', () => {
  test('defaults', () => {
    expect(DEFAULT_CARD_LIMITS.maxFileBytes).toBe(10 * 1024 * 1024);
    expect(DEFAULT_CARD_LIMITS.maxJsonDepth).toBe(64);
    expect(DEFAULT_CARD_LIMITS.fieldLengths).toMatchObject({
      name: 500,
      description: 50_000,
      mes_example: 100_000,
      creator: 500,
      character_version: 100,
    });
    expect(Object.isFrozen(DEFAULT_CARD_LIMITS)).toBe(true);
  });

  test('overrides merge with the defaults; invalid values are a RangeError', () => {
    const limits = resolveCardLimits({ maxFileBytes: 1000, fieldLengths: { name: 10 } });
    expect(limits.maxFileBytes).toBe(1000);
    expect(limits.fieldLengths.name).toBe(10);
    expect(limits.fieldLengths.description).toBe(50_000);
    expect(() => resolveCardLimits({ maxJsonDepth: 0 })).toThrow(RangeError);
    expect(() => resolveCardLimits({ fieldLengths: { name: Number.NaN } })).toThrow(RangeError);
  });

  test('file size is 413 file_too_large', () => {
    expect(errorOf(parseCard(new Uint8Array(11 * 1024 * 1024), { filename: 'x.png' }))).toMatchObject({
      status: 413,
      code: 'file_too_large',
    });
    expect(errorOf(parseCard(card({}), { filename: 'x.json', limits: { maxFileBytes: 10 } }))).toMatchObject({
      status: 413,
      code: 'file_too_large',
    });
  });

  test('field lengths are counted in code points and are 422 field_too_long', () => {
    expect(errorOf(parseJsonCard(card({ name: 'n'.repeat(501) })))).toMatchObject({
      status: 422,
      code: 'field_too_long',
      detail: expect.stringContaining('data.name'),
    });
    expect(parseJsonCard(card({ name: '😀'.repeat(500) })).ok).toBe(true); // 1000 UTF-16 units, 500 characters
    expect(errorOf(parseJsonCard(card({ character_version: 'v'.repeat(101) }))).detail).toContain('character_version');
    expect(errorOf(parseJsonCard(card({ mes_example: 'm'.repeat(100_001) }))).code).toBe('field_too_long');
  });

  test('list limits are 422 too_many_items / field_too_long', () => {
    expect(errorOf(parseJsonCard(card({ alternate_greetings: Array(201).fill('hi') })))).toMatchObject({
      status: 422,
      code: 'too_many_items',
    });
    expect(errorOf(parseJsonCard(card({ tags: Array(501).fill('t') }))).code).toBe('too_many_items');
    expect(errorOf(parseJsonCard(card({ tags: ['t'.repeat(501)] }))).code).toBe('field_too_long');
    const book = { entries: Array.from({ length: 11 }, () => ({ keys: ['k'], content: 'c' })) };
    expect(errorOf(parseJsonCard(card({ character_book: book }), { limits: { maxBookEntries: 10 } })).code).toBe('too_many_items');
    expect(errorOf(parseJsonCard(card({ character_book: { entries: [{ keys: [], content: 'c'.repeat(100_001) }] } }))).code).toBe(
      'field_too_long',
    );
  });

  test('card document size is 413 card_too_large', () => {
    expect(errorOf(parseJsonCard(card({ description: 'x'.repeat(2000) }), { limits: { maxCardJsonBytes: 1000 } }))).toMatchObject({
      status: 413,
      code: 'card_too_large',
    });
  });
});
