import { sql, type QueryCreator, type RawBuilder } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { APPENDED_CTE } from '../infra/eventstore/event-store.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { chatRowChanges, messageRow } from './chats-fold.ts';
import type { InlinePostedRow } from './chats-projection.ts';

/**
 * The CTEs of a posted message written by its append's own statement (`postedInline` in chats-projection.ts), as
 * SQL text written once per schema, column set and path shape: a post binds only its values, no query is built on
 * the request's path. The writes are those of the projector's `applyPosted` with the inline guard (the chat row
 * exactly one revision behind, once the append ran); rows come from `jsonb_populate_record` of the fold's values,
 * so every column has the table's own type. Undefined when the fold's change is not a plain column update (the
 * caller then builds the statement).
 */
export function postedInlineText(db: QueryCreator<ReadModels>, schema: string, event: RecordedEvent<'MessagePosted'>) {
  const { columns, messageCountDelta, variablesSet } = chatRowChanges(event);
  if (variablesSet) return undefined;
  const d = event.data;
  const row = messageRow(event, d.path?.ids.includes(d.messageId) ?? false);
  const others = d.path ? d.path.ids.filter((id) => id !== d.messageId) : [];
  const shape = !d.path ? 'none' : others.length === 0 ? 'off' : 'both';
  const chatNames = Object.keys(columns);
  const rowNames = Object.keys(row);
  const text = textsFor(schema, chatNames, rowNames, shape);
  // jsonb columns travel as JSON text in the fold's row; in the record they must be the values themselves.
  const record = JSON.stringify(row.metadata === null ? row : { ...row, metadata: JSON.parse(row.metadata as string) });
  let chain: QueryCreator<any> = db.with('guard', () =>
    bind(text.guard, [messageCountDelta, JSON.stringify(columns), d.chatId, event.revision - 1]),
  );
  if (d.path) chain = chain.with('path_off', () => bind(text.pathOff!, [d.chatId, d.path!.from, others]));
  if (others.length > 0) chain = chain.with('path_on', () => bind(text.pathOn!, [others]));
  return chain.with('inline', () => bind<InlinePostedRow>(text.insert, [record, row.sibling_group]));
}

type Texts = { guard: string[]; pathOff?: string[]; pathOn?: string[]; insert: string[] };
const texts = new Map<string, Texts>();

function textsFor(schema: string, chatNames: string[], rowNames: string[], shape: 'none' | 'off' | 'both'): Texts {
  const key = `${schema}\u0000${chatNames.join(',')}\u0000${rowNames.join(',')}\u0000${shape}`;
  let found = texts.get(key);
  if (found) return found;
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const chats = `${quote(schema)}.${quote('chats')}`;
  const messages = `${quote(schema)}.${quote('chat_messages')}`;
  const guarded = 'EXISTS (SELECT 1 FROM guard)';
  found = {
    // The guard waits for the append (`EXISTS appended`), so the chat row is locked after the stream.
    guard: [
      `(UPDATE ${chats} AS c SET ${chatNames.map((n) => `${quote(n)} = r.${quote(n)}`).join(', ')}, message_count = c.message_count + `,
      `::int FROM jsonb_populate_record(NULL::${chats}, `,
      `::jsonb) AS r WHERE c.id = `,
      `::uuid AND c.version = `,
      `::int AND EXISTS (SELECT 1 FROM ${quote(APPENDED_CTE)}) RETURNING c.id)`,
    ],
    // Two disjoint updates (on-path rows at or below `from` go off, listed rows come on), each on an index.
    ...(shape !== 'none'
      ? {
          pathOff: [
            `(UPDATE ${messages} SET on_path = false WHERE chat_id = `,
            `::uuid AND on_path = true AND depth >= `,
            `::int AND id <> ALL(`,
            `::uuid[]) AND ${guarded} RETURNING id)`,
          ],
        }
      : {}),
    ...(shape === 'both'
      ? { pathOn: [`(UPDATE ${messages} SET on_path = true WHERE id = ANY(`, `::uuid[]) AND on_path = false AND ${guarded} RETURNING id)`] }
      : {}),
    // The statement's snapshot is from before its insert: the count is of the siblings posted earlier.
    insert: [
      `(INSERT INTO ${messages} (${rowNames.map(quote).join(', ')}) SELECT ${rowNames.map((n) => `r.${quote(n)}`).join(', ')}
        FROM jsonb_populate_record(NULL::${messages}, `,
      `::jsonb) AS r, guard ON CONFLICT (id) DO NOTHING RETURNING *, (SELECT count(*) FROM ${messages} AS s
        WHERE s.sibling_group = `,
      `::uuid AND s.deleted_at IS NULL) AS earlier_siblings)`,
    ],
  };
  texts.set(key, found);
  return found;
}

/** The text's parts with the values between them, as a tagged template would make it. */
function bind<R = { id: string }>(parts: string[], values: unknown[]): RawBuilder<R> {
  const pieces: RawBuilder<unknown>[] = [];
  parts.forEach((part, i) => {
    pieces.push(sql.raw(part));
    if (i < values.length) pieces.push(sql`${values[i]}`);
  });
  return sql.join<R>(pieces, sql.raw(''));
}
