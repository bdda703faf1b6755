import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import type { CharacterChanges, CharacterFields } from '../shared/characters/character-fields.ts';
import type { Projection } from './projection.ts';

const json = (value: unknown) => JSON.stringify(value);

function fieldColumns(fields: Partial<CharacterFields>): Record<string, unknown> {
  const { alternate_greetings, tags, extensions, ...plain } = fields;
  return {
    ...plain,
    ...(alternate_greetings !== undefined ? { alternate_greetings: json(alternate_greetings) } : {}),
    ...(tags !== undefined ? { tags: json(tags), tags_lower: tags.map((t) => t.toLowerCase()) } : {}),
    ...(extensions !== undefined ? { extensions: json(extensions) } : {}),
  };
}

/** The column changes one event makes to its character's row (besides creation). */
function rowChanges(event: RecordedEvent): Record<string, unknown> {
  const at = event.createdAt;
  switch (event.type) {
    case 'CharacterUpdated':
      return { ...fieldColumns(event.data.changes as CharacterChanges), version: event.revision, updated_at: at };
    case 'CharacterDeleted':
      return { deleted_at: at, version: event.revision, updated_at: at };
    case 'CharacterRestored':
      return { deleted_at: null, version: event.revision, updated_at: at };
    default:
      return {};
  }
}

function createdRow(event: RecordedEvent): Record<string, unknown> {
  const fields = event.data.fields as CharacterFields;
  return {
    id: event.data.characterId,
    owner_id: event.data.ownerId,
    version: event.revision,
    description: '',
    personality: '',
    scenario: '',
    system_prompt: '',
    post_history_instructions: '',
    first_message: '',
    message_example: '',
    creator_notes: '',
    alternate_greetings: '[]',
    tags: '[]',
    tags_lower: [],
    creator: '',
    character_version: '',
    extensions: '{}',
    ...fieldColumns(fields),
    created_at: event.createdAt,
    updated_at: event.createdAt,
    deleted_at: null,
  };
}

const ROW_COLUMNS = Object.keys(createdRow({ data: { fields: { name: '' } }, createdAt: new Date(), revision: 1 } as unknown as RecordedEvent));

export const charactersProjection: Projection = {
  name: 'characters',
  handles: new Set(['CharacterCreated', 'CharacterUpdated', 'CharacterDeleted', 'CharacterRestored']),
  tables: ['characters'],

  async apply(db: Kysely<ReadModels>, event: RecordedEvent): Promise<void> {
    if (event.type === 'CharacterCreated') {
      await db.insertInto('characters').values(createdRow(event) as never).onConflict((oc) => oc.column('id').doNothing()).execute();
      return;
    }
    // Guarded by the stream revision, so a redelivered event changes nothing.
    await db
      .updateTable('characters')
      .set(rowChanges(event) as never)
      .where('id', '=', event.data.characterId as string)
      .where('version', '<', event.revision)
      .execute();
  },

  async applyMany(db: Kysely<ReadModels>, events: RecordedEvent[]): Promise<void> {
    const byCharacter = new Map<string, RecordedEvent[]>();
    for (const e of events) {
      const id = e.data.characterId as string;
      const list = byCharacter.get(id);
      if (list) list.push(e);
      else byCharacter.set(id, [e]);
    }
    const fullRows: Record<string, unknown>[] = [];
    for (const [id, list] of byCharacter) {
      const [first, ...rest] = list;
      if (first!.type === 'CharacterCreated') {
        // The whole row at the last revision; replaces an older copy, never a newer one.
        fullRows.push(rest.reduce((row, e) => ({ ...row, ...rowChanges(e) }), createdRow(first!)));
      } else {
        // A contiguous run of revisions folded into one patch: it supersedes everything up to its last revision.
        const patch = list.reduce<Record<string, unknown>>((acc, e) => ({ ...acc, ...rowChanges(e) }), {});
        await db.updateTable('characters').set(patch as never).where('id', '=', id).where('version', '<', list[list.length - 1]!.revision).execute();
      }
    }
    for (let i = 0; i < fullRows.length; i += 500) {
      await db
        .insertInto('characters')
        .values(fullRows.slice(i, i + 500) as never)
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet(Object.fromEntries(ROW_COLUMNS.filter((c) => c !== 'id' && c !== 'created_at').map((c) => [c, sql.ref(`excluded.${c}`)])) as never)
            .where(sql.ref('characters.version'), '<', sql.ref('excluded.version')),
        )
        .execute();
    }
  },
};
