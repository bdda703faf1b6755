import { describe, expect, test } from '@jest/globals';
import {
  cardFromBasicFields,
  exportCard,
  parseCard,
  parseJsonCard,
  toBasicFields,
  toV2Json,
  toV3Json,
  validateCanonicalCard,
  type CardParseResult,
  type CardParseSuccess,
} from '../index.ts';
import { utf8 } from './helpers/builders.ts';

function ok(result: CardParseResult): CardParseSuccess {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result;
}

function errorOf(result: CardParseResult) {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

const parseObject = (value: unknown, options = {}) => parseJsonCard(utf8(JSON.stringify(value)), options);

describe('JSON dialects', () => {
  test('V1 (flat) upgrades to V3, with the V1 fields recorded as a mirror and other keys kept', () => {
    const r = ok(
      parseObject({
        name: 'Vee',
        description: 'desc',
        personality: 'kind',
        scenario: 'a room',
        first_mes: 'Hello',
        mes_example: '<START>',
        creatorcomment: 'notes',
        talkativeness: '0.5',
        chat: 'Vee - 2023',
      }),
    );
    expect(r.source).toEqual({ dialect: 'v1', spec: null, specVersion: null, hybrid: false });
    expect(r.card.spec).toBe('chara_card_v3');
    expect(r.card.data).toMatchObject({
      name: 'Vee',
      description: 'desc',
      personality: 'kind',
      scenario: 'a room',
      first_mes: 'Hello',
      mes_example: '<START>',
      creator_notes: 'notes',
    });
    expect(r.card.data).toMatchObject({
      alternate_greetings: [],
      tags: [],
      extensions: {},
      group_only_greetings: [],
      system_prompt: '',
      creator: '',
    });
    expect(r.card.v1Mirror).toEqual(['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example', 'creatorcomment']);
    expect(r.card.topLevelExtras).toEqual({ talkativeness: '0.5', chat: 'Vee - 2023' });
    // Export writes the mirror from data: an edited name stays consistent at both levels.
    const edited = cardFromBasicFields({ name: 'Vee 2' }, r.card);
    expect(toV3Json(edited)).toMatchObject({ name: 'Vee 2', creatorcomment: 'notes', talkativeness: '0.5', data: { name: 'Vee 2' } });
  });

  test('V2 and V3 cards; unknown data and top-level fields are kept verbatim', () => {
    const v2 = ok(
      parseObject({
        spec: 'chara_card_v2',
        spec_version: '2.0',
        data: { name: 'Two', first_mes: 'hi', x_custom: { deep: [1, 'two'] } },
        x_top: true,
      }),
    );
    expect(v2.source).toMatchObject({ dialect: 'v2', spec: 'chara_card_v2', specVersion: '2.0', hybrid: false });
    expect(v2.card.data.x_custom).toEqual({ deep: [1, 'two'] });
    expect(v2.card.topLevelExtras).toEqual({ x_top: true });
    const v3 = ok(
      parseObject({
        spec: 'chara_card_v3',
        spec_version: '3.0',
        data: {
          name: 'Three',
          nickname: 'Tri',
          creator_notes_multilingual: { en: 'hi', fr: 'salut' },
          source: ['https://example.org/c/1'],
          group_only_greetings: ['Hello all'],
          creation_date: 1700000000,
          modification_date: 0,
          assets: [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }],
          character_book: {
            entries: [{ keys: ['a'], content: 'A', enabled: true, insertion_order: 1, use_regex: false, extensions: {}, x_entry: 1 }],
            x_book: 'y',
          },
        },
      }),
    );
    expect(v3.card.data).toMatchObject({
      nickname: 'Tri',
      source: ['https://example.org/c/1'],
      group_only_greetings: ['Hello all'],
      creation_date: 1700000000,
      modification_date: 0,
    });
    expect(v3.card.data.character_book).toEqual({
      entries: [{ keys: ['a'], content: 'A', enabled: true, insertion_order: 1, use_regex: false, extensions: {}, x_entry: 1 }],
      x_book: 'y',
      extensions: {},
    });
    expect(v3.warnings).toEqual([]);
  });

  test('spec_version newer than 3.0 imports with a warning', () => {
    const r = ok(parseObject({ spec: 'chara_card_v3', spec_version: '3.1', data: { name: 'Next' } }));
    expect(r.source.specVersion).toBe('3.1');
    expect(r.card.spec_version).toBe('3.0');
    expect(r.warnings.join()).toMatch(/newer than 3\.0/);
  });

  test('Pygmalion/Gradio fields map to the card', () => {
    const r = ok(
      parseObject({
        char_name: 'Pyg',
        char_persona: 'persona',
        world_scenario: 'world',
        char_greeting: 'greet',
        example_dialogue: 'ex',
        extra_field: 1,
      }),
    );
    expect(r.source.dialect).toBe('pygmalion');
    expect(r.card.data).toMatchObject({ name: 'Pyg', description: 'persona', scenario: 'world', first_mes: 'greet', mes_example: 'ex' });
    expect(r.card.topLevelExtras).toEqual({ extra_field: 1 });
  });

  test('a data object without spec is read as V2 with a warning', () => {
    const r = ok(parseObject({ data: { name: 'NoSpec' } }));
    expect(r.source.dialect).toBe('v2');
    expect(r.warnings.join()).toMatch(/no spec/);
  });

  test('non-card JSON is 422 invalid_card', () => {
    expect(errorOf(parseObject([1, 2]))).toMatchObject({ status: 422, code: 'invalid_card' });
    expect(errorOf(parseObject({ hello: 'world' }))).toMatchObject({ status: 422, code: 'invalid_card' });
    expect(errorOf(parseObject({ spec: 'lorebook_v3', data: 'x' })).detail).toMatch(/not a character card/);
    expect(errorOf(parseObject({ spec: 'chara_card_v3' })).detail).toMatch(/data object/);
    expect(errorOf(parseObject({ spec: 3, data: {} })).code).toBe('invalid_card');
  });

  test('repairable type slips are fixed with warnings', () => {
    const r = ok(
      parseObject({
        spec: 'chara_card_v2',
        data: {
          name: 'Fix',
          tags: 'a, b ,, c',
          alternate_greetings: 'only one',
          character_version: 2,
          extensions: '{"k": 1}',
          creation_date: '2024-01-02T00:00:00Z',
          character_book: { entries: [{ keys: 'x, y', content: 'c', enabled: 'true', insertion_order: '5', position: 0 }] },
          nickname: null,
        },
      }),
    );
    expect(r.card.data.tags).toEqual(['a', 'b', 'c']);
    expect(r.card.data.alternate_greetings).toEqual(['only one']);
    expect(r.card.data.character_version).toBe('2');
    expect(r.card.data.extensions).toEqual({ k: 1 });
    expect(r.card.data.creation_date).toBe(1704153600);
    expect(r.card.data.character_book?.entries[0]).toMatchObject({
      keys: ['x', 'y'],
      enabled: true,
      insertion_order: 5,
      position: 'before_char',
      use_regex: false,
      extensions: {},
    });
    expect('nickname' in r.card.data).toBe(false);
    expect(r.warnings.length).toBeGreaterThanOrEqual(8);
  });

  test('unrepairable types are 422 invalid_card naming the field', () => {
    expect(errorOf(parseObject({ spec: 'chara_card_v2', data: { name: 'X', description: { a: 1 } } }))).toMatchObject({
      code: 'invalid_card',
      detail: expect.stringContaining('data.description'),
    });
    expect(errorOf(parseObject({ spec: 'chara_card_v2', data: { name: 'X', tags: [{}] } })).detail).toContain('data.tags[0]');
    expect(errorOf(parseObject({ spec: 'chara_card_v2', data: { name: 'X', character_book: { entries: {} } } })).detail).toContain(
      'entries',
    );
    expect(errorOf(parseObject({ spec: 'chara_card_v2', data: { name: 'X', assets: [{ type: 'icon' }] } })).detail).toContain('uri');
  });

  test('a nameless card takes the file name, else 422 missing_name', () => {
    expect(errorOf(parseObject({ spec: 'chara_card_v2', data: { name: '  ' } }))).toMatchObject({ status: 422, code: 'missing_name' });
    const r = ok(parseObject({ spec: 'chara_card_v2', data: { name: '' } }, { filename: 'Lost_Soul.json' }));
    expect(r.card.data.name).toBe('Lost Soul');
  });

  test('own __proto__ keys are data, not prototypes', () => {
    const text =
      '{"spec":"chara_card_v3","spec_version":"3.0","data":{"name":"P","__proto__":{"polluted":true},"extensions":{"__proto__":1}},"__proto__":"top"}';
    const r = ok(parseJsonCard(utf8(text)));
    expect(Object.getPrototypeOf(r.card.data)).toBe(Object.prototype);
    expect(Object.keys(r.card.data)).toContain('__proto__');
    expect(Object.keys(r.card.topLevelExtras)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const again = ok(parseCard(exportCard(r.card, 'json').bytes, { filename: 'a.json' }));
    expect(JSON.stringify(toV3Json(again.card))).toBe(JSON.stringify(toV3Json(r.card)));
  });

  test('JSON depth, syntax, encoding guards', () => {
    const deep = `{"name":"D","x":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(errorOf(parseJsonCard(utf8(deep)))).toMatchObject({ status: 422, code: 'json_too_deep' });
    const veryDeep = `{"name":"D","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expect(errorOf(parseJsonCard(utf8(veryDeep))).code).toBe('json_too_deep');
    expect(errorOf(parseJsonCard(utf8('{"name": "x",}')))).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(errorOf(parseJsonCard(Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d)))).toMatchObject({ status: 400, code: 'invalid_utf8' });
    expect(errorOf(parseJsonCard(new Uint8Array(Buffer.from('\ufeff{"name":"x"}', 'utf16le'))))).toMatchObject({
      code: 'invalid_utf8',
      detail: expect.stringMatching(/UTF-16/),
    });
    expect(ok(parseJsonCard(utf8('\ufeff{"name":"BOM"}'))).card.data.name).toBe('BOM');
    const wide = JSON.stringify({ name: 'W', x: Array.from({ length: 2000 }, () => 0) });
    expect(errorOf(parseJsonCard(utf8(wide), { limits: { maxJsonNodes: 1000 } }))).toMatchObject({ status: 422, code: 'json_too_complex' });
  });
});

describe('V2 export convention', () => {
  test('V3-only fields stay in data (no extensions pollution), spec is chara_card_v2', () => {
    const r = ok(
      parseObject({
        spec: 'chara_card_v3',
        spec_version: '3.0',
        data: { name: 'N', nickname: 'n', group_only_greetings: ['g'], extensions: { a: 1 } },
      }),
    );
    const v2 = toV2Json(r.card);
    expect(v2).toMatchObject({
      spec: 'chara_card_v2',
      spec_version: '2.0',
      data: { nickname: 'n', group_only_greetings: ['g'], extensions: { a: 1 } },
    });
    expect(Object.keys((v2.data as { extensions: object }).extensions)).toEqual(['a']);
  });
});

describe('basic fields', () => {
  test('toBasicFields renames first_mes/mes_example; cardFromBasicFields keeps everything else', () => {
    const r = ok(
      parseObject({
        spec: 'chara_card_v3',
        spec_version: '3.0',
        data: { name: 'B', first_mes: 'f', mes_example: 'm', nickname: 'bee', x_unknown: 1 },
      }),
    );
    const basic = toBasicFields(r.card);
    expect(basic).toEqual({
      name: 'B',
      description: '',
      personality: '',
      scenario: '',
      system_prompt: '',
      post_history_instructions: '',
      first_message: 'f',
      message_example: 'm',
      creator_notes: '',
      alternate_greetings: [],
      tags: [],
      creator: '',
      character_version: '',
      extensions: {},
    });
    const updated = cardFromBasicFields({ first_message: 'new', tags: ['t'] }, r.card);
    expect(updated.data).toMatchObject({ name: 'B', first_mes: 'new', tags: ['t'], nickname: 'bee', x_unknown: 1 });
    expect(r.card.data.first_mes).toBe('f');
    expect(validateCanonicalCard(updated)).toEqual({ ok: true, card: updated });
    expect(validateCanonicalCard({ ...updated, data: { ...updated.data, tags: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'invalid_card' },
    });
    const fresh = cardFromBasicFields({ name: 'New' });
    expect(validateCanonicalCard(fresh).ok).toBe(true);
    expect(validateCanonicalCard(cardFromBasicFields({ name: 'x'.repeat(501) }))).toMatchObject({
      ok: false,
      error: { code: 'field_too_long' },
    });
  });
});
