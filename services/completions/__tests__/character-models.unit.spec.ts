import { describe, expect, test } from '@jest/globals';
import type { CharacterRow } from '../../../queries/characters-queries.ts';
import { characterOfTail, characterSlug, parseCharacterModel, readableCharacterModelIds } from '../character-models.ts';

const row = (id: string, name: string) => ({ id, name }) as CharacterRow;

describe('character model ids', () => {
  test('the slug is the name in lower-case ASCII words', () => {
    expect(characterSlug('Séraphina the 2nd!')).toBe('seraphina-the-2nd');
    expect(characterSlug('  ***  ')).toBe('character');
    expect(characterSlug('草薙')).toBe('character');
  });

  test('the short id grows until no other character of the user shares it', () => {
    const a = row('019aa000-0000-7000-8000-00000000beef', 'Ann');
    const b = row('019aa000-0000-7000-8000-0000001abeef', 'Bob');
    const c = row('019aa000-0000-7000-8000-000000001234', 'Cy');
    const ids = readableCharacterModelIds([a, b, c]);
    expect(ids.get(a.id)).toBe('character:ann-0beef');
    expect(ids.get(b.id)).toBe('character:bob-abeef');
    expect(ids.get(c.id)).toBe('character:cy-1234');
    expect(new Set(ids.values()).size).toBe(3);
  });

  test('a model names a full id or a slug and tail, and optionally a provider and a model (which may hold a slash)', () => {
    expect(parseCharacterModel('character:019AA000-0000-7000-8000-00000000BEEF')).toMatchObject({
      id: '019aa000-0000-7000-8000-00000000beef',
    });
    expect(parseCharacterModel('character:ann-0beef@claude/meta/llama-3')).toEqual({
      id: null,
      slug: 'ann',
      idTail: '0beef',
      provider: 'claude',
      model: 'meta/llama-3',
    });
    for (const bad of ['character:ann', 'character:', 'character:ann-0beef@claude', 'character:ann-0beef@/m', 'character:ann-0beef@p/'])
      expect([bad, parseCharacterModel(bad)]).toEqual([bad, null]);
  });

  test('a tail shared by two characters (one created after the list was read) is told apart by the slug, else names none', () => {
    const a = row('019aa000-0000-7000-8000-00000000beef', 'Ann');
    const b = row('019aa000-0000-7000-8000-0000001abeef', 'Bob');
    expect(characterOfTail(parseCharacterModel('character:ann-beef')!, [a, b])).toBe(a);
    expect(characterOfTail(parseCharacterModel('character:zed-beef')!, [a, b])).toBeUndefined();
    expect(characterOfTail(parseCharacterModel('character:renamed-0beef')!, [a])).toBe(a);
  });
});
