/**
 * Characters as OpenAI models: each character of the caller is listed as the model `character:<character id>`, so
 * a client that can only pick a model (SillyTavern, Open WebUI) can reach it. `characterModelId` is the one place
 * that names the id, and `characterRefOf` the one place that reads it back, so a readable form
 * (`character:<slug>-<short id>`) can be added beside the plain id.
 */
import { AppError } from '../../shared/errors.ts';
import type { CharacterRow } from '../../queries/characters-queries.ts';
import type { Principal } from '../api/auth/principal.ts';

export const CHARACTER_MODEL_PREFIX = 'character:';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const characterModelId = (character: Pick<CharacterRow, 'id'>): string => `${CHARACTER_MODEL_PREFIX}${character.id}`;

export const isCharacterModel = (model: string | undefined): model is string => model?.startsWith(CHARACTER_MODEL_PREFIX) === true;

/** The character id a `character:…` model names, or null when the rest is no id. */
export function characterRefOf(model: string): string | null {
  const ref = model.slice(CHARACTER_MODEL_PREFIX.length);
  return UUID.test(ref) ? ref.toLowerCase() : null;
}

/** OpenAI's answer for a model the caller cannot use: 404 `model_not_found`, the same for a missing and a foreign one. */
export const modelNotFound = (model: string) =>
  new AppError(404, 'model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model' });

/** The caller's live character a `character:…` model names; 404 `model_not_found` otherwise (never another user's). */
export function characterOfModel(model: string, row: CharacterRow | undefined, principal: Pick<Principal, 'userId'>): CharacterRow {
  if (!row || row.deleted_at || row.owner_id !== principal.userId) throw modelNotFound(model);
  return row;
}

/**
 * A completion request whose model is `character:…`: the character it names becomes the request's character (its
 * prompt, with the default model), instead of a model name sent to a provider.
 */
export function characterModelRequest<B extends { model?: string | undefined; character_id?: string | undefined }>(
  body: B,
  character: CharacterRow,
): B {
  if (body.character_id && body.character_id !== character.id)
    throw new AppError(400, 'conversation_character_mismatch', `model ${body.model} names another character than character_id`, {
      param: 'character_id',
    });
  return { ...body, model: undefined, character_id: character.id };
}
