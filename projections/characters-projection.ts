import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import type { CharacterChanges, CharacterFields } from '../shared/characters/character-fields.ts';
import type { Projection } from './projection.ts';

const json = (value: unknown) => JSON.stringify(value);

function fieldColumns(fields: Partial<CharacterFields>) {
  const { alternate_greetings, tags, extensions, ...plain } = fields;
  return {
    ...plain,
    ...(alternate_greetings !== undefined ? { alternate_greetings: json(alternate_greetings) } : {}),
    ...(tags !== undefined ? { tags: json(tags), tags_lower: tags.map((t) => t.toLowerCase()) } : {}),
    ...(extensions !== undefined ? { extensions: json(extensions) } : {}),
  };
}

export const charactersProjection: Projection = {
  name: 'characters',
  handles: new Set(['CharacterCreated', 'CharacterUpdated', 'CharacterDeleted', 'CharacterRestored']),
  tables: ['characters'],
  async apply(db: Kysely<ReadModels>, event: RecordedEvent): Promise<void> {
    const at = event.createdAt;
    const id = event.data.characterId as string;
    // Every update is guarded by the stream revision, so a redelivered event changes nothing.
    const newer = (q: any) => q.where('id', '=', id).where('version', '<', event.revision);
    switch (event.type) {
      case 'CharacterCreated': {
        const fields = event.data.fields as CharacterFields;
        await db
          .insertInto('characters')
          .values({
            id,
            owner_id: event.data.ownerId as string,
            version: event.revision,
            ...(fieldColumns(fields) as Required<ReturnType<typeof fieldColumns>>),
            name: fields.name,
            created_at: at,
            updated_at: at,
            deleted_at: null,
          } as never)
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        return;
      }
      case 'CharacterUpdated':
        await newer(db.updateTable('characters').set({ ...fieldColumns(event.data.changes as CharacterChanges), version: event.revision, updated_at: at } as never)).execute();
        return;
      case 'CharacterDeleted':
        await newer(db.updateTable('characters').set({ deleted_at: at, version: event.revision, updated_at: at })).execute();
        return;
      case 'CharacterRestored':
        await newer(db.updateTable('characters').set({ deleted_at: null, version: event.revision, updated_at: at })).execute();
        return;
    }
  },
};
