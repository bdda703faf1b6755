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
      if (event) return createdInline(db, schema, event);
      return db.with('inline', () => sql<{ id: string }>`(SELECT NULL::uuid AS id WHERE false)`);
    },
    answer: (row) => (row.id ? (characterColumnsOf(row) as CharacterRow) : undefined),
  };
}

/**
 * The new row, inserted once every append of the statement ran (the aggregate `appended` row exists only then). The
 * statement's text is the same for every creation (the fold writes the same columns), so it is written once per
 * column set and the record is its one parameter: no query building on the request's path.
 */
function createdInline(db: QueryCreator<ReadModels>, schema: string, event: RecordedEvent<'CharacterCreated' | 'CharacterImported'>) {
  const columns = fold(undefined, event)!.columns;
  // The record's column types come from the table itself (jsonb, text[], timestamptz), as the projector's upsert's do.
  const record = JSON.stringify(rowOf(columns));
  const text = insertText(schema, Object.keys(columns));
  return db.with('inline', () => sql`(${sql.raw(text.head)}${record}${sql.raw(text.tail)})`);
}

const insertTexts = new Map<string, { head: string; tail: string }>();

function insertText(schema: string, names: string[]): { head: string; tail: string } {
  const key = `${schema}\u0000${names.join(',')}`;
  let text = insertTexts.get(key);
  if (!text) {
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const table = `${quote(schema)}.${quote('characters')}`;
    text = {
      head: `INSERT INTO ${table} (${names.map(quote).join(', ')}) SELECT ${names.map((c) => `r.${quote(c)}`).join(', ')}
        FROM jsonb_populate_record(NULL::${table}, `,
      tail: `::jsonb) AS r WHERE EXISTS (SELECT 1 FROM ${APPENDED_CTE}) ON CONFLICT (id) DO NOTHING RETURNING *`,
    };
    insertTexts.set(key, text);
  }
  return text;
}

/** The answer's row without the append's own columns (the statement's row joins both). */
function characterColumnsOf(row: Record<string, unknown>): Record<string, unknown> {
  const { new_revisions: _revisions, last_positions: _positions, tx: _tx, ...character } = row;
  return character;
}
