import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { CHAT_SUMMARY_EVENTS, summaryChangeFolds, writtenSummaryRow } from './chat-summaries-fold.ts';
import { defineProjection, foldEvent } from './projection.ts';

/** Copies the summary's row as it is at `version` into its history (idempotent: a version is written once). */
async function recordVersion(db: Kysely<ReadModels>, summaryId: string, version: number) {
  await db
    .insertInto('chat_summary_versions')
    .columns(['summary_id', 'version', 'chat_id', 'owner_id', 'text', 'pinned', 'origin', 'model', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('chat_summaries')
        .select(['id', 'version', 'chat_id', 'owner_id', 'text', 'pinned', 'origin', 'model', 'updated_at'])
        .where('id', '=', summaryId)
        .where('version', '=', version),
    )
    .onConflict((oc) => oc.columns(['summary_id', 'version']).doNothing())
    .execute();
}

/**
 * Chat summaries: the current version of each (`chat_summaries`) and every version it had
 * (`chat_summary_versions`, written when a text or pin changes). A change is applied only when the row is older
 * than the event, so a redelivered event changes nothing. Both tables carry `owner_id`: forgetting a user purges them.
 */
export const chatSummariesProjection = defineProjection({
  name: 'chat_summaries',
  handles: CHAT_SUMMARY_EVENTS,
  tables: ['chat_summaries', 'chat_summary_versions'],
  async apply(db, event) {
    if (event.type === 'ChatSummaryWritten') {
      await db
        .insertInto('chat_summaries')
        .values(writtenSummaryRow(event))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await recordVersion(db, event.data.summaryId, event.revision);
      return;
    }
    const change = foldEvent(summaryChangeFolds, event, undefined);
    const updated = await db
      .updateTable('chat_summaries')
      .set(change)
      .where('id', '=', event.data.summaryId)
      .where('version', '<', event.revision)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      const row = await db.selectFrom('chat_summaries').select('version').where('id', '=', event.data.summaryId).executeTakeFirst();
      if (!row) throw new Error(`${event.type} for summary ${event.data.summaryId}, which has no row`);
      return;
    }
    if (event.type === 'ChatSummaryRevised') await recordVersion(db, event.data.summaryId, event.revision);
  },
});
