import { createdGroupRow, GROUP_EVENTS, groupChangeFolds } from './groups-fold.ts';
import { defineProjection, foldEvent } from './projection.ts';

/**
 * Groups, one row each; the rules are in groups-fold.ts. A change is applied only when the row's version is
 * older than the event's revision, so a redelivered event changes nothing.
 */
export const groupsProjection = defineProjection({
  name: 'groups',
  handles: GROUP_EVENTS,
  tables: ['groups'],
  async apply(db, event) {
    if (event.type === 'GroupCreated') {
      await db
        .insertInto('groups')
        .values(createdGroupRow(event))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return;
    }
    const change = foldEvent(groupChangeFolds, event, undefined);
    const updated = await db
      .updateTable('groups')
      .set(change)
      .where('id', '=', event.data.groupId)
      .where('version', '<', event.revision)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      const row = await db.selectFrom('groups').select('version').where('id', '=', event.data.groupId).executeTakeFirst();
      if (!row) throw new Error(`${event.type} for group ${event.data.groupId}, which has no row`);
    }
  },
});
