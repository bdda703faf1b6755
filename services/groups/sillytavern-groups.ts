/**
 * SillyTavern group definitions in and out: members are matched to the caller's characters by avatar file name
 * (the name the card was imported under), then by name (SillyTavern names the avatar after the character).
 */
import type { Kysely } from 'kysely';
import { createGroup, type GroupCommandDeps } from '../../commands/groups/group-workflows.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { GroupRow } from '../../queries/groups-queries.ts';
import { toGroupDefinition } from '../../queries/groups-queries.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { badRequest, unprocessable } from '../../shared/errors.ts';
import { avatarBaseName, fromSillyTavernGroup, sillyTavernGroupSchema, toSillyTavernGroup } from '../../shared/groups/sillytavern-group.ts';

export interface OwnedCharacter {
  id: string;
  name: string;
  filename: string | null;
}

/** The caller's live characters with the file name each card was imported under, oldest first. */
export async function ownedCharacters(db: Kysely<ReadModels>, schema: string, ownerId: string): Promise<OwnedCharacter[]> {
  const rows = await db
    .withSchema(schema)
    .selectFrom('characters')
    .select(['id', 'name', 'source', 'created_at'])
    .where('owner_id', '=', ownerId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, filename: typeof r.source.filename === 'string' ? r.source.filename : null }));
}

/** The avatar file name SillyTavern would know the character by. */
export const avatarOf = (c: OwnedCharacter | undefined, id: string) => c?.filename ?? `${c?.name ?? id}.png`;

export async function importSillyTavernGroup(
  db: Kysely<ReadModels>,
  schema: string,
  commands: GroupCommandDeps,
  actor: Actor,
  body: unknown,
) {
  const parsed = sillyTavernGroupSchema.safeParse(body);
  if (!parsed.success)
    throw unprocessable('not_a_sillytavern_group', 'not a SillyTavern group file: it needs `members`, a list of avatar file names');
  const characters = await ownedCharacters(db, schema, actor.userId);
  const resolve = (avatar: string) =>
    (characters.find((c) => c.filename === avatar) ?? characters.find((c) => c.name === avatarBaseName(avatar)))?.id ?? null;
  const { group, unresolved } = fromSillyTavernGroup(parsed.data, resolve);
  if (group.members.length === 0)
    throw badRequest('no_members', 'none of the group’s members is one of your characters (import their cards first)', { unresolved });
  const { groupId, result } = await createGroup(commands, actor, group, { kind: 'import', format: 'sillytavern' });
  return { groupId, result, unresolved };
}

export async function exportSillyTavernGroup(db: Kysely<ReadModels>, schema: string, row: GroupRow) {
  const characters = new Map((await ownedCharacters(db, schema, row.owner_id)).map((c) => [c.id, c]));
  return toSillyTavernGroup(row.id, toGroupDefinition(row), (id) => avatarOf(characters.get(id), id));
}
