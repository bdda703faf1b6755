/**
 * Characters as OpenAI models. Each character of the caller is listed as `character:<slug>-<short id>` (for
 * example `character:seraphina-3f2a`: the slug from its name, the short id the shortest tail of its id, at least
 * four hex digits, that no other character of the user ends with), so a person can pick it in a client that shows
 * only ids; `character:<full id>` is accepted as well. `@<provider>/<model>` after the reference picks the provider
 * and model that generate (`character:seraphina-3f2a@claude/claude-sonnet-4`).
 */
import { AppError } from '../../shared/errors.ts';
import type { CharacterQueries, CharacterRow } from '../../queries/characters-queries.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { isOwnedBy } from '../../shared/access/access-rules.ts';

export const CHARACTER_MODEL_PREFIX = 'character:';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The readable form: a slug, a dash, and a tail of the id (the id's last group is 12 hex digits). */
const READABLE = /^(?:([a-z0-9-]*)-)?([0-9a-f]{4,12})$/;
const MIN_SHORT_ID = 4;
const MAX_SLUG = 40;

/** What a `character:…` model names: the character (by full id or by slug and id tail) and an optional provider/model. */
export interface CharacterModelRef {
  id: string | null;
  slug: string | null;
  idTail: string | null;
  provider: string | null;
  model: string | null;
}

/** The name as an id part: lower case ASCII letters and digits between dashes ("Séraphina the 2nd" -> "seraphina-the-2nd"). */
export function characterSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_SLUG)
    .replace(/^-+|-+$/g, '');
  return slug || 'character';
}

const idTail = (id: string, length: number) => id.replace(/-/g, '').slice(-length).toLowerCase();

/**
 * The readable model id of each character, keyed by character id: the shortest id tail (from four hex digits) that
 * none of the user's other characters shares, so the id stays unique while the user's characters are these.
 */
export function readableCharacterModelIds(characters: ReadonlyArray<Pick<CharacterRow, 'id' | 'name'>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of characters) {
    let length = MIN_SHORT_ID;
    while (length < 12 && characters.some((o) => o.id !== c.id && idTail(o.id, length) === idTail(c.id, length))) length += 1;
    out.set(c.id, `${CHARACTER_MODEL_PREFIX}${characterSlug(c.name)}-${idTail(c.id, length)}`);
  }
  return out;
}

export const isCharacterModel = (model: string | undefined): model is string => model?.startsWith(CHARACTER_MODEL_PREFIX) === true;

/** What a `character:…` model names, or null when it names nothing (then no character answers to it: a 404). */
export function parseCharacterModel(model: string): CharacterModelRef | null {
  const rest = model.slice(CHARACTER_MODEL_PREFIX.length);
  const at = rest.indexOf('@');
  const ref = (at < 0 ? rest : rest.slice(0, at)).toLowerCase();
  let provider: string | null = null;
  let upstreamModel: string | null = null;
  if (at >= 0) {
    const choice = rest.slice(at + 1);
    const slash = choice.indexOf('/');
    if (slash <= 0 || slash === choice.length - 1) return null;
    provider = choice.slice(0, slash);
    upstreamModel = choice.slice(slash + 1);
  }
  if (UUID.test(ref)) return { id: ref, slug: null, idTail: null, provider, model: upstreamModel };
  const readable = READABLE.exec(ref);
  if (!readable) return null;
  return { id: null, slug: readable[1] ?? null, idTail: readable[2]!, provider, model: upstreamModel };
}

/**
 * The one character a readable reference names among the user's characters whose id ends with its tail: the only
 * one, or the only one whose slug also matches (a character created later may share a short tail).
 */
export function characterOfTail(ref: CharacterModelRef, candidates: readonly CharacterRow[]): CharacterRow | undefined {
  const tail = ref.idTail ?? '';
  const matching = candidates.filter((c) => idTail(c.id, tail.length) === tail);
  if (matching.length === 1) return matching[0];
  const named = matching.filter((c) => characterSlug(c.name) === ref.slug);
  return named.length === 1 ? named[0] : undefined;
}

/** OpenAI's answer for a model the caller cannot use: 404 `model_not_found`, the same for a missing and a foreign one. */
export const modelNotFound = (model: string) =>
  new AppError(404, 'model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model' });

/** The caller's live character a `character:…` model names; 404 `model_not_found` otherwise (never another user's). */
export function characterOfModel(model: string, row: CharacterRow | undefined, actor: Pick<Actor, 'userId'>): CharacterRow {
  if (!row || row.deleted_at || !isOwnedBy(row, actor.userId)) throw modelNotFound(model);
  return row;
}

/** The caller's character a `character:…` model names (full id or readable), and what else it picks; 404 otherwise. */
export async function resolveCharacterModel(
  model: string,
  actor: Pick<Actor, 'userId'>,
  characters: Pick<CharacterQueries, 'get' | 'withIdEnding'>,
): Promise<{ character: CharacterRow; ref: CharacterModelRef }> {
  const ref = parseCharacterModel(model);
  if (!ref) throw modelNotFound(model);
  const row = ref.id ? await characters.get(ref.id) : characterOfTail(ref, await characters.withIdEnding(actor.userId, ref.idTail ?? ''));
  return { character: characterOfModel(model, row, actor), ref };
}

/**
 * A completion request whose model is `character:…`: the character it names becomes the request's character (its
 * prompt, with the default model or the one `@provider/model` picks), instead of a model name sent to a provider.
 * Without a conversation the client's messages are the conversation, except its system messages: the character's
 * prompt replaces them (with `character_prompt: "lore_only"` the client's prompt is kept whole).
 */
export function characterModelRequest<
  B extends {
    model?: string | undefined;
    provider?: string | undefined;
    character_id?: string | undefined;
    conversation_id?: string | undefined;
    character_prompt?: 'full' | 'lore_only' | undefined;
    messages: ReadonlyArray<{ role: string }>;
  },
>(body: B, character: CharacterRow, ref: CharacterModelRef): B {
  if (body.character_id && body.character_id !== character.id)
    throw new AppError(400, 'conversation_character_mismatch', `model ${body.model} names another character than character_id`, {
      param: 'character_id',
    });
  if (ref.provider && body.provider && body.provider !== ref.provider)
    throw new AppError(400, 'conflicting_parameters', `model ${body.model} names provider ${ref.provider}, the request ${body.provider}`, {
      param: 'provider',
    });
  const replacesSystem = !body.conversation_id && body.character_prompt !== 'lore_only';
  return {
    ...body,
    model: ref.model ?? undefined,
    provider: ref.provider ?? body.provider,
    character_id: character.id,
    messages: replacesSystem ? body.messages.filter((m) => m.role !== 'system') : body.messages,
  };
}
