import { v5 as uuidv5 } from 'uuid';
import type { CanonicalCard } from '../../shared/cards/index.ts';
import type { WorldBookMeta } from '../../shared/events/world-book-events.ts';
import { importCardBook, isCard, type ImportWarning, type WorldInfoEntry } from '../../shared/worldinfo/index.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { splitForAppend } from '../../infra/eventstore/append-size.ts';
import { decideNewStream, handleCommand } from '../command-handler.ts';
import { attachWorldBook } from './character-world-book-workflows.ts';
import { characterBooksStream, characterWorldBooksDecider } from './character-world-books-decider.ts';
import { worldBookDecider, worldBookStream } from './world-book-decider.ts';
import { createWorldBook, loadWorldBook, type WorldBookCommandDeps } from './world-book-workflows.ts';

/** Namespace of the ids derived from a character id (UUIDv5): the card's book and its entries. */
const CARD_BOOK_NAMESPACE = '6f1d3c2e-8a4b-5c7d-9e0f-a1b2c3d4e5f6';

/** A character's embedded book always has the same id, so re-importing the card finds it again. */
export const cardWorldBookId = (characterId: string) => uuidv5(`card-book:${characterId}`, CARD_BOOK_NAMESPACE);

/**
 * Entry ids derived from the book id and the entry's uid (its index when it has none), so an entry keeps its id
 * (and its activation statistics) across re-imports of the same card.
 */
export function cardEntryIds(worldBookId: string, entries: readonly WorldInfoEntry[]): string[] {
  const seen = new Map<string, number>();
  return entries.map((entry, index) => {
    const base = entry.uid !== undefined ? `uid:${typeof entry.uid}:${String(entry.uid)}` : `index:${index}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return uuidv5(n === 0 ? base : `${base}#${n}`, worldBookId);
  });
}

export interface CardWorldBookOutcome {
  worldBookId: string;
  /** True when this import created the book (and attached it); false when it updated the existing one. */
  created: boolean;
  entryCount: number;
  warnings: ImportWarning[];
  /** Position of the last event appended (null when the book was already up to date). */
  position: string | null;
}

/**
 * Cards bring their books: the card's `character_book` becomes a world book attached to the character (created on
 * the first import; a re-import of the card replaces that book's content). Null when the card has no book.
 * `newCharacter`: the character was created by this import, so its book's stream and its attachments' stream
 * (both named after its new id) cannot exist yet: they are decided without a read and appended together.
 */
export async function syncCardWorldBook(
  deps: WorldBookCommandDeps,
  context: Actor,
  input: { characterId: string; card: CanonicalCard; newCharacter?: boolean },
): Promise<CardWorldBookOutcome | null> {
  if (!isCard(input.card)) return null;
  const imported = importCardBook(input.card);
  const { entries: _entries, ...book } = imported.book;
  const meta: WorldBookMeta = book;
  const worldBookId = cardWorldBookId(input.characterId);
  const entryIds = cardEntryIds(worldBookId, imported.entries);
  const source = { kind: 'card' as const, format: imported.format, characterId: input.characterId };
  const warnings = imported.warnings.map((w) => ({ ...w }));
  const outcome = { worldBookId, entryCount: imported.entries.length, warnings: imported.warnings };
  if (input.newCharacter && deps.eventStore.appendMultiple) {
    const create = {
      type: 'CreateWorldBook' as const,
      worldBookId,
      book: meta,
      entries: imported.entries.map((entry, i) => ({ entryId: entryIds[i]!, entry })),
      enabled: true,
      isGlobal: false,
      source,
      warnings,
    };
    const cache = deps.cache ? { cache: deps.cache } : {};
    const bookAppend = decideNewStream(worldBookStream(worldBookId), worldBookDecider, create, context, cache);
    // A book too large for one append goes the general way (consecutive appends of its stream, then the attachment).
    if (splitForAppend(bookAppend.append.events, deps.eventStore.maxAppendBytes).length === 1) {
      const attach = decideNewStream(
        characterBooksStream(input.characterId),
        characterWorldBooksDecider,
        { type: 'AttachWorldBook', characterId: input.characterId, worldBookId, ownerId: context.userId, priority: 0, enabled: true },
        context,
        cache,
      );
      const [book, attached] = await deps.eventStore.appendMultiple([bookAppend.append, attach.append]);
      bookAppend.resultOf(book!);
      return { ...outcome, created: true, position: attach.resultOf(attached!).position };
    }
  }
  const { state } = await loadWorldBook(deps, worldBookId);
  if (state.exists) {
    const entries = imported.entries.map((entry, i) => ({ entryId: entryIds[i]!, entry }));
    const result = await handleCommand(
      deps.eventStore,
      worldBookStream(worldBookId),
      worldBookDecider,
      { type: 'ReplaceWorldBookContent', worldBookId, book: meta, entries, source, warnings },
      context,
      deps.cache ? { cache: deps.cache } : {},
    );
    return { ...outcome, created: false, position: result.position };
  }
  await createWorldBook(deps, context, {
    worldBookId,
    book: meta,
    entries: imported.entries,
    entryIds,
    enabled: true,
    isGlobal: false,
    source,
    warnings,
  });
  const attached = await attachWorldBook(deps, context, input.characterId, { worldBookId, priority: 0, enabled: true });
  return { ...outcome, created: true, position: attached.position };
}
