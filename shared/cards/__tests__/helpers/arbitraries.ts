/** fast-check generators for card documents with unicode, unknown fields (including "__proto__") and all dialects. */
import fc from 'fast-check';

export const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    '\u0000',
    '\uD800 lone surrogate',
    'Zoë 🌲',
    '夜桜 — ✨',
    '{{char}}: *smiles*\n<START>',
    '\r\n',
    '"quotes" \\ backslash',
    'a, b, c',
  ),
);

export const name: fc.Arbitrary<string> = text.filter((s) => s.trim() !== '');

const unknownKey: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 10 }).map((s) => `x_${s}`),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'x_ünïcødé', 'x_1'),
);

const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

export const unknownFields: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(unknownKey, json, { maxKeys: 3 });

const bookEntry = fc
  .tuple(
    fc.record(
      {
        keys: fc.array(text, { maxLength: 3 }),
        content: text,
        extensions: unknownFields,
        enabled: fc.boolean(),
        insertion_order: fc.integer({ min: -1000, max: 1000 }),
        use_regex: fc.boolean(),
        case_sensitive: fc.option(fc.boolean()),
        constant: fc.boolean(),
        name: text,
        priority: fc.integer(),
        id: fc.oneof(fc.nat(), text),
        comment: text,
        selective: fc.boolean(),
        secondary_keys: fc.array(text, { maxLength: 2 }),
        position: fc.constantFrom('before_char', 'after_char'),
      },
      { requiredKeys: ['keys', 'content', 'extensions', 'enabled', 'insertion_order', 'use_regex'] },
    ),
    unknownFields,
  )
  .map(([entry, extra]) => ({ ...extra, ...entry }));

const characterBook = fc.record(
  {
    name: text,
    description: text,
    scan_depth: fc.nat(100),
    token_budget: fc.nat(10000),
    recursive_scanning: fc.boolean(),
    extensions: unknownFields,
    entries: fc.array(bookEntry, { maxLength: 3 }),
  },
  { requiredKeys: ['extensions', 'entries'] },
);

const assetRef = fc.record({
  type: fc.constantFrom('icon', 'background', 'emotion', 'user_icon', 'x_custom'),
  uri: fc.oneof(
    fc.constant('ccdefault:'),
    fc.webUrl(),
    text.map((t) => `embeded://assets/other/${t.replace(/[^A-Za-z0-9]/g, '_')}.png`),
  ),
  name: text,
  ext: fc.constantFrom('png', 'webp', 'jpeg', 'unknown'),
});

const v2Data = {
  name,
  description: text,
  personality: text,
  scenario: text,
  first_mes: text,
  mes_example: text,
  creator_notes: text,
  system_prompt: text,
  post_history_instructions: text,
  alternate_greetings: fc.array(text, { maxLength: 3 }),
  tags: fc.array(text, { maxLength: 4 }),
  creator: text,
  character_version: text,
  extensions: unknownFields,
  character_book: characterBook,
};

const v3Only = {
  nickname: text,
  creator_notes_multilingual: fc.dictionary(fc.constantFrom('en', 'fr', 'ja'), text, { maxKeys: 3 }),
  source: fc.array(text, { maxLength: 2 }),
  group_only_greetings: fc.array(text, { maxLength: 2 }),
  creation_date: fc.nat(),
  modification_date: fc.nat(),
  assets: fc.array(assetRef, { maxLength: 3 }),
};

export const cardData: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(fc.record({ ...v2Data, ...v3Only }, { requiredKeys: ['name'] }), unknownFields)
  .map(([data, extra]) => ({ ...extra, ...data }));

const V1_KEYS = ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'] as const;

/** A card document in one of the dialects: V3, V2, SillyTavern hybrid (V2 or V3), V1. */
export const cardDocument: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.tuple(cardData, unknownFields).map(([data, top]) => ({ ...top, spec: 'chara_card_v3', spec_version: '3.0', data })),
  fc.tuple(cardData, unknownFields).map(([data, top]) => ({ ...top, spec: 'chara_card_v2', spec_version: '2.0', data })),
  fc.tuple(cardData, unknownFields, fc.boolean(), fc.boolean()).map(([data, top, v3, divergent]) => {
    const mirror: Record<string, unknown> = {};
    for (const key of V1_KEYS) mirror[key] = data[key] ?? '';
    mirror.creatorcomment = data.creator_notes ?? '';
    if (divergent) mirror.tags = 'stale, top-level';
    return {
      ...top,
      ...mirror,
      avatar: 'none',
      chat: 'x - 2024',
      spec: v3 ? 'chara_card_v3' : 'chara_card_v2',
      spec_version: v3 ? '3.0' : '2.0',
      data,
    };
  }),
  fc
    .tuple(
      fc.record(
        { name, description: text, personality: text, scenario: text, first_mes: text, mes_example: text, creatorcomment: text },
        { requiredKeys: ['name'] },
      ),
      unknownFields,
    )
    .map(([v1, top]) => ({ ...top, ...v1 })),
);
