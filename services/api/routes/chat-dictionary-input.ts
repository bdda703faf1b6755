import type { z } from 'zod';
import { cleanTags, DEFAULT_ENTRY, MAX_DICTIONARY_TAGS, type DictionaryEntry } from '../../../shared/dictionaries/dictionary-model.ts';
import { badRequest } from '../../../shared/errors.ts';
import type { createEntryBody } from './chat-dictionary-schemas.ts';

/** Two ways to give the expected version (the original's body `version`, or `expected_version`): they must agree. */
export function expectedVersion(body: number | undefined, query: number | undefined): number | undefined {
  if (body !== undefined && query !== undefined && body !== query)
    throw badRequest('conflicting_version', 'version (body) and expected_version (query) differ');
  return body ?? query;
}

export function tagsOf(raw: readonly string[]): string[] {
  const tags = cleanTags(raw);
  if (tags.length > MAX_DICTIONARY_TAGS) throw badRequest('too_many_tags', `at most ${MAX_DICTIONARY_TAGS} tags`);
  return tags;
}

export function entryFromBody(body: z.infer<typeof createEntryBody>): DictionaryEntry & { priority?: number } {
  const { timed_effects, ...rest } = body;
  const fields = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const { priority: _p, ...defaults } = DEFAULT_ENTRY;
  return { ...defaults, ...fields, timed_effects: { ...DEFAULT_ENTRY.timed_effects, ...timed_effects } } as DictionaryEntry & {
    priority?: number;
  };
}
