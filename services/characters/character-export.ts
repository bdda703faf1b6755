/**
 * Exporting a stored character as a card file: what `GET /api/v1/characters/:id/export` (and any other export
 * route) calls once it has checked that the caller may read the character.
 *
 * The card carries its lore back out, as SillyTavern does when it writes a card with its linked world: the card's
 * embedded book (the world book created from its `character_book` on import, id `cardWorldBookId`) is read in its
 * current state, edits made through the world-book API included, and written into `data.character_book`. When the
 * book still holds exactly what the card's own `character_book` imports to, the card is exported as stored, so an
 * unchanged book round-trips byte for byte. A deleted book leaves the card's own `character_book` as it was.
 *
 * A PNG export of a character whose avatar is WEBP or JPEG transcodes the avatar to PNG (sharp) instead of failing.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import { loadCardBinaries } from '../../commands/characters/card-binaries.ts';
import { cardWorldBookId } from '../../commands/world-books/card-world-book.ts';
import type { BlobStore } from '../../infra/blobs/blob-store.ts';
import type { CharacterRow } from '../../queries/characters-queries.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createWorldBookQueries, toLibraryBook } from '../../queries/world-books-queries.ts';
import {
  CardExportError,
  exportCard,
  type CanonicalCard,
  type CardExport,
  type CardExportFormat,
  type CardImage,
} from '../../shared/cards/index.ts';
import { exportToCharacterBook, importCardBook, isCard, type WorldBook } from '../../shared/worldinfo/index.ts';

export interface CharacterExportDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  blobStore: BlobStore;
}

/** Avatars a PNG export transcodes rather than refuses. */
const TRANSCODED_TO_PNG = new Set(['image/webp', 'image/jpeg']);

/** Book and entries as plain JSON (what a stored row holds), for comparing a stored book with an imported one. */
function asStored(book: WorldBook): unknown {
  return JSON.parse(JSON.stringify(book));
}

/** The card with its embedded book's current state in `character_book` (the card itself when nothing changed). */
export async function cardWithCurrentBook(deps: CharacterExportDeps, characterId: string, card: CanonicalCard): Promise<CanonicalCard> {
  const books = createWorldBookQueries(deps.db, deps.readSchema);
  const worldBookId = cardWorldBookId(characterId);
  const row = await books.get(worldBookId);
  if (!row || row.deleted_at) return card;
  const current = toLibraryBook(row, await books.entries(worldBookId));
  if (isCard(card) && card.data.character_book !== undefined) {
    const stored = importCardBook(card).book;
    if (isDeepStrictEqual(asStored(stored), asStored(current))) return card;
  }
  return { ...card, data: { ...card.data, character_book: exportToCharacterBook(current, { fillRequired: true }) } } as CanonicalCard;
}

/** The avatar as PNG when it is WEBP or JPEG (what a PNG card needs), else unchanged. */
export async function pngAvatar(avatar: CardImage | undefined): Promise<CardImage | undefined> {
  if (!avatar || !TRANSCODED_TO_PNG.has(avatar.mime)) return avatar;
  try {
    // Loaded on the first transcode: sharp and libvips cost ~20 MB resident, which most processes never need.
    const { default: sharp } = await import('sharp');
    const bytes = await sharp(avatar.bytes).png().toBuffer();
    return { bytes: new Uint8Array(bytes), mime: 'image/png' };
  } catch (error) {
    throw new CardExportError(
      'corrupt_image',
      `the ${avatar.mime} avatar could not be decoded for PNG export: ${(error as Error).message}`,
    );
  }
}

/** The character as a card file in `format` (throws CardExportError for what cannot be exported). */
export async function exportCharacterCard(deps: CharacterExportDeps, row: CharacterRow, format: CardExportFormat): Promise<CardExport> {
  const card = await cardWithCurrentBook(deps, row.id, row.card as unknown as CanonicalCard);
  const binaries = await loadCardBinaries(deps.blobStore, row.avatar, row.assets);
  const avatar = format === 'png' ? await pngAvatar(binaries.avatar) : binaries.avatar;
  return exportCard(card, format, { avatar, assets: binaries.assets });
}
