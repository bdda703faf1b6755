import { foldEvent, defineProjection } from './projection.ts';
import { PERSONA_EVENTS, personaChangeFolds, personaRow } from './personas-fold.ts';

/**
 * Personas, one row each; the rules are in personas-fold.ts. A change first checks the row's `version` against its
 * stream revision: an event already applied is skipped, one for a persona without a row stops the projection.
 * Rows have `owner_id`, so forgetting a user deletes theirs.
 */
export const personasProjection = defineProjection({
  name: 'personas',
  handles: PERSONA_EVENTS,
  tables: ['personas'],
  async apply(db, event) {
    if (event.type === 'PersonaCreated') {
      await db
        .insertInto('personas')
        .values(personaRow(event))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return;
    }
    const personaId = event.data.personaId;
    const row = await db.selectFrom('personas').select('version').where('id', '=', personaId).executeTakeFirst();
    if (!row) throw new Error(`${event.type} for persona ${personaId}, which has no row`);
    if (row.version >= event.revision) return;
    await db
      .updateTable('personas')
      .set(foldEvent(personaChangeFolds, event, undefined))
      .where('id', '=', personaId)
      .where('version', '<', event.revision)
      .execute();
  },
});
