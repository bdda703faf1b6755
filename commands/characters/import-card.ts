/**
 * Importing a card: parse it, refuse what cannot be stored, spend the caller's rate limit, reserve the storage
 * quota for its image and assets (413 before anything is written), write the blobs while the name is reserved,
 * create the character (or overwrite / rename on a name conflict) and turn its embedded character_book into a world
 * book attached to it. A failure before the character's append gives the quota back and leaves nothing visible.
 */
import type { BlobStore } from '../../infra/blobs/blob-store.ts';
import type { Logger } from '../../infra/logger.ts';
import type { CardParseOptions, CardParseResult, CardParseSuccess } from '../../shared/cards/index.ts';
import { AppError, badRequest } from '../../shared/errors.ts';
import { describeUnstorable, findUnstorableText } from '../../shared/text/storable-text.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { StateCache } from '../state-cache.ts';
import type { EventStore, InlineWork } from '../../infra/eventstore/event-store.ts';
import { syncCardWorldBook, type CardWorldBookOutcome } from '../world-books/card-world-book.ts';
import { planCardBinaries } from './card-binaries.ts';
import type { NameSuffixIndex } from './character-names.ts';
import { createCharacter, type CreateOutcome, type OnNameConflict } from './character-workflows.ts';

export interface ImportCardPorts {
  eventStore: EventStore;
  cache?: StateCache;
  /** on_conflict=rename's next `Name (n)` in one read. */
  names?: NameSuffixIndex;
  blobStore: BlobStore;
  /** Parses the file (the services run it on the CPU pool). */
  parse(bytes: Uint8Array, options: CardParseOptions): Promise<CardParseResult>;
  /** Spends the caller's rate limit once the card is known to be valid (a 429 stops the import there). */
  admit(card: { withBinaries: boolean }): Promise<void>;
  log?: Pick<Logger, 'info'>;
  config: { STORAGE_QUOTA_BYTES_PER_USER: number };
}

export interface ImportCardInput {
  file: { bytes: Uint8Array; filename?: string; mimeType?: string };
  allowImageOnly: boolean;
  onConflict: OnNameConflict;
  limits: CardParseOptions['limits'];
}

/** Read-model work committed with the character's append (`createCharacter`'s `inline`). */
export interface ImportInline<Inline> {
  inline?: InlineWork<Inline>;
}

export interface ImportedCard<Inline = never> {
  parsed: CardParseSuccess;
  outcome: CreateOutcome<Inline>;
  /** The card's world book (null: the card has none). */
  book: CardWorldBookOutcome | null;
  /** The position the answer waits for (the last event appended). */
  position: string | null;
}

export async function importCard<Inline = never>(
  ports: ImportCardPorts,
  context: Actor,
  input: ImportCardInput & ImportInline<Inline>,
): Promise<ImportedCard<Inline>> {
  const { file } = input;
  const parsed = await ports.parse(file.bytes, {
    ...(file.filename !== undefined ? { filename: file.filename } : {}),
    ...(file.mimeType !== undefined ? { contentType: file.mimeType } : {}),
    allowImageOnly: input.allowImageOnly,
    ...(input.limits !== undefined ? { limits: input.limits } : {}),
  });
  if (!parsed.ok) throw new AppError(parsed.error.status, parsed.error.code, parsed.error.detail);
  const unstorable = findUnstorableText(parsed.card);
  if (unstorable)
    throw badRequest('invalid_unicode', `the card's ${describeUnstorable(unstorable)}`, {
      path: unstorable.path,
      reason: unstorable.reason,
    });
  await ports.admit({ withBinaries: Boolean(parsed.avatar) || parsed.assets.length > 0 });
  // Over the storage quota is a 413 before anything is stored. The blob writes overlap the name reservation;
  // both finish before the character's event is appended.
  const binaries = planCardBinaries(ports.blobStore, parsed.avatar, parsed.assets);
  const reservation = await binaries.reserve(context.userId, ports.config.STORAGE_QUOTA_BYTES_PER_USER);
  const written = binaries.write();
  written.catch(() => undefined);
  const source = {
    kind: 'import' as const,
    format: parsed.sourceFormat,
    ...(file.filename ? { filename: file.filename.slice(0, 255) } : {}),
    dialect: parsed.source.dialect,
  };
  const commands = { eventStore: ports.eventStore, ...(ports.cache ? { cache: ports.cache } : {}) };
  const outcome = await createCharacter({ ...commands, ...(ports.names ? { names: ports.names } : {}) }, context, {
    stored: { card: parsed.card, avatar: binaries.avatar, assets: binaries.assets },
    source,
    warnings: parsed.warnings,
    onConflict: input.onConflict,
    beforeAppend: () => written,
    ...(input.inline ? { inline: input.inline } : {}),
  }).catch(async (err: unknown) => {
    await reservation.release();
    throw err;
  });
  ports.log?.info({ characterId: outcome.characterId, format: parsed.sourceFormat, replaced: outcome.replaced }, 'character imported');
  // The card's embedded character_book becomes (or, on a re-import, updates) a world book attached to it.
  const book = await syncCardWorldBook(commands, context, {
    characterId: outcome.characterId,
    card: parsed.card,
    newCharacter: !outcome.replaced,
  });
  return { parsed, outcome, book, position: book?.position ?? outcome.result.position };
}
