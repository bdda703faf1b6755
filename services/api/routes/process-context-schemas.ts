import { z } from 'zod';
import { badRequest } from '../../../shared/errors.ts';
import { TOKENIZER_NAMES, resolveTokenizerFamily } from '../../../shared/tokenizer/index.ts';
import {
  GENERATION_TYPES,
  compatibilityModeSchema,
  type ActivatedEntry,
  type CompatibilityChoice,
  type EntryDiagnostic,
  type KeyMatchInfo,
  type ScanSettingsReport,
  type WorldInfoResult,
  type WorldInfoSettings,
} from '../../../shared/worldinfo/index.ts';
import type { GatheredBook } from '../../../queries/world-book-sources.ts';

/**
 * `POST /api/v1/characters/world-books/process-context`: the request (settings under the engine's names in
 * snake_case, plus the original system's `scan_depth`, `token_budget` and `recursive_scanning`) and the response
 * (the engine's result in snake_case, entries named by their stable `entry_id`).
 */
const MAX_TEXT = 1_000_000;

const originalSettings = {
  /** SillyTavern's scan depth: how many of the newest messages are scanned (the original capped matches per book). */
  scan_depth: z.number().int().min(0).max(1000),
  /** The budget in tokens (instead of `context_size` × `budget_percent`). */
  token_budget: z.number().int().min(1).max(10_000_000),
  /** Alias of `recursive`. */
  recursive_scanning: z.boolean(),
};

export const worldInfoSettingsSchema = z
  .object({
    ...originalSettings,
    context_size: z.number().int().min(1).max(10_000_000),
    budget_percent: z.number().min(1).max(100),
    budget_cap: z.number().int().min(0).max(10_000_000),
    recursive: z.boolean(),
    max_recursion_steps: z.number().int().min(0).max(1000),
    min_activations: z.number().int().min(0).max(100_000),
    min_activations_depth_max: z.number().int().min(0).max(100_000),
    case_sensitive: z.boolean(),
    match_whole_words: z.boolean(),
    use_group_scoring: z.boolean(),
    include_names: z.boolean(),
    insertion_strategy: z.enum(['character-first', 'global-first', 'evenly']),
    overflow_alert: z.boolean(),
    /** `sillytavern` (SillyTavern exactly, quirks included) or `corrected` (DEVIATIONS.md). */
    compatibility: compatibilityModeSchema,
  })
  .partial()
  .strict();
export type WorldInfoSettingsInput = z.infer<typeof worldInfoSettingsSchema>;

const messageSchema = z
  .object({
    role: z.enum(['user', 'assistant', 'system']).default('user'),
    /** Scanned as `name: content` (with `include_names`); defaults to the user's, the character's or "System". */
    name: z.string().max(200).optional(),
    content: z.string().max(MAX_TEXT),
  })
  .strict();

export const processContextBody = z
  .object({
    /** Scanned as the newest user message (after `messages` and the chat's messages). */
    text: z.string().max(MAX_TEXT).optional(),
    messages: z.array(messageSchema).max(10_000).optional(),
    character_id: z.uuid().optional(),
    chat_id: z.uuid().optional(),
    /** The greeting the conversation opens with, for `@@is_greeting` (0 = first_mes, 1 = the first alternate greeting, …); default the chat's. */
    greeting_index: z.number().int().min(0).max(10_000).optional(),
    world_book_ids: z.array(z.uuid()).max(100).optional(),
    /** Include the user's global books (default true). */
    include_global: z.boolean().default(true),
    settings: worldInfoSettingsSchema.optional(),
    ...z.object(originalSettings).partial().shape,
    /** The engine's mode for this call (the same as `settings.compatibility`); default the chat's, the user's, `sillytavern`. */
    compatibility: compatibilityModeSchema.optional(),
    character_name: z.string().max(200).optional(),
    user_name: z.string().max(200).optional(),
    character_tags: z.array(z.string().max(100)).max(100).optional(),
    /** A family or alias; without one, `llama`: what SillyTavern counts with when no API is connected. */
    tokenizer: z.enum(TOKENIZER_NAMES).default('llama').transform(resolveTokenizerFamily),
    /** Seed of the random source for probability and group rolls (the same seed gives the same result). */
    seed: z.number().int().optional(),
    generation_type: z.enum(GENERATION_TYPES).optional(),
    /** Timed effects in force: entry key (`<world_book_id>.<uid>`) → the chat length at which the effect ends. */
    timed_state: z
      .object({ sticky: z.record(z.string(), z.number().int()), cooldown: z.record(z.string(), z.number().int()) })
      .partial()
      .strict()
      .optional(),
    /** "Now" for timed effects, `delay` and decorators: the number of messages in the chat (default: the messages given). */
    chat_length: z.number().int().min(0).max(10_000_000).optional(),
    /** `all`: one diagnostic per entry; `relevant`: without entries none of whose keys occurred (`no_match`); `none`. */
    diagnostics: z.enum(['all', 'relevant', 'none']).default('all'),
    /** Append the activations as `WorldInfoActivationsRecorded` (they count in the books' statistics). */
    record: z.boolean().default(false),
  })
  .strict()
  .refine((b) => b.text !== undefined || (b.messages?.length ?? 0) > 0 || b.chat_id !== undefined, {
    message: 'give text, messages or chat_id',
  });
export type ProcessContextBody = z.infer<typeof processContextBody>;

const SETTING_NAMES: Record<string, keyof WorldInfoSettings> = {
  scan_depth: 'scanDepth',
  context_size: 'contextSize',
  budget_percent: 'budgetPercent',
  budget_cap: 'budgetCap',
  recursive: 'recursive',
  recursive_scanning: 'recursive',
  max_recursion_steps: 'maxRecursionSteps',
  min_activations: 'minActivations',
  min_activations_depth_max: 'minActivationsDepthMax',
  case_sensitive: 'caseSensitive',
  match_whole_words: 'matchWholeWords',
  use_group_scoring: 'useGroupScoring',
  include_names: 'includeNames',
  insertion_strategy: 'insertionStrategy',
  overflow_alert: 'overflowAlert',
  compatibility: 'compatibility',
};

/**
 * The engine's settings from `settings` and the original's top-level names. A value given twice with different
 * values, or `token_budget` together with `context_size`/`budget_percent`/`budget_cap`, is a 400.
 */
export function toEngineSettings(
  body: Pick<ProcessContextBody, 'settings' | 'scan_depth' | 'token_budget' | 'recursive_scanning' | 'compatibility'>,
): Partial<WorldInfoSettings> {
  const given: Record<string, unknown> = { ...body.settings };
  for (const key of ['scan_depth', 'token_budget', 'recursive_scanning', 'compatibility'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (given[key] !== undefined && given[key] !== value)
      throw badRequest('conflicting_settings', `${key} is given twice with different values`);
    given[key] = value;
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined || name === 'token_budget') continue;
    const field = SETTING_NAMES[name]!;
    if (out[field] !== undefined && out[field] !== value)
      throw badRequest('conflicting_settings', `recursive and recursive_scanning disagree`);
    out[field] = value;
  }
  if (given.token_budget !== undefined) {
    const clash = ['context_size', 'budget_percent', 'budget_cap'].filter((k) => given[k] !== undefined);
    if (clash.length > 0)
      throw badRequest('conflicting_settings', `token_budget sets the budget itself; do not combine it with ${clash.join(', ')}`);
    Object.assign(out, { contextSize: given.token_budget, budgetPercent: 100, budgetCap: 0 });
  }
  return out as Partial<WorldInfoSettings>;
}

function matchToApi(m: KeyMatchInfo | undefined) {
  if (!m) return undefined;
  return {
    key: m.key,
    list: m.list,
    source: m.source,
    message_index: m.messageIndex,
    depth: m.depth,
    recursion_pass: m.recursionPass,
    matched_text: m.matchedText,
    offset: m.offset,
  };
}

type EntryIdOf = (bookId: string, entryIndex: number) => string | null;

function diagnosticToApi(d: EntryDiagnostic, entryIdOf: EntryIdOf) {
  return {
    entry_key: d.entryKey,
    world_book_id: d.bookId,
    entry_id: entryIdOf(d.bookId, d.entryIndex),
    uid: d.uid ?? null,
    entry_index: d.entryIndex,
    comment: d.comment,
    status: d.status,
    reason: d.reason,
    detail: d.detail,
    pass: d.pass,
    scan_state: d.scanState,
    recursion_level: d.recursionLevel,
    match: matchToApi(d.match),
    secondary: d.secondary,
    group: d.group,
    probability: d.probability,
    tokens: d.tokens,
    decorators: d.decorators,
    invalid_regex_keys: d.invalidRegexKeys,
    quirk: d.quirk,
    other_mode: d.other_mode,
    other_outcome: d.other_outcome,
    other_reason: d.other_reason,
    other_placement: d.other_placement,
  };
}

function activatedToApi(a: ActivatedEntry, entryIdOf: EntryIdOf) {
  return {
    entry_key: a.entryKey,
    world_book_id: a.bookId,
    world_book_name: a.bookName,
    entry_id: entryIdOf(a.bookId, a.entryIndex),
    uid: a.uid ?? null,
    entry_index: a.entryIndex,
    comment: a.entry.comment,
    content: a.content,
    position: a.position,
    depth: a.depth,
    role: a.role,
    order: a.order,
    outlet_name: a.outletName,
    injection: a.injection,
    tokens: a.tokens,
    reason: a.reason,
    pass: a.pass,
  };
}

/** The engine's result in snake_case, with entry ids, the books used and the original system's summary fields. */
export function processContextResponse(
  result: WorldInfoResult,
  books: readonly GatheredBook[],
  extra: {
    recorded: boolean;
    chatLength: number;
    diagnostics: 'all' | 'relevant' | 'none';
    compatibility: CompatibilityChoice;
    scanSettings: ScanSettingsReport;
    greetingIndex: number | null;
  },
) {
  const byId = new Map(books.map((b) => [b.id, b]));
  const entryIdOf: EntryIdOf = (bookId, index) => byId.get(bookId)?.entryIds[index] ?? null;
  const i = result.injections;
  return {
    injections: {
      before: i.before,
      after: i.after,
      an_top: i.anTop,
      an_bottom: i.anBottom,
      at_depth: i.atDepth.map((d) => ({ depth: d.depth, role: d.role, content: d.content })),
      examples_before: i.examplesBefore,
      examples_after: i.examplesAfter,
      outlets: i.outlets,
      end: i.end ?? [],
      prompt_parts: i.promptParts ?? [],
    },
    activated: result.activated.map((a) => activatedToApi(a, entryIdOf)),
    diagnostics:
      extra.diagnostics === 'none'
        ? []
        : result.diagnostics
            .filter((d) => extra.diagnostics === 'all' || d.reason !== 'no_match')
            .map((d) => diagnosticToApi(d, entryIdOf)),
    books: books.map((b) => ({ id: b.id, name: b.name, source: b.source, version: b.version, entry_count: b.entries.length })),
    tokens_used: result.tokensUsed,
    token_budget: result.budget,
    budget_overflowed: result.budgetOverflowed,
    passes: result.passes,
    warnings: result.warnings,
    /** The mode the scan ran in, and where it came from: request, chat, user_default or default. */
    compatibility: extra.compatibility,
    /** The scan depth, token budget and recursion used, each with its source (request, book with its ids, default). */
    scan_settings: extra.scanSettings,
    /** The greeting `@@is_greeting` entries were compared with (0 = first_mes); null: unknown (they never fire). */
    greeting_index: extra.greetingIndex,
    chat_length: extra.chatLength,
    recorded: extra.recorded,
    entries_matched: result.activated.length,
    books_used: new Set(result.activated.map((a) => a.bookId)).size,
    entry_ids: result.activated.map((a) => entryIdOf(a.bookId, a.entryIndex)),
  };
}
