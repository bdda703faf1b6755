/**
 * The inputs of the differential world-info cases: books (SillyTavern world files, as SillyTavern stores them),
 * a chat and SillyTavern's world-info settings. Hand-written cases pin every quirk of DEVIATIONS.md down (field
 * `quirk`) and the common behaviours; generated cases (`fuzzCases`, seeded) mix everything at random. The same
 * inputs go to SillyTavern 1.12.6's `checkWorldInfo` (record-world-info-cases.ts) and to our engine
 * (world-info-case-engine.ts).
 */
import { createSeededRandom } from '../../shared/worldinfo/index.ts';

/** A SillyTavern world-file entry: only the fields a case sets (SillyTavern treats absent as its default). */
export type StEntry = Record<string, unknown> & { uid: number };

export interface StBook {
  name: string;
  /** `global`: selected in the world-info panel; `chat`: the chat's lorebook (scanned first). */
  source: 'global' | 'chat';
  entries: StEntry[];
}

export interface StSettings {
  depth: number;
  budgetPercent: number;
  contextSize: number;
  budgetCap: number;
  recursive: boolean;
  maxRecursionSteps: number;
  minActivations: number;
  minActivationsDepthMax: number;
  caseSensitive: boolean;
  matchWholeWords: boolean;
  useGroupScoring: boolean;
}

export interface WorldInfoCase {
  id: string;
  /** The DEVIATIONS.md quirk the case is about, if any. */
  quirk?: string;
  /** Seeds Math.random (mulberry32) for probability and group rolls. */
  seed: number;
  settings: StSettings;
  books: StBook[];
  /** Oldest first; scanned as `name: content`, newest first, as SillyTavern's Generate passes it. */
  messages: Array<{ name: string; content: string }>;
}

export const DEFAULT_CASE_SETTINGS: StSettings = {
  depth: 2,
  budgetPercent: 25,
  contextSize: 4096,
  budgetCap: 0,
  recursive: true,
  maxRecursionSteps: 0,
  minActivations: 0,
  minActivationsDepthMax: 0,
  caseSensitive: false,
  matchWholeWords: true,
  useGroupScoring: false,
};

const entry = (uid: number, key: string[], content: string, more: Record<string, unknown> = {}): StEntry => ({
  uid,
  key,
  keysecondary: [],
  content,
  order: 100,
  position: 0,
  disable: false,
  ...more,
});

const one = (
  id: string,
  entries: StEntry[],
  messages: string[],
  settings: Partial<StSettings> = {},
  extra: { quirk?: string; seed?: number } = {},
): WorldInfoCase => ({
  id,
  ...(extra.quirk ? { quirk: extra.quirk } : {}),
  seed: extra.seed ?? 1,
  settings: { ...DEFAULT_CASE_SETTINGS, ...settings },
  books: [{ name: 'main', source: 'global', entries }],
  messages: messages.map((content, i) => ({ name: i % 2 === 0 ? 'User' : 'Aria', content })),
});

/** Hand-written cases: every quirk, and the behaviours around it. */
export function quirkCases(): WorldInfoCase[] {
  const cases: WorldInfoCase[] = [];
  const q = (quirk: string, id: string, entries: StEntry[], messages: string[], settings: Partial<StSettings> = {}, seed = 1) =>
    cases.push(one(id, entries, messages, settings, { quirk, seed }));
  const n = (id: string, entries: StEntry[], messages: string[], settings: Partial<StSettings> = {}, seed = 1) =>
    cases.push(one(id, entries, messages, settings, { seed }));

  // non_ascii_word_boundary
  q('non_ascii_word_boundary', 'nonascii-cyrillic', [entry(0, ['кот'], 'Cat lore.')], ['Я ел котлету вчера.']);
  q('non_ascii_word_boundary', 'nonascii-inflected', [entry(0, ['дракон'], 'Dragon lore.')], ['Он увидел дракона в небе.']);
  q('non_ascii_word_boundary', 'nonascii-accent', [entry(0, ['caf'], 'Coffee lore.')], ['We met at the café.']);
  q('non_ascii_word_boundary', 'nonascii-exact', [entry(0, ['кот'], 'Cat lore.')], ['Это мой кот.']);
  q('non_ascii_word_boundary', 'nonascii-off', [entry(0, ['кот'], 'Cat lore.')], ['Я ел котлету.'], { matchWholeWords: false });
  q('non_ascii_word_boundary', 'nonascii-entry-override', [entry(0, ['кот'], 'Cat lore.', { matchWholeWords: false })], ['котлета']);
  // whole_word_keys_with_spaces
  q('whole_word_keys_with_spaces', 'spaces-inside', [entry(0, ['red fox'], 'Fox lore.')], ['A shred fox ran.']);
  q('whole_word_keys_with_spaces', 'spaces-plural', [entry(0, ['ice cream'], 'Dessert lore.')], ['I love ice creams.']);
  q('whole_word_keys_with_spaces', 'spaces-exact', [entry(0, ['ice cream'], 'Dessert lore.')], ['ice cream please']);
  q('whole_word_keys_with_spaces', 'spaces-one-word-control', [entry(0, ['fox'], 'Fox lore.')], ['foxes everywhere']);
  // invalid_regex_as_plain_text
  q('invalid_regex_as_plain_text', 'regex-invalid-plain', [entry(0, ['/(unclosed/'], 'Broken regex lore.')], ['he typed /(unclosed/ here']);
  q('invalid_regex_as_plain_text', 'regex-invalid-absent', [entry(0, ['/[a-/'], 'Broken regex lore.')], ['nothing here']);
  n('regex-valid', [entry(0, ['/dra(g|k)on/i'], 'Regex lore.')], ['A DRAKON appears']);
  n('regex-anchor-x01', [entry(0, ['/\\x01Aria:/'], 'Speaker lore.')], ['hello', 'hi there']);
  // scan_depth_zero
  q('scan_depth_zero', 'depth0-global', [entry(0, ['dragon'], 'Dragon lore.')], ['dragon'], { depth: 0 });
  q('scan_depth_zero', 'depth0-entry', [entry(0, ['dragon'], 'Dragon lore.', { scanDepth: 0 })], ['dragon']);
  q(
    'scan_depth_zero',
    'depth0-recursion',
    [entry(0, [], 'The castle has a dragon.', { constant: true }), entry(1, ['dragon'], 'Dragon lore.', { scanDepth: 0 })],
    ['hello'],
  );
  q(
    'scan_depth_zero',
    'depth0-global-recursion',
    [entry(0, [], 'The castle has a dragon.', { constant: true }), entry(1, ['dragon'], 'Dragon lore.')],
    ['hello'],
    { depth: 0 },
  );
  // delay_until_recursion
  const castle = entry(0, ['castle'], 'The castle keeps a dragon.');
  q(
    'delay_until_recursion',
    'delay-basic',
    [castle, entry(1, ['dragon'], 'Dragon lore.', { delayUntilRecursion: true })],
    ['the castle', 'dragon'],
  );
  q(
    'delay_until_recursion',
    'delay-single-level-nothing-recursing',
    [entry(1, ['dragon'], 'Dragon lore.', { delayUntilRecursion: true })],
    ['dragon'],
  );
  q(
    'delay_until_recursion',
    'delay-levels',
    [
      castle,
      entry(1, ['dragon'], 'The dragon guards gold.', { delayUntilRecursion: 1 }),
      entry(2, ['gold'], 'Gold lore.', { delayUntilRecursion: 2 }),
      entry(3, ['castle'], 'Level three castle.', { delayUntilRecursion: 3 }),
    ],
    ['the castle'],
  );
  q(
    'delay_until_recursion',
    'delay-recursion-off',
    [castle, entry(1, ['castle'], 'Delayed castle.', { delayUntilRecursion: true })],
    ['the castle'],
    { recursive: false },
  );
  q(
    'delay_until_recursion',
    'delay-disabled-defines-level',
    [
      entry(0, ['castle'], 'Castle.'),
      entry(1, ['x'], 'Off.', { delayUntilRecursion: 2, disable: true }),
      entry(2, ['castle'], 'Late.', { delayUntilRecursion: 2 }),
    ],
    ['the castle'],
    { recursive: false },
  );
  q(
    'delay_until_recursion',
    'delay-after-overflow',
    [
      entry(0, ['castle'], 'The castle keeps a dragon and a long winding stair of old stone.'),
      entry(1, ['castle'], 'Delayed castle.', { delayUntilRecursion: true }),
    ],
    ['the castle'],
    { contextSize: 40 },
  );
  // min_activations_depth
  // newest first: six (depth 1), five, four, three elf (depth 4), two, one dragon (depth 6)
  const chat6 = ['one dragon', 'two', 'three elf', 'four', 'five', 'six'];
  q('min_activations_depth', 'minact-depth-max', [entry(0, ['dragon'], 'Dragon.'), entry(1, ['elf'], 'Elf.')], chat6, {
    depth: 1,
    minActivations: 2,
    minActivationsDepthMax: 3,
  });
  q('min_activations_depth', 'minact-depth-max-4', [entry(0, ['dragon'], 'Dragon.'), entry(1, ['elf'], 'Elf.')], chat6, {
    depth: 1,
    minActivations: 2,
    minActivationsDepthMax: 4,
  });
  q('min_activations_depth', 'minact-chat-end', [entry(0, ['dragon'], 'Dragon.'), entry(1, ['zzz'], 'Never.')], chat6, {
    depth: 1,
    minActivations: 2,
  });
  q('min_activations_depth', 'minact-satisfied', [entry(0, ['dragon'], 'Dragon.'), entry(1, ['elf'], 'Elf.')], chat6, {
    depth: 1,
    minActivations: 1,
  });
  // budget_boundary: contexts chosen so the budget lands on and around the entries' token counts.
  for (const ctx of [20, 24, 28, 32, 36, 40, 44, 48, 52, 60]) {
    q(
      'budget_boundary',
      `budget-edge-${ctx}`,
      [entry(0, ['dragon'], 'Dragons breathe fire over the northern hills.'), entry(1, ['dragon'], 'Scales like iron.', { order: 90 })],
      ['a dragon'],
      { contextSize: ctx, recursive: false },
    );
  }
  q('budget_boundary', 'budget-rounds-to-one', [entry(0, ['dragon'], 'D')], ['dragon'], { contextSize: 1, budgetPercent: 1 });
  q(
    'budget_boundary',
    'budget-cap',
    [entry(0, ['dragon'], 'Dragons breathe fire.'), entry(1, ['dragon'], 'Iron scales.', { order: 90 })],
    ['dragon'],
    {
      budgetCap: 8,
    },
  );
  for (const ctx of [30, 40, 50, 60]) {
    q(
      'budget_boundary',
      `budget-joined-${ctx}`,
      [
        entry(0, ['dragon'], 'fire'),
        entry(1, ['dragon'], 'ice', { order: 99 }),
        entry(2, ['dragon'], 'storm', { order: 98 }),
        entry(3, ['dragon'], 'stone and thunder', { order: 97 }),
        entry(4, ['dragon'], 'a great wyrm of the west', { order: 96 }),
      ],
      ['dragon'],
      { contextSize: ctx, recursive: false },
    );
  }
  // budget_recursion_accounting
  for (const ctx of [60, 112, 128, 144, 160]) {
    q(
      'budget_recursion_accounting',
      `budget-recursion-${ctx}`,
      [
        entry(0, ['castle'], 'The castle has a tall tower and a dragon in the cellar.', { preventRecursion: true }),
        entry(1, ['castle'], 'A knight lives in the castle with a dragon.'),
        entry(2, ['dragon'], 'The dragon sleeps on a pile of gold coins.'),
        entry(3, ['gold'], 'Gold is counted every night.'),
      ],
      ['the castle'],
      { contextSize: ctx },
    );
  }
  // inclusion groups
  q(
    'inclusion_group_double_removal',
    'group-double-removal',
    [
      entry(0, ['dragon'], 'A.', { group: 'x,y', order: 10 }),
      entry(1, ['dragon'], 'B.', { group: 'x', groupOverride: true, order: 20 }),
      entry(2, ['dragon'], 'C.', { group: 'y', groupOverride: true, order: 30 }),
      entry(3, ['dragon'], 'Innocent.', { order: 40 }),
    ],
    ['dragon'],
  );
  for (const seed of [1, 2, 3, 4]) {
    q(
      'inclusion_group_multi_group',
      `group-multi-${seed}`,
      [
        entry(0, ['dragon'], 'A.', { group: 'x, y' }),
        entry(1, ['dragon'], 'B.', { group: 'x' }),
        entry(2, ['dragon'], 'C.', { group: 'y' }),
        entry(3, ['dragon'], 'D.', { group: 'y' }),
      ],
      ['dragon'],
      {},
      seed,
    );
  }
  q(
    'inclusion_group_names',
    'group-names-raw',
    [
      entry(0, ['castle'], 'The castle has a dragon.', { group: 'a,b' }),
      entry(1, ['dragon'], 'Dragon in group a.', { group: 'a' }),
      entry(2, ['dragon'], 'Other in group a.', { group: 'a' }),
    ],
    ['the castle'],
  );
  q(
    'inclusion_group_names',
    'group-names-numeric-first',
    [
      entry(0, ['dragon'], 'Z1.', { group: 'z', groupOverride: true }),
      entry(1, ['dragon'], 'Z2 and 7.', { group: 'z, 7' }),
      entry(2, ['dragon'], 'Seven.', { group: '7', groupOverride: true, order: 50 }),
    ],
    ['dragon'],
  );
  q(
    'inclusion_group_names',
    'group-names-spaces',
    [
      entry(0, ['dragon'], 'One.', { group: ' a' }),
      entry(1, ['dragon'], 'Two.', { group: 'a ' }),
      entry(2, ['dragon'], 'Three.', { group: 'a' }),
    ],
    ['dragon'],
    {},
    5,
  );
  for (const seed of [1, 2, 3]) {
    q(
      'inclusion_group_names',
      `group-negative-weight-${seed}`,
      [entry(0, ['dragon'], 'One.', { group: 'g', groupWeight: -50 }), entry(1, ['dragon'], 'Two.', { group: 'g', groupWeight: 100 })],
      ['dragon'],
      {},
      seed,
    );
  }
  // at_depth_without_depth (a world file: no depth field)
  q('at_depth_without_depth', 'depthless-alone', [entry(0, ['dragon'], 'Depthless.', { position: 4 })], ['dragon']);
  q(
    'at_depth_without_depth',
    'depthless-after-depth4',
    [entry(0, ['dragon'], 'Depthless.', { position: 4, order: 10 }), entry(1, ['dragon'], 'Four.', { position: 4, depth: 4, order: 20 })],
    ['dragon'],
  );
  q(
    'at_depth_without_depth',
    'depthless-before-depth4',
    [entry(0, ['dragon'], 'Depthless.', { position: 4, order: 30 }), entry(1, ['dragon'], 'Four.', { position: 4, depth: 4, order: 20 })],
    ['dragon'],
  );
  q(
    'at_depth_without_depth',
    'depthless-two',
    [entry(0, ['dragon'], 'Depthless A.', { position: 4, order: 30 }), entry(1, ['dragon'], 'Depthless B.', { position: 4, order: 20 })],
    ['dragon'],
  );
  // Common behaviour
  n(
    'secondary-and-any',
    [entry(0, ['dragon'], 'X.', { selective: true, keysecondary: ['fire', 'ice'], selectiveLogic: 0 })],
    ['dragon of ice'],
  );
  n(
    'secondary-not-all',
    [entry(0, ['dragon'], 'X.', { selective: true, keysecondary: ['fire', 'ice'], selectiveLogic: 1 })],
    ['dragon of fire and ice'],
  );
  n(
    'secondary-not-any',
    [entry(0, ['dragon'], 'X.', { selective: true, keysecondary: ['fire', 'ice'], selectiveLogic: 2 })],
    ['dragon of stone'],
  );
  n(
    'secondary-and-all',
    [entry(0, ['dragon'], 'X.', { selective: true, keysecondary: ['fire', 'ice'], selectiveLogic: 3 })],
    ['dragon of fire'],
  );
  n('secondary-not-selective', [entry(0, ['dragon'], 'X.', { selective: false, keysecondary: ['fire'], selectiveLogic: 3 })], ['dragon']);
  n('case-sensitive-global', [entry(0, ['Dragon'], 'X.')], ['a dragon'], { caseSensitive: true });
  n('case-sensitive-entry', [entry(0, ['Dragon'], 'X.', { caseSensitive: true }), entry(1, ['DRAGON'], 'Y.')], ['a Dragon']);
  n('constant-and-disabled', [entry(0, [], 'Always.', { constant: true }), entry(1, ['dragon'], 'Off.', { disable: true })], ['dragon']);
  n('decorators', [entry(0, ['zzz'], '@@activate\nForced.'), entry(1, [], '@@dont_activate\nNever.', { constant: true })], ['hello']);
  n(
    'positions-all',
    [0, 1, 2, 3, 5, 6]
      .map((position, i) => entry(i, ['dragon'], `Position ${position}.`, { position }))
      .concat([
        entry(10, ['dragon'], 'Depth 2 user.', { position: 4, depth: 2, role: 1 }),
        entry(11, ['dragon'], 'Depth 2 system.', { position: 4, depth: 2, role: 0 }),
        entry(12, ['dragon'], 'Depth 0 assistant.', { position: 4, depth: 0, role: 2 }),
      ]),
    ['dragon'],
  );
  n(
    'order-ties',
    [
      entry(0, ['dragon'], 'First.'),
      entry(1, ['dragon'], 'Second.'),
      entry(2, ['dragon'], 'Third.', { order: 5 }),
      entry(3, ['dragon'], 'Fourth.', { order: 500 }),
    ],
    ['dragon'],
  );
  n(
    'recursion-exclude-prevent',
    [
      entry(0, ['castle'], 'The castle has a dragon.'),
      entry(1, ['dragon'], 'Dragons hoard gold.', { preventRecursion: true }),
      entry(2, ['gold'], 'Gold lore.'),
      entry(3, ['dragon'], 'Excluded.', { excludeRecursion: true }),
    ],
    ['the castle'],
  );
  n('max-recursion-steps', [entry(0, ['a1'], 'a2'), entry(1, ['a2'], 'a3'), entry(2, ['a3'], 'a4'), entry(3, ['a4'], 'end')], ['a1'], {
    maxRecursionSteps: 2,
  });
  n('recursion-off', [entry(0, ['a1'], 'a2'), entry(1, ['a2'], 'a3')], ['a1'], { recursive: false });
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    n(
      `probability-${seed}`,
      [
        entry(0, ['dragon'], 'Half.', { useProbability: true, probability: 50 }),
        entry(1, [], 'Third.', { constant: true, useProbability: true, probability: 33 }),
      ],
      ['dragon'],
      {},
      seed,
    );
    n(
      `group-roll-${seed}`,
      [
        entry(0, ['dragon'], 'A.', { group: 'g', groupWeight: 10 }),
        entry(1, ['dragon'], 'B.', { group: 'g', groupWeight: 30 }),
        entry(2, ['dragon'], 'C.', { group: 'g' }),
      ],
      ['dragon'],
      {},
      seed,
    );
  }
  n(
    'group-scoring',
    [
      entry(0, ['dragon'], 'One key.', { group: 'g' }),
      entry(1, ['dragon', 'fire'], 'Two keys.', { group: 'g' }),
      entry(2, ['dragon', 'zzz'], 'Also one.', { group: 'g' }),
    ],
    ['dragon fire'],
    { useGroupScoring: true },
  );
  n('entry-scan-depth', [entry(0, ['dragon'], 'Deep.', { scanDepth: 4 }), entry(1, ['dragon'], 'Shallow.')], ['dragon', 'b', 'c', 'd'], {
    depth: 1,
  });
  n('delay-chat-length', [entry(0, ['dragon'], 'Delayed.', { delay: 3 }), entry(1, ['dragon'], 'Ready.', { delay: 1 })], ['dragon', 'x']);
  cases.push({
    id: 'chat-and-global-books',
    seed: 1,
    settings: DEFAULT_CASE_SETTINGS,
    books: [
      {
        name: 'globalA',
        source: 'global',
        entries: [entry(0, ['dragon'], 'Global A.', { order: 50 }), entry(1, ['dragon'], 'Global A2.', { order: 200 })],
      },
      { name: 'globalB', source: 'global', entries: [entry(0, ['dragon'], 'Global B.', { order: 100 })] },
      { name: 'chatbook', source: 'chat', entries: [entry(0, ['dragon'], 'Chat lore.', { order: 10 })] },
    ],
    messages: [{ name: 'User', content: 'dragon' }],
  });
  return cases;
}

const WORDS = [
  'dragon',
  'castle',
  'gold',
  'knight',
  'forest',
  'river',
  'storm',
  'ice cream',
  'red fox',
  'кот',
  'котлета',
  'дракон',
  'дракона',
  'café',
  'caf',
  'tower',
  'Elf',
  'elves',
  'magic',
  'sword',
];
const FILLER = ['the', 'a', 'was', 'near', 'and', 'with', 'old', 'quiet', 'of', 'under', 'bright'];

/** Random books and chats from one seed: keys and contents share a vocabulary so recursion and groups happen. */
export function fuzzCases(count: number, seed: number): WorldInfoCase[] {
  const rnd = createSeededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const chance = (p: number) => rnd() < p;
  const sentence = (words: number) =>
    Array.from({ length: words }, () => (chance(0.35) ? pick(WORDS) : pick(FILLER))).join(' ') + (chance(0.5) ? '.' : '');
  const cases: WorldInfoCase[] = [];
  for (let c = 0; c < count; c++) {
    const entries: StEntry[] = [];
    const total = 3 + Math.floor(rnd() * 9);
    for (let uid = 0; uid < total; uid++) {
      const e: StEntry = entry(
        uid,
        Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => pick(WORDS)),
        sentence(2 + Math.floor(rnd() * 10)),
        {
          order: pick([100, 100, 50, 200, 10]),
          position: pick([0, 0, 1, 2, 3, 4, 5, 6]),
        },
      );
      if (e.position === 4 && chance(0.8)) e.depth = pick([0, 1, 2, 4]);
      if (e.position === 4) e.role = pick([0, 1, 2]);
      if (chance(0.08)) e.constant = true;
      if (chance(0.05)) e.disable = true;
      if (chance(0.15)) {
        e.selective = true;
        e.keysecondary = [pick(WORDS), pick(FILLER)];
        e.selectiveLogic = pick([0, 1, 2, 3]);
      }
      if (chance(0.15)) {
        e.useProbability = true;
        e.probability = pick([10, 50, 90]);
      }
      if (chance(0.2)) {
        e.group = pick(['g', 'h', 'g,h', 'g, h']);
        if (chance(0.3)) e.groupOverride = true;
        if (chance(0.3)) e.groupWeight = pick([1, 50, 200]);
      }
      if (chance(0.1)) e.preventRecursion = true;
      if (chance(0.1)) e.excludeRecursion = true;
      if (chance(0.08)) e.delayUntilRecursion = pick([true, 1, 2]);
      if (chance(0.08)) e.scanDepth = pick([0, 1, 3]);
      if (chance(0.05)) e.matchWholeWords = false;
      if (chance(0.05)) e.caseSensitive = true;
      entries.push(e);
    }
    const settings: StSettings = {
      ...DEFAULT_CASE_SETTINGS,
      depth: pick([0, 1, 2, 2, 3]),
      contextSize: pick([60, 100, 200, 4096]),
      recursive: chance(0.75),
      matchWholeWords: chance(0.7),
      useGroupScoring: chance(0.15),
    };
    if (chance(0.15)) {
      settings.minActivations = pick([2, 4]);
      settings.minActivationsDepthMax = pick([0, 3]);
    }
    if (chance(0.1)) settings.maxRecursionSteps = pick([1, 2]);
    const messages = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, i) => ({
      name: i % 2 === 0 ? 'User' : 'Aria',
      content: sentence(3 + Math.floor(rnd() * 8)),
    }));
    cases.push({
      id: `fuzz-${seed}-${c}`,
      seed: seed * 1000 + c,
      settings,
      books: [{ name: `fuzz${c}`, source: 'global', entries }],
      messages,
    });
  }
  return cases;
}

/**
 * Budget edges: every entry matches, the context sweeps so the budget lands on, just under and just over the
 * running totals, and the contents mix scripts and punctuation so that counting the entries joined (SillyTavern)
 * and one by one differ.
 */
export function budgetEdgeCases(): WorldInfoCase[] {
  const contents = [
    'Дракон спит.',
    'old stone',
    "café au lait, s'il vous plaît",
    ' leading space',
    'ends with a dot.',
    '日本の城',
    'x',
    "The knight's oath!",
  ];
  const cases: WorldInfoCase[] = [];
  for (let ctx = 24; ctx <= 160; ctx += 4) {
    const shift = ctx % contents.length;
    cases.push(
      one(
        `budget-sweep-${ctx}`,
        contents.map((c, i) => entry(i, ['dragon'], contents[(i + shift) % contents.length]!, { order: 100 - i, position: i % 2 })),
        ['a dragon'],
        { contextSize: ctx, recursive: ctx % 8 === 0 },
        { quirk: 'budget_joined_count' },
      ),
    );
  }
  return cases;
}

/** Every case the fixture holds. */
export function allWorldInfoCases(): WorldInfoCase[] {
  return [...quirkCases(), ...budgetEdgeCases(), ...fuzzCases(50, 11), ...fuzzCases(50, 23), ...fuzzCases(50, 37)];
}
