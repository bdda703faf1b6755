import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

/** The JSON text (`JSON.stringify`) of the name a message without a name of its own is shown under, per sender. */
export interface SenderNamesJson {
  user: string;
  assistant: string;
  system: string;
}

/**
 * A chat's conversation as the lines of its SillyTavern file, joined by the database from each message's stored
 * line parts (`st_line_head`, `st_swipe_info`, written by the chats projection; shared/chats/sillytavern-line-parts.ts)
 * and its JSON-encoded name and text: one statement, one text value back, no per-message work in this process.
 * PostgreSQL's `to_json(text)` escapes exactly as `JSON.stringify` does (`\"`, `\\`, `\b \f \n \r \t`, `\u00XX` for
 * the other control characters, nothing else; text never holds a lone surrogate), so the lines are byte for byte the
 * ones `exportLine` builds. A message on the path with live alternates (found through the partial index of live
 * messages off the path) gets its `swipe_id`, `swipes` and `swipe_info`. Answers `undefined` when a message on the
 * path has no stored head (its SillyTavern fields move the line's keys): the caller builds that chat's file itself.
 */
export function createChatExportLines(db: Kysely<ReadModels>, schema: string) {
  const table = sql.id(schema, 'chat_messages');
  return {
    async sillyTavernLines(chatId: string, names: SenderNamesJson): Promise<{ lines: string; count: number } | undefined> {
      const { rows } = await sql<{ lines: string | null; count: number; complete: boolean | null }>`
        WITH alternated AS (
          SELECT DISTINCT sibling_group FROM ${table} WHERE chat_id = ${chatId} AND NOT on_path AND deleted_at IS NULL
        )
        SELECT string_agg(
                 '{"name":' || coalesce(to_json(nullif(m.name, ''))::text, CASE m.sender WHEN 'user' THEN ${names.user}
                   WHEN 'assistant' THEN ${names.assistant} ELSE ${names.system} END)
                 || m.st_line_head || to_json(m.content)::text
                 || CASE WHEN m.sibling_group IN (SELECT sibling_group FROM alternated) THEN (
                      SELECT ',"swipe_id":' || count(*) FILTER (WHERE s.seq < m.seq)
                        || ',"swipes":[' || string_agg(to_json(s.content)::text, ',' ORDER BY s.seq)
                        || '],"swipe_info":[' || string_agg(s.st_swipe_info, ',' ORDER BY s.seq) || ']'
                        FROM ${table} s WHERE s.sibling_group = m.sibling_group AND s.deleted_at IS NULL)
                    ELSE '' END
                 || '}', E'\n' ORDER BY m.depth) AS lines,
               count(*)::int AS count,
               bool_and(m.st_line_head IS NOT NULL) AS complete
          FROM ${table} m
         WHERE m.chat_id = ${chatId} AND m.on_path AND m.deleted_at IS NULL`.execute(db);
      const row = rows[0]!;
      if (row.complete === false) return undefined;
      return { lines: row.lines ?? '', count: row.count };
    },
  };
}

export type ChatExportLines = ReturnType<typeof createChatExportLines>;
