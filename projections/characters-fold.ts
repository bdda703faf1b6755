import type { Selectable } from 'kysely';
import type { CharactersTable } from '../infra/db/read-model-types.ts';
import { toBasicFields, type CanonicalCard } from '../shared/cards/index.ts';
import { applyChanges } from '../shared/characters/character-fold.ts';
import type { StoredCard } from '../shared/characters/stored-card.ts';
import { isCatalogued, type RecordedEvent } from '../shared/events/recorded-event.ts';
import { foldEvent, typesOf, type EventFolds } from './projection.ts';

type CharacterEventType =
  | 'CharacterCreated'
  | 'CharacterImported'
  | 'CharacterUpdated'
  | 'CharacterCardReplaced'
  | 'CharacterReverted'
  | 'CharacterDeleted'
  | 'CharacterRestored';
export type CharacterEvent = RecordedEvent<CharacterEventType>;

const json = (value: unknown) => JSON.stringify(value);

type JsonColumn = 'alternate_greetings' | 'tags' | 'extensions' | 'card' | 'avatar' | 'assets' | 'source';

/** A character's row as a query reads it, less the full-text `search` column the database derives from the others. */
export type CharacterRowRead = Omit<Selectable<CharactersTable>, 'search'>;

/** A character's row as the writer writes it: the same columns, JSON ones as JSON text. */
export type CharacterRowValues = Omit<CharacterRowRead, JsonColumn> & { [K in JsonColumn]: K extends 'avatar' ? string | null : string };

type CardColumns = Omit<
  CharacterRowValues,
  'id' | 'owner_id' | 'version' | 'source' | 'created_at' | 'updated_at' | 'last_used_at' | 'deleted_at'
>;

/** The read-model columns derived from a stored card. */
function cardColumns(stored: StoredCard): CardColumns {
  const { alternate_greetings, tags, extensions, ...text } = toBasicFields(stored.card as CanonicalCard);
  const nickname = (stored.card.data as { nickname?: unknown }).nickname;
  return {
    ...text,
    alternate_greetings: json(alternate_greetings),
    tags: json(tags),
    tags_lower: tags.map((t) => t.toLowerCase()),
    creator_lower: text.creator.toLowerCase(),
    extensions: json(extensions),
    nickname: typeof nickname === 'string' && nickname !== '' ? nickname : null,
    card: json(stored.card),
    avatar: stored.avatar ? json(stored.avatar) : null,
    assets: json(stored.assets),
  };
}

const storedOf = (data: { card: unknown; avatar?: unknown; assets?: unknown }): StoredCard => ({
  card: data.card as CanonicalCard,
  avatar: (data.avatar ?? null) as StoredCard['avatar'],
  assets: (data.assets ?? []) as StoredCard['assets'],
});

export interface RowState {
  stored: StoredCard;
  /** The row as written: JSON columns as JSON text. */
  columns: CharacterRowValues;
}

type Folds = EventFolds<CharacterEventType, RowState, RowState | undefined>;

const existing = (event: CharacterEvent, row: RowState | undefined): RowState => {
  if (!row) throw new Error(`${event.type} for character ${event.data.characterId}, which has no row`);
  return row;
};

const created: Folds['CharacterCreated'] & Folds['CharacterImported'] = (event) => {
  const d = event.data;
  const at = event.createdAt;
  const stored = storedOf(d);
  return {
    stored,
    columns: {
      id: d.characterId,
      owner_id: d.ownerId,
      version: event.revision,
      ...cardColumns(stored),
      source: json(d.source ?? {}),
      created_at: at,
      updated_at: at,
      last_used_at: null,
      deleted_at: null,
    },
  };
};

const replaced = (
  event: RecordedEvent<'CharacterCardReplaced' | 'CharacterReverted'>,
  current: RowState | undefined,
  source: unknown,
): RowState => {
  const row = existing(event, current);
  const stored = storedOf(event.data);
  return {
    stored,
    columns: {
      ...row.columns,
      ...cardColumns(stored),
      ...(source ? { source: json(source) } : {}),
      version: event.revision,
      updated_at: event.createdAt,
    },
  };
};

/**
 * What each character event makes of its row. Updates need the current card (to apply a partial edit), so the
 * fold carries the stored card alongside the columns.
 */
export const characterFolds: Folds = {
  CharacterCreated: created,
  CharacterImported: created,
  CharacterUpdated(event, current) {
    const row = existing(event, current);
    const stored = applyChanges(row.stored, event.data.changes, event.data.dataChanges, event.data.avatar);
    return { stored, columns: { ...row.columns, ...cardColumns(stored), version: event.revision, updated_at: event.createdAt } };
  },
  CharacterCardReplaced: (event, current) => replaced(event, current, event.data.source),
  CharacterReverted: (event, current) => replaced(event, current, undefined),
  CharacterDeleted(event, current) {
    const row = existing(event, current);
    return { ...row, columns: { ...row.columns, deleted_at: event.createdAt, version: event.revision, updated_at: event.createdAt } };
  },
  CharacterRestored(event, current) {
    const row = existing(event, current);
    return { ...row, columns: { ...row.columns, deleted_at: null, version: event.revision, updated_at: event.createdAt } };
  },
};

export const CHARACTER_EVENTS = typesOf(characterFolds);
const characterEventTypes: ReadonlySet<string> = new Set(CHARACTER_EVENTS);

/**
 * Folds one event into a row; an event of another type leaves it as it is. Time travel (`as_of`) folds a stream
 * with it too, so a past version is built by the same code as the live row.
 */
export function fold(row: RowState | undefined, event: RecordedEvent): RowState | undefined {
  return isCatalogued<CharacterEventType>(event, characterEventTypes) ? foldEvent(characterFolds, event, row) : row;
}

/** A stored row (JSON columns as values) as the fold's state (JSON columns as JSON text), so a batch can continue it. */
export function rowStateOf(row: Selectable<CharactersTable>): RowState {
  const { search: _search, alternate_greetings, tags, extensions, card, avatar, assets, source, ...plain } = row;
  return {
    stored: storedOf({ card, avatar, assets }),
    columns: {
      ...plain,
      alternate_greetings: json(alternate_greetings),
      tags: json(tags),
      extensions: json(extensions),
      card: json(card),
      avatar: avatar ? json(avatar) : null,
      assets: json(assets),
      source: json(source),
    },
  };
}

/** The fold's row as a query reads it (JSON columns as values): time travel answers with it in the normal shape. */
export function rowOf(columns: CharacterRowValues): CharacterRowRead {
  const { alternate_greetings, tags, extensions, card, avatar, assets, source, ...plain } = columns;
  return {
    ...plain,
    alternate_greetings: JSON.parse(alternate_greetings),
    tags: JSON.parse(tags),
    extensions: JSON.parse(extensions),
    card: JSON.parse(card),
    avatar: avatar === null ? null : JSON.parse(avatar),
    assets: JSON.parse(assets),
    source: JSON.parse(source),
  };
}
