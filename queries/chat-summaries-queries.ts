import { sql, type Kysely, type Selectable } from 'kysely';
import type { ChatSummariesTable, ReadModels } from '../infra/db/read-model-types.ts';

export type SummaryRow = Selectable<ChatSummariesTable>;

/** What recall and the routes need of a summary. */
export interface BranchSummary {
  summary_id: string;
  text: string;
  source_message_ids: string[];
  pinned: boolean;
  version: number;
}

export interface SummaryView extends BranchSummary {
  chat_id: string;
  origin: string;
  model: string | null;
  /** Every source is on the chat's active path (deleted messages are not). */
  on_active_branch: boolean;
  created_at: string;
  updated_at: string;
}

export interface SummaryVersionView {
  version: number;
  text: string;
  pinned: boolean;
  origin: string;
  model: string | null;
  created_at: string;
}

export const toBranchSummary = (row: Pick<SummaryRow, 'id' | 'text' | 'source_message_ids' | 'pinned' | 'version'>): BranchSummary => ({
  summary_id: row.id,
  text: row.text,
  source_message_ids: row.source_message_ids,
  pinned: row.pinned,
  version: row.version,
});

/** Every source of the summary (`s`) is a live message on its chat's active path. */
const onActiveBranch = (schema: string) => sql<boolean>`NOT EXISTS (
  SELECT 1 FROM unnest(s.source_message_ids) AS src(id)
  WHERE NOT EXISTS (SELECT 1 FROM ${sql.table(`${schema}.chat_messages`)} m WHERE m.id = src.id AND m.on_path AND m.deleted_at IS NULL))`;

const toView = (row: SummaryRow & { on_active_branch: boolean }): SummaryView => ({
  ...toBranchSummary(row),
  chat_id: row.chat_id,
  origin: row.origin,
  model: row.model,
  on_active_branch: row.on_active_branch,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

/**
 * The live summaries of a chat whose sources are all among `activeMessageIds` (the active path recall works on),
 * oldest first: a fork or a swipe never sees a summary of messages that are not on its branch. `includeDeleted`:
 * deleted ones too (the summary trigger counts their sources as done, so a deleted summary is not written again).
 */
export async function summariesOnBranch(
  db: Kysely<ReadModels>,
  schema: string,
  chatId: string,
  activeMessageIds: readonly string[],
  options: { includeDeleted?: boolean } = {},
): Promise<BranchSummary[]> {
  if (activeMessageIds.length === 0) return [];
  let query = db
    .withSchema(schema)
    .selectFrom('chat_summaries')
    .select(['id', 'text', 'source_message_ids', 'pinned', 'version'])
    .where('chat_id', '=', chatId);
  if (!options.includeDeleted) query = query.where('deleted_at', 'is', null);
  const rows = await query
    .where(sql<boolean>`source_message_ids <@ ${sql.val([...activeMessageIds])}::uuid[]`)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toBranchSummary);
}

/** The routes' reads of summaries. */
export function createChatSummaryQueries(db: Kysely<ReadModels>, schema: string) {
  const scoped = db.withSchema(schema);
  const onBranch = onActiveBranch(schema);
  const withBranch = () => scoped.selectFrom('chat_summaries as s').selectAll('s').select(onBranch.as('on_active_branch'));
  return {
    /** The chat's live summaries, oldest first; only those on the active branch unless `includeOffBranch`. */
    async list(chatId: string, options: { includeOffBranch?: boolean } = {}): Promise<SummaryView[]> {
      let query = withBranch().where('s.chat_id', '=', chatId).where('s.deleted_at', 'is', null);
      if (!options.includeOffBranch) query = query.where(onBranch);
      const rows = await query.orderBy('s.created_at').orderBy('s.id').execute();
      return rows.map(toView);
    },
    async byId(summaryId: string): Promise<(SummaryView & { owner_id: string; deleted: boolean }) | undefined> {
      const row = await withBranch().where('s.id', '=', summaryId).executeTakeFirst();
      return row ? { ...toView(row), owner_id: row.owner_id, deleted: row.deleted_at !== null } : undefined;
    },
    /** Every version of a summary, oldest first (the superseded texts stay readable). */
    async versions(summaryId: string): Promise<SummaryVersionView[]> {
      const rows = await scoped
        .selectFrom('chat_summary_versions')
        .selectAll()
        .where('summary_id', '=', summaryId)
        .orderBy('version')
        .execute();
      return rows.map((r) => ({
        version: r.version,
        text: r.text,
        pinned: r.pinned,
        origin: r.origin,
        model: r.model,
        created_at: r.created_at.toISOString(),
      }));
    },
  };
}
