/**
 * The world-book (lorebook) model: the union of SillyTavern world info entries and Character Card V2/V3
 * `character_book` entries, plus the settings the import formats (NovelAI, Agnai, RisuAI, the original system)
 * can express.
 *
 * Design rules
 * - Field names follow SillyTavern's world-info entry (the richest format); a few V2/V3-only fields are added
 *   (`name`, `priority`, `useRegex`).
 * - Every field except `keys` and `content` is optional, and *absent means "not in the source"*. Exporters write
 *   a field only when it is present, so an import followed by an export gives back the same document. The engine
 *   applies SillyTavern's defaults to absent fields (`resolveEntryDefaults`).
 * - `null` is kept where the sources use it (`scanDepth: null` = "use the global setting").
 * - `extensions` is kept verbatim (minus the SillyTavern keys a card stores there, which are lifted into fields).
 * - `extra` holds source fields the model does not represent, or values of the wrong type, verbatim under their
 *   source names; exporters write them back (a known field of the target format wins over an `extra` key).
 *
 * Everything is plain JSON, safe to store in events.
 */
import { z } from 'zod';

/** SillyTavern's `position` numbers. */
export const WI_POSITION = {
  before: 0,
  after: 1,
  anTop: 2,
  anBottom: 3,
  atDepth: 4,
  examplesBefore: 5,
  examplesAfter: 6,
  outlet: 7,
} as const;
export type WorldInfoPositionCode = (typeof WI_POSITION)[keyof typeof WI_POSITION];

/** Names of the positions, as the engine reports them. */
export type WorldInfoPositionName =
  'before' | 'after' | 'an_top' | 'an_bottom' | 'at_depth' | 'examples_before' | 'examples_after' | 'outlet';

export const POSITION_NAMES: Record<WorldInfoPositionCode, WorldInfoPositionName> = {
  0: 'before',
  1: 'after',
  2: 'an_top',
  3: 'an_bottom',
  4: 'at_depth',
  5: 'examples_before',
  6: 'examples_after',
  7: 'outlet',
};

export function positionName(code: number): WorldInfoPositionName | undefined {
  return POSITION_NAMES[code as WorldInfoPositionCode];
}

/** SillyTavern's `selectiveLogic` numbers (secondary keys). */
export const SELECTIVE_LOGIC = { AND_ANY: 0, NOT_ALL: 1, NOT_ANY: 2, AND_ALL: 3 } as const;
export type SelectiveLogicCode = (typeof SELECTIVE_LOGIC)[keyof typeof SELECTIVE_LOGIC];
export type SelectiveLogicName = keyof typeof SELECTIVE_LOGIC;
export const SELECTIVE_LOGIC_NAMES: Record<SelectiveLogicCode, SelectiveLogicName> = {
  0: 'AND_ANY',
  1: 'NOT_ALL',
  2: 'NOT_ANY',
  3: 'AND_ALL',
};

/** SillyTavern's `role` numbers for at-depth entries. */
export const WI_ROLE = { system: 0, user: 1, assistant: 2 } as const;
export type WorldInfoRoleName = keyof typeof WI_ROLE;
export const ROLE_NAMES: Record<number, WorldInfoRoleName> = { 0: 'system', 1: 'user', 2: 'assistant' };

/** Generation types for the `triggers` filter (SillyTavern 2025). */
export const GENERATION_TYPES = ['normal', 'continue', 'impersonate', 'swipe', 'regenerate', 'quiet'] as const;
export type GenerationType = (typeof GENERATION_TYPES)[number];

export const DEFAULT_DEPTH = 4;
export const DEFAULT_WEIGHT = 100;
export const DEFAULT_ORDER = 100;
export const MAX_SCAN_DEPTH = 1000;

const jsonRecord = z.record(z.string(), z.unknown());
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const nonNegInt = z.number().int().min(0);

export const characterFilterSchema = z.looseObject({
  isExclude: z.boolean().optional(),
  names: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
});
export type CharacterFilter = z.infer<typeof characterFilterSchema>;

/** Flags that add chat-independent texts to the scan buffer of one entry (SillyTavern 2025 "match sources"). */
export const MATCH_SOURCE_FIELDS = [
  'matchPersonaDescription',
  'matchCharacterDescription',
  'matchCharacterPersonality',
  'matchCharacterDepthPrompt',
  'matchScenario',
  'matchCreatorNotes',
] as const;
export type MatchSourceField = (typeof MATCH_SOURCE_FIELDS)[number];

export const worldInfoEntrySchema = z.object({
  /** SillyTavern `uid` / card `id`. Absent for card entries without an id (the engine then uses the array index). */
  uid: z.union([z.number(), z.string()]).optional(),
  /** Primary keys: plain text, or `/pattern/flags` regexes. */
  keys: z.array(z.string()),
  /** Secondary keys ("optional filter"), used when `selective` is true. */
  secondaryKeys: z.array(z.string()).optional(),
  content: z.string(),
  /** Title / memo (not in the prompt). */
  comment: z.string().optional(),
  /** V2/V3 `name` (not in the prompt). */
  name: z.string().optional(),
  /** Absent = enabled. SillyTavern stores the inverse (`disable`). */
  enabled: z.boolean().optional(),
  constant: z.boolean().optional(),
  selective: z.boolean().optional(),
  /** 0 AND_ANY, 1 NOT_ALL, 2 NOT_ANY, 3 AND_ALL. */
  selectiveLogic: z.number().int().min(0).max(3).optional(),
  /** Insertion order (`insertion_order`): higher = later in the prompt and earlier for the budget. Default 100. */
  order: finite.optional(),
  /** V2/V3 `priority` (kept; SillyTavern does not use it and neither does the engine, see DEVIATIONS.md). */
  priority: finite.nullable().optional(),
  /** SillyTavern position number (`WI_POSITION`). */
  position: nonNegInt.optional(),
  /** Depth for position 4 (default 4). */
  depth: z.number().int().nullable().optional(),
  /** Role for position 4: 0 system, 1 user, 2 assistant (null = system). */
  role: z.number().int().min(0).max(2).nullable().optional(),
  /** Outlet name for position 7. */
  outletName: z.string().optional(),
  /** Trigger percentage 0..100 (default 100). */
  probability: finite.nullable().optional(),
  useProbability: z.boolean().optional(),
  /** Inclusion group(s), comma separated. */
  group: z.string().optional(),
  /** "Prioritize inclusion": the highest-order member with this flag wins its group. */
  groupOverride: z.boolean().optional(),
  groupWeight: finite.nullable().optional(),
  useGroupScoring: z.boolean().nullable().optional(),
  /** Per-entry scan depth (null = global). */
  scanDepth: z.number().int().nullable().optional(),
  caseSensitive: z.boolean().nullable().optional(),
  matchWholeWords: z.boolean().nullable().optional(),
  /** V3 `use_regex`: bare keys (not written as `/.../`) are regex patterns. */
  useRegex: z.boolean().optional(),
  /** "Non-recursable": cannot be activated by other entries' content. */
  excludeRecursion: z.boolean().optional(),
  /** Its content does not trigger other entries. */
  preventRecursion: z.boolean().optional(),
  /** true / level ≥ 1: only activatable in recursion passes of that level or later. */
  delayUntilRecursion: z.union([z.boolean(), z.number()]).nullable().optional(),
  sticky: z.number().int().nullable().optional(),
  cooldown: z.number().int().nullable().optional(),
  delay: z.number().int().nullable().optional(),
  /** Not counted against (nor cut by) the token budget. */
  ignoreBudget: z.boolean().optional(),
  characterFilter: characterFilterSchema.optional(),
  /** Generation types this entry may activate on (empty/absent = all). */
  triggers: z.array(z.string()).optional(),
  matchPersonaDescription: z.boolean().optional(),
  matchCharacterDescription: z.boolean().optional(),
  matchCharacterPersonality: z.boolean().optional(),
  matchCharacterDepthPrompt: z.boolean().optional(),
  matchScenario: z.boolean().optional(),
  matchCreatorNotes: z.boolean().optional(),
  /** Vector Storage extension hook (kept, not used by the engine). */
  vectorized: z.boolean().optional(),
  /** Quick Reply automation id (kept, not used by the engine). */
  automationId: z.string().optional(),
  /** UI: show the memo (kept). */
  addMemo: z.boolean().optional(),
  /** UI order (kept). */
  displayIndex: z.number().nullable().optional(),
  /** Kept verbatim. */
  extensions: jsonRecord.optional(),
  /** Unknown (or wrongly typed) source fields, verbatim under their source names. */
  extra: jsonRecord.optional(),
});

export type WorldInfoEntry = z.infer<typeof worldInfoEntrySchema>;

export const BOOK_DEFAULTED_FIELDS = ['name', 'description', 'extensions'] as const;
export type BookDefaultedField = (typeof BOOK_DEFAULTED_FIELDS)[number];

export const worldBookSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** V2/V3 book fields (kept; SillyTavern and the engine do not use them, the caller may map them to settings). */
  scan_depth: z.number().nullable().optional(),
  token_budget: z.number().nullable().optional(),
  recursive_scanning: z.boolean().nullable().optional(),
  extensions: jsonRecord,
  entries: z.array(worldInfoEntrySchema),
  /** Unknown book-level source fields (e.g. SillyTavern's `originalData`), verbatim. */
  extra: jsonRecord.optional(),
  /**
   * Required model fields the source did not have and that were filled with a default ('' / {} / a given name).
   * Exporters leave them out while they still hold that default, so the round trip is exact.
   */
  absentFields: z.array(z.enum(BOOK_DEFAULTED_FIELDS)).optional(),
});

export type WorldBook = z.infer<typeof worldBookSchema>;

/** An entry with SillyTavern's defaults applied to every absent field (what the engine works with). */
export interface ResolvedEntry {
  keys: string[];
  secondaryKeys: string[];
  content: string;
  enabled: boolean;
  constant: boolean;
  selective: boolean;
  selectiveLogic: SelectiveLogicCode;
  order: number;
  position: number;
  depth: number;
  role: number;
  outletName: string;
  probability: number;
  useProbability: boolean;
  groups: string[];
  groupOverride: boolean;
  groupWeight: number;
  useGroupScoring: boolean | null;
  scanDepth: number | null;
  caseSensitive: boolean | null;
  matchWholeWords: boolean | null;
  useRegex: boolean;
  excludeRecursion: boolean;
  preventRecursion: boolean;
  /** 0 = not delayed. `true` counts as level 1. */
  delayUntilRecursion: number;
  sticky: number;
  cooldown: number;
  delay: number;
  ignoreBudget: boolean;
  characterFilter: { isExclude: boolean; names: string[]; tags: string[] } | null;
  triggers: string[];
  matchSources: Record<MatchSourceField, boolean>;
}

/** Splits SillyTavern's comma-separated `group` field (`/,\s*\/`), trimming names and dropping empties. */
export function splitGroups(group: string | undefined): string[] {
  if (!group) return [];
  const out: string[] = [];
  for (const part of group.split(/,\s*/)) {
    const name = part.trim();
    if (name !== '' && !out.includes(name)) out.push(name);
  }
  return out;
}

function num(value: number | null | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function resolveEntryDefaults(entry: WorldInfoEntry): ResolvedEntry {
  const dur = entry.delayUntilRecursion;
  const filter = entry.characterFilter;
  return {
    keys: entry.keys,
    secondaryKeys: entry.secondaryKeys ?? [],
    content: entry.content,
    enabled: entry.enabled !== false,
    constant: entry.constant === true,
    selective: entry.selective === true,
    selectiveLogic: (entry.selectiveLogic ?? 0) as SelectiveLogicCode,
    order: num(entry.order, DEFAULT_ORDER),
    position: entry.position ?? WI_POSITION.before,
    depth: Math.max(0, num(entry.depth, DEFAULT_DEPTH)),
    role: entry.role ?? WI_ROLE.system,
    outletName: entry.outletName ?? '',
    probability: num(entry.probability, 100),
    useProbability: entry.useProbability !== false,
    groups: splitGroups(entry.group),
    groupOverride: entry.groupOverride === true,
    groupWeight: num(entry.groupWeight, DEFAULT_WEIGHT),
    useGroupScoring: entry.useGroupScoring ?? null,
    scanDepth: entry.scanDepth ?? null,
    caseSensitive: entry.caseSensitive ?? null,
    matchWholeWords: entry.matchWholeWords ?? null,
    useRegex: entry.useRegex === true,
    excludeRecursion: entry.excludeRecursion === true,
    preventRecursion: entry.preventRecursion === true,
    delayUntilRecursion: dur === true ? 1 : typeof dur === 'number' && dur > 0 ? Math.floor(dur) : 0,
    sticky: Math.max(0, num(entry.sticky, 0)),
    cooldown: Math.max(0, num(entry.cooldown, 0)),
    delay: Math.max(0, num(entry.delay, 0)),
    ignoreBudget: entry.ignoreBudget === true,
    characterFilter: filter ? { isExclude: filter.isExclude === true, names: filter.names ?? [], tags: filter.tags ?? [] } : null,
    triggers: entry.triggers ?? [],
    matchSources: {
      matchPersonaDescription: entry.matchPersonaDescription === true,
      matchCharacterDescription: entry.matchCharacterDescription === true,
      matchCharacterPersonality: entry.matchCharacterPersonality === true,
      matchCharacterDepthPrompt: entry.matchCharacterDepthPrompt === true,
      matchScenario: entry.matchScenario === true,
      matchCreatorNotes: entry.matchCreatorNotes === true,
    },
  };
}

/**
 * A new entry with SillyTavern's editor defaults (`newWorldInfoEntryTemplate`, 1.12.6) for every field, for an API
 * that creates entries. `fields` override the defaults.
 */
export function createEntry(fields: Partial<WorldInfoEntry> & Pick<WorldInfoEntry, 'keys' | 'content'>): WorldInfoEntry {
  return worldInfoEntrySchema.parse({
    secondaryKeys: [],
    comment: '',
    constant: false,
    vectorized: false,
    selective: true,
    selectiveLogic: SELECTIVE_LOGIC.AND_ANY,
    addMemo: false,
    order: DEFAULT_ORDER,
    position: WI_POSITION.before,
    enabled: true,
    excludeRecursion: false,
    preventRecursion: false,
    delayUntilRecursion: 0,
    probability: 100,
    useProbability: true,
    depth: DEFAULT_DEPTH,
    group: '',
    groupOverride: false,
    groupWeight: DEFAULT_WEIGHT,
    scanDepth: null,
    caseSensitive: null,
    matchWholeWords: null,
    useGroupScoring: null,
    automationId: '',
    role: WI_ROLE.system,
    sticky: null,
    cooldown: null,
    delay: null,
    ...fields,
  });
}

/** A new, empty book. */
export function createWorldBook(name: string, fields: Partial<Omit<WorldBook, 'name'>> = {}): WorldBook {
  return worldBookSchema.parse({ name, description: '', extensions: {}, entries: [], ...fields });
}

/**
 * Applies a change to book-level fields and forgets that the changed fields were defaulted at import, so that
 * exporters write them. Use this (rather than a spread) when renaming an imported book.
 */
export function updateWorldBook(book: WorldBook, changes: Partial<Omit<WorldBook, 'entries'>>): WorldBook {
  const changed = Object.keys(changes);
  const absent = (book.absentFields ?? []).filter((f) => !changed.includes(f));
  const next: WorldBook = { ...book, ...changes };
  if (absent.length > 0) next.absentFields = absent;
  else delete next.absentFields;
  return next;
}
