/**
 * What `POST /characters/import` answers a tldw_server client (one that sends the file in the original's field,
 * `character_file`, without our `on_conflict`): beside our import report, the original's `message` and
 * `character`; and for a name already taken, the original's 200 with the existing character instead of our 409.
 */
import type { CharacterRow } from '../../../queries/characters-queries.ts';
import { AppError } from '../../../shared/errors.ts';
import { toTldwCharacter } from './character-response.ts';

export const TLDW_IMPORT_FIELD = 'character_file';

export function tldwImported(row: CharacterRow) {
  return { message: `Character '${row.name}' imported successfully`, character: toTldwCharacter(row) };
}

/** The existing character's id when the import was refused because its name is taken, else null. */
export function takenNameOwner(err: unknown): string | null {
  if (!(err instanceof AppError) || err.code !== 'name_conflict') return null;
  const id = err.extra.existing_id;
  return typeof id === 'string' ? id : null;
}

export function tldwAlreadyExists(row: CharacterRow) {
  return {
    id: row.id,
    name: row.name,
    message: `Character '${row.name}' already exists (ID: ${row.id}). Details provided.`,
    character: toTldwCharacter(row),
  };
}
