import { countTokens, type TokenizerFamily } from '../tokenizer/index.ts';
import {
  isRegexKey,
  parseDecorators,
  POSITION_NAMES,
  resolveEntryDefaults,
  type WorldInfoEntry,
  type WorldInfoPositionName,
} from '../worldinfo/index.ts';

export interface PositionTotals {
  entries: number;
  enabled_entries: number;
  /** Tokens of the entries' content as inserted (decorator lines removed, macros as written). */
  tokens: number;
  enabled_tokens: number;
}

export interface EntryActivations {
  count: number;
  lastActivatedAt: Date;
}

export interface BookStatistics {
  total_entries: number;
  enabled_entries: number;
  disabled_entries: number;
  constant_entries: number;
  selective_entries: number;
  regex_entries: number;
  total_keys: number;
  tokenizer: TokenizerFamily;
  total_tokens: number;
  enabled_tokens: number;
  tokens_by_position: Partial<Record<WorldInfoPositionName | 'unknown', PositionTotals>>;
  total_activations: number;
  entries: Array<{
    entry_id: string;
    uid: number | string | null;
    comment: string | null;
    position: string;
    tokens: number;
    enabled: boolean;
    activation_count: number;
    last_activated_at: string | null;
  }>;
}

/** Counts, token totals per position (with a real tokenizer) and activation counts of one book's entries. */
export function computeBookStatistics(
  entries: ReadonlyArray<{ entryId: string; entry: WorldInfoEntry }>,
  activations: ReadonlyMap<string, EntryActivations>,
  tokenizer: TokenizerFamily,
): BookStatistics {
  const stats: BookStatistics = {
    total_entries: entries.length,
    enabled_entries: 0,
    disabled_entries: 0,
    constant_entries: 0,
    selective_entries: 0,
    regex_entries: 0,
    total_keys: 0,
    tokenizer,
    total_tokens: 0,
    enabled_tokens: 0,
    tokens_by_position: {},
    total_activations: 0,
    entries: [],
  };
  for (const { entryId, entry } of entries) {
    const resolved = resolveEntryDefaults(entry);
    const { decorators, content } = parseDecorators(entry.content);
    const position = decorators.position ?? POSITION_NAMES[resolved.position as keyof typeof POSITION_NAMES] ?? 'unknown';
    const tokens = countTokens(content, tokenizer);
    const totals = (stats.tokens_by_position[position] ??= { entries: 0, enabled_entries: 0, tokens: 0, enabled_tokens: 0 });
    totals.entries++;
    totals.tokens += tokens;
    stats.total_tokens += tokens;
    if (resolved.enabled) {
      stats.enabled_entries++;
      totals.enabled_entries++;
      totals.enabled_tokens += tokens;
      stats.enabled_tokens += tokens;
    } else stats.disabled_entries++;
    if (resolved.constant) stats.constant_entries++;
    if (resolved.selective && resolved.secondaryKeys.length > 0) stats.selective_entries++;
    if (resolved.useRegex || [...resolved.keys, ...resolved.secondaryKeys].some((k) => isRegexKey(k))) stats.regex_entries++;
    stats.total_keys += resolved.keys.length + resolved.secondaryKeys.length;
    const activation = activations.get(entryId);
    stats.total_activations += activation?.count ?? 0;
    stats.entries.push({
      entry_id: entryId,
      uid: entry.uid ?? null,
      comment: entry.comment ?? entry.name ?? null,
      position,
      tokens,
      enabled: resolved.enabled,
      activation_count: activation?.count ?? 0,
      last_activated_at: activation ? activation.lastActivatedAt.toISOString() : null,
    });
  }
  return stats;
}
