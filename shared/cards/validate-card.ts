/** Content limits and the schema check every imported card passes before it is returned. */
import { CanonicalCardSchema, type CanonicalCard } from './card-schema.ts';
import { CardFailure, cardError, fail, type CardError } from './card-errors.ts';
import { DEFAULT_CARD_LIMITS, type CardFieldLengthLimits, type CardLimits } from './limits.ts';

/** Length in Unicode code points; only counted exactly when the UTF-16 length is over the limit. */
function exceeds(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let count = 0;
  for (const _ of text) {
    if (++count > max) return true;
  }
  return false;
}

function checkLength(text: string, max: number, path: string): void {
  if (exceeds(text, max)) fail('field_too_long', `${path} is longer than ${max} characters`);
}

function checkList(list: readonly string[], maxItems: number, maxLength: number, path: string): void {
  if (list.length > maxItems) fail('too_many_items', `${path} has ${list.length} items; at most ${maxItems} are allowed`);
  for (let i = 0; i < list.length; i++) checkLength(list[i]!, maxLength, `${path}[${i}]`);
}

/** Throws a CardFailure (422) when the card breaks a content limit or the canonical schema. */
export function assertCardWithinLimits(card: CanonicalCard, limits: CardLimits): void {
  const data = card.data;
  const lengths = limits.fieldLengths;
  for (const key of Object.keys(lengths) as Array<keyof CardFieldLengthLimits>) {
    const value = data[key];
    if (typeof value === 'string') checkLength(value, lengths[key], `data.${key}`);
  }
  checkList(data.alternate_greetings, limits.maxGreetings, limits.maxGreetingLength, 'data.alternate_greetings');
  checkList(data.group_only_greetings, limits.maxGreetings, limits.maxGreetingLength, 'data.group_only_greetings');
  checkList(data.tags, limits.maxTags, limits.maxTagLength, 'data.tags');
  const book = data.character_book;
  if (book) {
    if (book.entries.length > limits.maxBookEntries) {
      fail('too_many_items', `data.character_book has ${book.entries.length} entries; at most ${limits.maxBookEntries} are allowed`);
    }
    book.entries.forEach((entry, i) =>
      checkLength(entry.content, limits.maxBookEntryContentLength, `data.character_book.entries[${i}].content`),
    );
  }
  if (data.assets && data.assets.length > limits.maxAssets) {
    fail('too_many_items', `data.assets has ${data.assets.length} entries; at most ${limits.maxAssets} are allowed`);
  }
  const detail = schemaProblem(card);
  if (detail) fail('invalid_card', detail);
}

function schemaProblem(card: unknown): string | null {
  const parsed = CanonicalCardSchema.safeParse(card);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  const where = issue ? issue.path.map(String).join('.') : '';
  return `card does not match the canonical schema${where ? ` at ${where}` : ''}: ${issue?.message ?? 'invalid'}`;
}

export type CardValidation = { ok: true; card: CanonicalCard } | { ok: false; error: CardError };

/**
 * Non-throwing check for a canonical card that did not come from `parseCard` (e.g. a client-edited card, or one built
 * with `cardFromBasicFields`).
 */
export function validateCanonicalCard(card: unknown, limits: CardLimits = DEFAULT_CARD_LIMITS): CardValidation {
  try {
    const detail = schemaProblem(card);
    if (detail) return { ok: false, error: cardError('invalid_card', detail) };
    const typed = card as CanonicalCard;
    assertCardWithinLimits(typed, limits);
    return { ok: true, card: typed };
  } catch (error) {
    if (error instanceof CardFailure) return { ok: false, error: error.error };
    throw error;
  }
}
