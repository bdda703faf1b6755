import type { Kysely, Selectable } from 'kysely';
import type { GroupsTable, ReadModels } from '../infra/db/read-model-types.ts';
import { cardTalkativeness, type GroupDefinition } from '../shared/groups/group-definition.ts';
import type { ActivationStrategy, GenerationMode } from '../shared/groups/group-definition.ts';

export type GroupRow = Selectable<GroupsTable>;

/** What a member's view needs of its character: its name and the card's talkativeness (missing: deleted or purged). */
export interface MemberCharacter {
  name: string;
  extensions: Record<string, unknown>;
  deleted: boolean;
}

export function toGroupDefinition(row: GroupRow): GroupDefinition {
  return {
    name: row.name,
    members: row.members,
    activation_strategy: row.activation_strategy as ActivationStrategy,
    generation_mode: row.generation_mode as GenerationMode,
    allow_self_responses: row.allow_self_responses,
    world_book_ids: row.world_book_ids,
    join_prefix: row.join_prefix,
    join_suffix: row.join_suffix,
    avatar: row.avatar,
  };
}

export const groupAvatarUrl = (id: string) => `/api/v1/groups/${id}/avatar`;

/**
 * The API's view of a group: each member with its character's name, the talkativeness in effect (the member's
 * own, else the card's `extensions.talkativeness`, else 0.5) and the override as stored.
 */
export function toGroupView(row: GroupRow, characters: ReadonlyMap<string, MemberCharacter>): Record<string, unknown> {
  return {
    id: row.id,
    version: row.version,
    owner_id: row.owner_id,
    ...toGroupDefinition(row),
    avatar: row.avatar ? { media_type: row.avatar.mime, size: row.avatar.size, url: groupAvatarUrl(row.id) } : null,
    members: row.members.map((m) => {
      const c = characters.get(m.character_id);
      return {
        character_id: m.character_id,
        name: c?.name ?? null,
        enabled: m.enabled,
        talkativeness: m.talkativeness ?? cardTalkativeness(c?.extensions),
        talkativeness_override: m.talkativeness,
        character_deleted: !c || c.deleted,
      };
    }),
    source: row.source,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}

export function createGroupQueries(db: Kysely<ReadModels>, schema: string) {
  const groups = () => db.withSchema(schema).selectFrom('groups');
  return {
    async get(id: string): Promise<GroupRow | undefined> {
      return groups().selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** The owner's groups by lower(name), id. */
    async list(ownerId: string, o: { includeDeleted: boolean; limit: number; offset: number }) {
      let base = groups().where('owner_id', '=', ownerId);
      if (!o.includeDeleted) base = base.where('deleted_at', 'is', null);
      const [items, count] = await Promise.all([
        base
          .selectAll()
          .orderBy((eb) => eb.fn('lower', ['name']))
          .orderBy('id')
          .limit(o.limit)
          .offset(o.offset)
          .execute(),
        base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(count.n) };
    },

    /** The member characters of the given groups (deleted ones flagged, purged ones absent). */
    async memberCharacters(rows: readonly Pick<GroupRow, 'members'>[]): Promise<Map<string, MemberCharacter>> {
      const ids = [...new Set(rows.flatMap((r) => r.members.map((m) => m.character_id)))];
      if (ids.length === 0) return new Map();
      const found = await db
        .withSchema(schema)
        .selectFrom('characters')
        .select(['id', 'name', 'extensions', 'deleted_at'])
        .where('id', 'in', ids)
        .execute();
      return new Map(found.map((c) => [c.id, { name: c.name, extensions: c.extensions, deleted: c.deleted_at !== null }]));
    },
  };
}

export type GroupQueries = ReturnType<typeof createGroupQueries>;
