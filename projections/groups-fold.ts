import type { Selectable } from 'kysely';
import type { GroupsTable } from '../infra/db/read-model-types.ts';
import type { GroupChanges, GroupDefinition } from '../shared/groups/group-definition.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { typesOf, type EventFolds } from './projection.ts';

/**
 * The groups read model's rules as pure functions: a new group's row and what each later event changes on it.
 * JSON columns are written as JSON text. Time travel (queries/resource-as-of.ts) folds rows with these too.
 */
type JsonColumn = 'members' | 'world_book_ids' | 'source';
export type GroupRowValues = Omit<Selectable<GroupsTable>, JsonColumn | 'avatar'> & { [K in JsonColumn]: string } & {
  avatar: string | null;
};
type DefinitionColumns = Omit<GroupRowValues, 'id' | 'owner_id' | 'version' | 'source' | 'created_at' | 'updated_at' | 'deleted_at'>;

const json = (value: unknown) => JSON.stringify(value);

export function definitionColumns(group: GroupDefinition): DefinitionColumns;
export function definitionColumns(group: GroupChanges): Partial<DefinitionColumns>;
export function definitionColumns(group: GroupChanges): Partial<DefinitionColumns> {
  const out: Partial<DefinitionColumns> = {};
  if (group.name !== undefined) out.name = group.name;
  if (group.members !== undefined) out.members = json(group.members);
  if (group.activation_strategy !== undefined) out.activation_strategy = group.activation_strategy;
  if (group.generation_mode !== undefined) out.generation_mode = group.generation_mode;
  if (group.allow_self_responses !== undefined) out.allow_self_responses = group.allow_self_responses;
  if (group.world_book_ids !== undefined) out.world_book_ids = json(group.world_book_ids);
  if (group.join_prefix !== undefined) out.join_prefix = group.join_prefix;
  if (group.join_suffix !== undefined) out.join_suffix = group.join_suffix;
  if (group.avatar !== undefined) out.avatar = group.avatar === null ? null : json(group.avatar);
  return out;
}

export function createdGroupRow(event: RecordedEvent<'GroupCreated'>): GroupRowValues {
  const d = event.data;
  return {
    id: d.groupId,
    owner_id: d.ownerId,
    version: event.revision,
    ...definitionColumns(d.group),
    avatar: d.group.avatar ? json(d.group.avatar) : null,
    source: json(d.source),
    created_at: event.createdAt,
    updated_at: event.createdAt,
    deleted_at: null,
  };
}

export type GroupRowChange = Partial<GroupRowValues> & Pick<GroupRowValues, 'version' | 'updated_at'>;

const stamped = (event: RecordedEvent) => ({ version: event.revision, updated_at: event.createdAt });

export const groupChangeFolds: EventFolds<'GroupUpdated' | 'GroupDeleted' | 'GroupRestored', GroupRowChange> = {
  GroupUpdated: (event) => ({ ...stamped(event), ...definitionColumns(event.data.changes) }),
  GroupDeleted: (event) => ({ ...stamped(event), deleted_at: event.createdAt }),
  GroupRestored: (event) => ({ ...stamped(event), deleted_at: null }),
};

export type GroupChangeEvent = RecordedEvent<keyof typeof groupChangeFolds>;
export type GroupRowEvent = RecordedEvent<'GroupCreated'> | GroupChangeEvent;
export const GROUP_EVENTS = ['GroupCreated' as const, ...typesOf(groupChangeFolds)];
