import type { Selectable } from 'kysely';
import type { PersonasTable } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import type { PersonaChanges, PersonaFields } from '../shared/personas/persona-fields.ts';
import { typesOf, type EventFolds } from './projection.ts';

/**
 * The personas read model's rules as pure functions (no I/O): a new persona's row and what each later event of
 * its stream changes on it. The writer (personas-projection.ts) applies them guarded by the row's version;
 * as-of (queries/persona-as-of.ts) folds the same rules.
 */
type JsonColumn = 'locked_character_ids' | 'avatar' | 'source';
/** A persona's row as the writer writes it: JSON columns as JSON text. */
export type PersonaRowValues = Omit<Selectable<PersonasTable>, JsonColumn> & {
  locked_character_ids: string;
  avatar: string | null;
  source: string;
};

type FieldColumns = Pick<PersonaRowValues, keyof PersonaFields>;

export function fieldColumns(fields: PersonaFields): FieldColumns;
export function fieldColumns(fields: PersonaChanges): Partial<FieldColumns>;
export function fieldColumns(fields: PersonaChanges): Partial<FieldColumns> {
  const out: Partial<FieldColumns> = {};
  if (fields.name !== undefined) out.name = fields.name;
  if (fields.description !== undefined) out.description = fields.description;
  if (fields.position !== undefined) out.position = fields.position;
  if (fields.depth !== undefined) out.depth = fields.depth;
  if (fields.role !== undefined) out.role = fields.role;
  if (fields.world_book_id !== undefined) out.world_book_id = fields.world_book_id;
  if (fields.is_default !== undefined) out.is_default = fields.is_default;
  if (fields.locked_character_ids !== undefined) out.locked_character_ids = JSON.stringify(fields.locked_character_ids);
  if (fields.avatar !== undefined) out.avatar = fields.avatar === null ? null : JSON.stringify(fields.avatar);
  return out;
}

export function personaRow(event: RecordedEvent<'PersonaCreated'>): PersonaRowValues {
  const d = event.data;
  return {
    id: d.personaId,
    owner_id: d.ownerId,
    version: event.revision,
    ...fieldColumns(d.fields),
    source: JSON.stringify(d.source),
    created_at: event.createdAt,
    updated_at: event.createdAt,
    deleted_at: null,
  };
}

export type PersonaRowChange = Partial<PersonaRowValues> & Pick<PersonaRowValues, 'version' | 'updated_at'>;

const stamped = (event: RecordedEvent) => ({ version: event.revision, updated_at: event.createdAt });

export const personaChangeFolds: EventFolds<'PersonaUpdated' | 'PersonaDeleted' | 'PersonaRestored', PersonaRowChange> = {
  PersonaUpdated: (event) => ({ ...stamped(event), ...fieldColumns(event.data.changes) }),
  PersonaDeleted: (event) => ({ ...stamped(event), deleted_at: event.createdAt }),
  PersonaRestored: (event) => ({ ...stamped(event), deleted_at: null }),
};

export type PersonaChangeEvent = RecordedEvent<keyof typeof personaChangeFolds>;
export type PersonaRecordedEvent = RecordedEvent<'PersonaCreated'> | PersonaChangeEvent;
export const PERSONA_EVENTS = ['PersonaCreated' as const, ...typesOf(personaChangeFolds)];
