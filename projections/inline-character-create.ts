import { sql, type QueryCreator, type Selectable } from 'kysely';
import type { CharactersTable, ReadModels } from '../infra/db/read-model-types.ts';
import { APPENDED_CTE, type InlineWork } from '../infra/eventstore/event-store.ts';
import { isCatalogued, type RecordedEvent } from '../shared/events/recorded-event.ts';
import { fold, rowOf } from './characters-fold.ts';
import { withUpcast } from './projection-runner.ts';

const CREATED = new Set(['CharacterCreated', 'CharacterImported']);

/** A character's row as stored (the shape a query reads). */
export type CharacterRow = Selectable<CharactersTable>;

/**
 * The characters projection of a created (or imported) character, written by its append's own statement
 * (`EventStore.appendMultipleInline`: the character's stream and its name reservation in one append): one round
 * trip and one commit for the events and the character's row, and an answer that needs no wait for the projector
 * and no read. The row is the one the projection's fold makes of the event (`fold`), so the projector's later pass
 * over it finds the row at the event's revision and leaves it (its upsert's revision guard), and a rebuild writes
 * the same row. The other projections that note a creation (audit, usage analytics) apply it from the log as before.
 */
export function characterCreateInline(schema: string): InlineWork<CharacterRow> {
  return {
    statement: (db, recorded) => {
      const event = recorded.map((e) => withUpcast(e)).find((e) => isCatalogued<'CharacterCreated' | 'CharacterImported'>(e, CREATED));
      if (event) return createdInline(db.withSchema(schema), schema, event);
      return db.with('inline', () => sql<{ id: string }>`(SELECT NULL::uuid AS id WHERE false)`);
    },
    answer: (row) => (row.id ? (characterColumnsOf(row) as CharacterRow) : undefined),
  };
}

/** The new row, inserted once every append of the statement ran (the aggregate `appended` row exists only then). */
function createdInline(db: QueryCreator<ReadModels>, schema: string, event: RecordedEvent<'CharacterCreated' | 'CharacterImported'>) {
  const columns = fold(undefined, event)!.columns;
  const names = Object.keys(columns);
  // The record's column types come from the table itself (jsonb, text[], timestamptz), as the projector's upsert's do.
  const record = JSON.stringify(rowOf(columns));
  return db.with('inline', (qb) =>
    qb
      .insertInto('characters')
      .columns(names as never)
      .expression(
        sql`SELECT ${sql.join(names.map((c) => sql.ref(`r.${c}`)))}
          FROM jsonb_populate_record(NULL::${sql.id(schema, 'characters')}, ${record}::jsonb) AS r
          WHERE EXISTS (SELECT 1 FROM ${sql.raw(APPENDED_CTE)})`,
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll(),
  );
}

/** The answer's row without the append's own columns (the statement's row joins both). */
function characterColumnsOf(row: Record<string, unknown>): Record<string, unknown> {
  const { new_revisions: _revisions, last_positions: _positions, tx: _tx, ...character } = row;
  return character;
}
