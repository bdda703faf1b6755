import { runWorldInfo } from '../../engine/engine.ts';
import { updateWorldBook } from '../../entry.ts';
import type { WorldInfoEntry } from '../../entry.ts';
import { validateEntryForWrite } from '../../validate.ts';
import {
  UnknownLorebookFormatError,
  detectLorebookFormat,
  exportLorebook,
  exportToCharacterBook,
  exportToLorebookV3,
  exportToSillyTavern,
  importLorebook,
} from '../index.ts';

const NOVELAI = {
  lorebookVersion: 5,
  entries: [
    {
      text: 'Kael is an ancient dragon.',
      contextConfig: {
        prefix: '',
        suffix: '\n',
        tokenBudget: 2048,
        reservedTokens: 0,
        budgetPriority: 400,
        trimDirection: 'trimBottom',
        insertionType: 'newline',
        maximumTrimType: 'sentence',
        insertionPosition: -1,
      },
      lastUpdatedAt: 1700000000000,
      displayName: 'Kael',
      id: '3f1b0c4e-0000-4000-8000-000000000001',
      keys: ['Kael', '/dragons?/i'],
      searchRange: 1000,
      enabled: true,
      forceActivation: false,
      keyRelative: false,
      nonStoryActivatable: false,
      category: '',
      loreBiasGroups: [],
    },
    { text: 'Always here.', contextConfig: {}, displayName: 'Rules', id: 'x2', keys: [], enabled: false, forceActivation: true },
  ],
  settings: { orderByKeyLocations: false },
  categories: [],
};

const AGNAI = {
  kind: 'memory',
  name: 'Agnai Book',
  description: 'From Agnai',
  userId: 'u1',
  entries: [{ name: 'Kael', entry: 'Kael is an ancient dragon.', keywords: ['kael', 'dragon'], priority: 10, weight: 5, enabled: true }],
};

const RISU = {
  type: 'risu',
  ver: 1,
  data: [
    {
      key: 'kael, dragon, ',
      secondkey: 'ancient',
      insertorder: 120,
      comment: 'Kael',
      content: 'Kael is an ancient dragon.',
      mode: 'normal',
      alwaysActive: false,
      selective: true,
      extentions: { risu_case_sensitive: false },
      activationPercent: 50,
      useRegex: false,
    },
    { key: '', secondkey: '', insertorder: 100, comment: 'Folder', content: '', mode: 'folder', alwaysActive: false, selective: false },
  ],
};

const TLDW = {
  world_book: { id: 7, name: 'Lore', description: 'desc', scan_depth: 3, token_budget: 500, recursive_scanning: false, enabled: true },
  entries: [
    {
      id: 11,
      world_book_id: 7,
      keywords: ['dragon'],
      content: 'Dragons hoard gold.',
      priority: 50,
      enabled: true,
      case_sensitive: false,
      regex_match: false,
      whole_word_match: true,
      group: 'beasts',
      appendable: false,
      recursive_scanning: false,
      metadata: {},
      created_at: '2025-01-01T00:00:00',
      last_modified: '2025-01-01T00:00:00',
    },
    {
      id: 12,
      world_book_id: 7,
      keywords: ['wy+rm'],
      content: 'Wyrms are old.',
      priority: 10,
      enabled: true,
      case_sensitive: false,
      regex_match: true,
      whole_word_match: true,
    },
    {
      id: 13,
      world_book_id: 7,
      keywords: ['(broken'],
      content: 'x',
      priority: 0,
      enabled: true,
      case_sensitive: false,
      regex_match: true,
      whole_word_match: true,
    },
  ],
  export_date: '2025-01-01T00:00:00',
  format_version: '1.0',
};

const CARD_BOOK_V3 = {
  name: 'Pure V3',
  description: 'No SillyTavern extensions',
  scan_depth: 4,
  token_budget: 300,
  recursive_scanning: true,
  extensions: { risu: { keep: true } },
  x_book_field: 'kept',
  entries: [
    {
      keys: ['Dr[ao]gon'],
      content: 'Dragons.',
      extensions: { chub: { v: 1 } },
      enabled: true,
      insertion_order: 10,
      use_regex: true,
      case_sensitive: true,
      name: 'Dragon',
      priority: 5,
      id: 'a1',
      comment: 'memo',
      selective: false,
      secondary_keys: [],
      constant: false,
      position: 'after_char',
      x_custom: { nested: [1, 2] },
    },
  ],
};

const chat = (content: string) => [{ name: 'User', content, role: 'user' as const }];
const activate = (entries: WorldInfoEntry[], text: string) =>
  runWorldInfo({
    books: [{ id: 'b', name: 'b', source: 'global', entries }],
    messages: chat(text),
    characterName: 'Seraphina',
    tokenizer: 'approximate',
    random: () => 0,
    settings: { recursive: false },
  }).activated.map((a) => a.entryIndex);

describe('format detection', () => {
  test.each([
    [{ spec: 'lorebook_v3', data: { entries: [] } }, 'lorebook_v3'],
    [{ spec: 'chara_card_v3', data: { name: 'x', character_book: { entries: [] } } }, 'card'],
    [{ spec: 'chara_card_v2', data: { name: 'x', character_book: { entries: [], extensions: {} } } }, 'card'],
    [NOVELAI, 'novelai'],
    [AGNAI, 'agnai'],
    [RISU, 'risu'],
    [TLDW, 'tldw'],
    [{ name: 'Flat', entries: [{ keywords: ['x'], content: 'y' }] }, 'tldw'],
    [{ entries: { 0: { uid: 0, key: ['a'], content: 'b' } } }, 'sillytavern'],
    [{ entries: {} }, 'sillytavern'],
    [{ entries: [{ keys: ['a'], content: 'b', extensions: {}, enabled: true, insertion_order: 1 }] }, 'character_book'],
  ])('%#: %s', (json, format) => {
    expect(detectLorebookFormat(json)).toBe(format);
  });

  test.each([null, 42, 'text', [], { entries: 'x' }, { spec: 'chara_card_v2', data: { name: 'no book' } }])(
    '%p is not a lorebook',
    (json) => {
      expect(detectLorebookFormat(json)).toBeNull();
      expect(() => importLorebook(json)).toThrow(UnknownLorebookFormatError);
    },
  );
});

describe('importers', () => {
  test('NovelAI', () => {
    const r = importLorebook(NOVELAI, { name: 'Novel' });
    expect(r.format).toBe('novelai');
    expect(r.warnings).toEqual([]);
    expect(r.book.name).toBe('Novel');
    expect(r.entries[0]).toMatchObject({
      uid: NOVELAI.entries[0]?.id,
      keys: ['Kael', '/dragons?/i'],
      content: 'Kael is an ancient dragon.',
      comment: 'Kael',
      order: 400,
      enabled: true,
      constant: false,
    });
    expect(r.entries[0]?.extra).toMatchObject({ searchRange: 1000, contextConfig: NOVELAI.entries[0]?.contextConfig });
    expect(r.entries[1]).toMatchObject({ order: 0, enabled: false, constant: true });
    expect(r.book.extra).toEqual({ novelai: { lorebookVersion: 5, settings: { orderByKeyLocations: false }, categories: [] } });
    expect(activate(r.entries, 'Two DRAGONS fly')).toEqual([0]);
  });

  test('Agnai', () => {
    const r = importLorebook(AGNAI);
    expect(r.format).toBe('agnai');
    expect(r.book).toMatchObject({ name: 'Agnai Book', description: 'From Agnai', extra: { agnai: { kind: 'memory', userId: 'u1' } } });
    expect(r.entries[0]).toMatchObject({
      uid: 0,
      keys: ['kael', 'dragon'],
      content: 'Kael is an ancient dragon.',
      comment: 'Kael',
      order: 5,
      priority: 10,
      enabled: true,
    });
    expect(activate(r.entries, 'a dragon')).toEqual([0]);
  });

  test('RisuAI', () => {
    const r = importLorebook(RISU);
    expect(r.format).toBe('risu');
    expect(r.entries[0]).toMatchObject({
      keys: ['kael', 'dragon'],
      secondaryKeys: ['ancient'],
      order: 120,
      probability: 50,
      useProbability: true,
      selective: true,
      constant: false,
      useRegex: false,
    });
    expect(r.entries[0]?.extra).toMatchObject({ key: 'kael, dragon, ', mode: 'normal', extentions: { risu_case_sensitive: false } });
    expect(r.entries[1]?.enabled).toBe(false);
    expect(r.warnings).toEqual([{ entryIndex: 1, code: 'folder_entry', detail: expect.any(String) }]);
  });

  test('the original system (nested export and flat import shapes)', () => {
    const r = importLorebook(TLDW);
    expect(r.format).toBe('tldw');
    expect(r.book).toMatchObject({
      name: 'Lore',
      description: 'desc',
      token_budget: 500,
      recursive_scanning: false,
      extensions: { tldw: { id: 7, scan_depth: 3, enabled: true, export_date: '2025-01-01T00:00:00', format_version: '1.0' } },
    });
    expect(r.entries[0]).toMatchObject({
      uid: 11,
      keys: ['dragon'],
      priority: 50,
      order: 50,
      group: 'beasts',
      matchWholeWords: true,
      caseSensitive: false,
      useRegex: false,
    });
    expect(r.entries[0]?.extensions).toEqual({
      tldw: {
        id: 11,
        world_book_id: 7,
        appendable: false,
        recursive_scanning: false,
        metadata: {},
        created_at: '2025-01-01T00:00:00',
        last_modified: '2025-01-01T00:00:00',
      },
    });
    expect(r.entries[1]?.useRegex).toBe(true);
    expect(r.warnings).toEqual([{ entryIndex: 2, code: 'invalid_regex', field: 'keys[0]', detail: expect.stringContaining('(broken') }]);
    expect(activate(r.entries, 'A WYYYRM appears')).toEqual([1]);
    expect(activate(r.entries, 'dragons')).toEqual([]);

    const flat = importLorebook({ name: 'Flat', description: 'd', entries: [{ keywords: ['x'], content: 'y', metadata: { group: 'g' } }] });
    expect(flat.book.name).toBe('Flat');
    expect(flat.entries[0]).toMatchObject({ keys: ['x'], content: 'y', group: 'g', uid: 0 });
  });
});

describe('round trips and preservation', () => {
  test('unknown fields survive a SillyTavern round trip; wrongly typed fields are kept verbatim', () => {
    const st = {
      entries: {
        5: {
          uid: 5,
          key: ['a'],
          keysecondary: [],
          content: 'x',
          order: '100',
          disable: 'no',
          myExtension: { a: 1 },
          extensions: { foo: 'bar' },
        },
        9: {
          uid: 9,
          key: ['/(unclosed/', 'b'],
          content: 'y',
          position: 4,
          depth: 2,
          role: 1,
          sticky: 3,
          characterFilter: { isExclude: false, names: ['Seraphina'], tags: [] },
        },
      },
      originalData: { entries: [], name: 'orig' },
      name: 'With name',
    };
    const r = importLorebook(st);
    expect(r.format).toBe('sillytavern');
    expect(r.book.name).toBe('With name');
    expect(r.entries[0]?.order).toBeUndefined();
    expect(r.entries[0]?.extra).toEqual({ order: '100', disable: 'no', myExtension: { a: 1 } });
    expect(r.warnings.map((w) => [w.entryIndex, w.code, w.field])).toEqual([
      [0, 'invalid_field', 'order'],
      [0, 'invalid_field', 'disable'],
      [1, 'invalid_regex', 'keys[0]'],
    ]);
    expect(r.entries[1]?.keys).toEqual(['/(unclosed/', 'b']);
    expect(exportToSillyTavern(r.book)).toEqual(st);
    expect(activate(r.entries, '(unclosed b')).toEqual([1]);
  });

  test('a pure V3 character_book round-trips; use_regex makes bare keys patterns', () => {
    const r = importLorebook(CARD_BOOK_V3);
    expect(r.format).toBe('character_book');
    expect(r.warnings).toEqual([]);
    expect(r.entries[0]).toMatchObject({
      uid: 'a1',
      useRegex: true,
      caseSensitive: true,
      position: 1,
      name: 'Dragon',
      priority: 5,
      order: 10,
    });
    expect(r.book).toMatchObject({ scan_depth: 4, token_budget: 300, recursive_scanning: true, extra: { x_book_field: 'kept' } });
    expect(exportToCharacterBook(r.book)).toEqual(CARD_BOOK_V3);
    expect(activate(r.entries, 'a dragon')).toEqual([]); // case-sensitive regex
    expect(activate(r.entries, 'a Drogon')).toEqual([0]);
  });

  test('both case_sensitive fields of a mixed card entry are kept where they were', () => {
    const book = {
      entries: [
        { keys: ['a'], content: 'b', extensions: { case_sensitive: true }, enabled: true, insertion_order: 1, case_sensitive: false },
      ],
      extensions: {},
    };
    const r = importLorebook(book);
    expect(r.entries[0]?.caseSensitive).toBe(true);
    expect(exportToCharacterBook(r.book)).toEqual(book);
  });

  test('lorebook_v3 keeps wrapper fields and fills V3-required fields on export', () => {
    const doc = {
      spec: 'lorebook_v3',
      x_wrapper: 1,
      data: {
        name: 'L',
        entries: [{ keys: ['k'], content: 'c', extensions: {}, enabled: true, insertion_order: 100, use_regex: false }],
        extensions: {},
      },
    };
    const r = importLorebook(doc);
    expect(r.format).toBe('lorebook_v3');
    expect(exportToLorebookV3(r.book)).toEqual(doc);
    const fromSt = importLorebook({ entries: { 0: { uid: 0, key: ['k'], content: 'c' } } }, { name: 'ST' });
    expect(exportLorebook(fromSt.book, 'lorebook_v3')).toEqual({
      spec: 'lorebook_v3',
      data: {
        extensions: {},
        entries: [{ id: 0, keys: ['k'], content: 'c', enabled: true, insertion_order: 100, use_regex: false, extensions: {} }],
      },
    });
  });

  test('SillyTavern export gives entries without a uid the smallest free integers', () => {
    const r = importLorebook({
      entries: [
        { keys: ['a'], content: 'x' },
        { keys: ['b'], content: 'y', id: 0 },
        { keys: ['c'], content: 'z' },
      ],
      extensions: {},
    });
    const st = exportToSillyTavern(r.book) as { entries: Record<string, { uid: number }> };
    expect(Object.keys(st.entries).sort()).toEqual(['0', '1', '2']);
    expect(st.entries['1']?.uid).toBe(1);
  });

  test('renaming an imported book makes exporters write the name', () => {
    const r = importLorebook({ entries: {} });
    expect(r.book.name).toBe('Imported lorebook');
    expect(exportToSillyTavern(r.book)).toEqual({ entries: {} });
    const renamed = updateWorldBook(r.book, { name: 'Renamed' });
    expect(exportToSillyTavern(renamed)).toEqual({ entries: {}, name: 'Renamed' });
    expect(renamed.absentFields).toEqual(['description', 'extensions']);
  });

  test('entries that are not objects are skipped with a warning (nothing else is dropped)', () => {
    const r = importLorebook({ entries: { 0: { uid: 0, key: ['a'], content: 'x' }, 1: 'garbage' } });
    expect(r.entries).toHaveLength(1);
    expect(r.warnings).toEqual([{ entryIndex: 1, code: 'invalid_entry', detail: expect.any(String) }]);
  });
});

describe('validateEntryForWrite', () => {
  test('accepts a valid entry', () => {
    expect(validateEntryForWrite({ keys: ['dragon', '/dr[ao]gon/i'], content: 'x' })).toBeNull();
  });

  test('rejects an uncompilable regex key with its path', () => {
    const err = validateEntryForWrite({ keys: ['ok', '/(?=look)/'], secondaryKeys: ['/(/'], content: 'x' });
    expect(err?.code).toBe('invalid_regex');
    expect(err?.issues.map((i) => i.path)).toEqual(['keys[1]', 'secondaryKeys[0]']);
    expect(err?.message).toContain("Invalid regex pattern '/(?=look)/'");
  });

  test('checks bare keys of use_regex entries and decorator key lists', () => {
    expect(validateEntryForWrite({ keys: ['(oops'], useRegex: true, content: 'x' })?.code).toBe('invalid_regex');
    expect(validateEntryForWrite({ keys: ['(fine as text'], content: 'x' })).toBeNull();
    expect(validateEntryForWrite({ keys: ['a'], content: '@@additional_keys /[/\nx' })?.issues[0]?.path).toBe('content@@additional_keys');
    expect(validateEntryForWrite({ keys: ['/\\x01{{user}}:.*hello/'], content: 'x' })).toBeNull();
  });

  test('rejects a malformed entry as invalid_entry', () => {
    const err = validateEntryForWrite({ keys: 'dragon', content: 'x', selectiveLogic: 9 });
    expect(err?.code).toBe('invalid_entry');
    expect(err?.issues.map((i) => i.path)).toEqual(['keys', 'selectiveLogic']);
  });
});
