import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { MessageRow, MessageRowWithAlternates } from '../queries/chat-messages-queries.ts';
import type { TranscriptEntry } from '../queries/chat-transcript-queries.ts';
import type { ChatRow } from '../queries/chats-queries.ts';
import type { ChatSettings, Sender } from '../shared/chats/chat-fields.ts';
import { displayName } from '../shared/chats/chat-export.ts';
import { formatCreateDate, formatSendDate } from '../shared/chats/send-date.ts';
import type { StExportLine, StExportMessage } from '../shared/chats/sillytavern-chat.ts';
import { sillyTavernHeader } from '../shared/chats/sillytavern-settings.ts';

/**
 * The whole-chat and page reads as they were before issue 16 (item 2), kept for bench/chat-read.bench.ts's
 * same-run baseline and for the spec that the new reads answer byte for byte the same.
 */
export function createBaselineChatReads(db: Kysely<ReadModels>, schema: string) {
  const from = () => db.withSchema(schema).selectFrom('chat_messages as m');
  const withAlternates = () =>
    from()
      .selectAll('m')
      .select((eb) => [
        eb
          .selectFrom('chat_messages as s')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('s.sibling_group', '=', 'm.sibling_group')
          .where('s.deleted_at', 'is', null)
          .as('alternate_count'),
        eb
          .selectFrom('chat_messages as s')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('s.sibling_group', '=', 'm.sibling_group')
          .where('s.deleted_at', 'is', null)
          .whereRef('s.seq', '<', 'm.seq')
          .as('alternate_index'),
      ]);
  return {
    async transcript(chatId: string): Promise<TranscriptEntry[]> {
      const rows: MessageRow[] = await from()
        .selectAll('m')
        .where('m.chat_id', '=', chatId)
        .where('m.deleted_at', 'is', null)
        .orderBy('m.seq')
        .execute();
      const groups = new Map<string, MessageRow[]>();
      for (const row of rows) {
        const group = groups.get(row.sibling_group);
        if (group) group.push(row);
        else groups.set(row.sibling_group, [row]);
      }
      return rows
        .filter((row) => row.on_path)
        .sort((a, b) => a.depth - b.depth)
        .map((message) => {
          const alternates = groups.get(message.sibling_group)!;
          return { message, alternates, index: alternates.indexOf(message) };
        });
    },

    async pathPage(
      chatId: string,
      options: { order: 'asc' | 'desc'; limit: number; after?: number },
    ): Promise<{ items: MessageRowWithAlternates[]; hasMore: boolean; total: number }> {
      const bounds = await db
        .withSchema(schema)
        .selectNoFrom((eb) => [
          eb
            .selectFrom('chat_messages')
            .select('depth')
            .where('chat_id', '=', chatId)
            .where('on_path', '=', true)
            .orderBy('depth', 'desc')
            .limit(1)
            .as('last'),
          eb
            .selectFrom('chat_messages')
            .select(eb.fn.countAll<number>().as('n'))
            .where('chat_id', '=', chatId)
            .where('on_path', '=', true)
            .where('deleted_at', 'is not', null)
            .as('hidden'),
        ])
        .executeTakeFirstOrThrow();
      if (bounds.last === null || bounds.last === undefined) return { items: [], hasMore: false, total: 0 };
      const last = Number(bounds.last);
      const total = last + 1 - Number(bounds.hidden ?? 0);
      const desc = options.order === 'desc';
      const start = desc ? (options.after ?? last + 1) - 1 : (options.after ?? -1) + 1;
      const room = desc ? start + 1 : last - start + 1;
      for (let window = 2 * (options.limit + 1); ; window *= 8) {
        const [lo, hi] = desc ? [start - window + 1, start] : [start, start + window - 1];
        const rows = (await withAlternates()
          .where('m.chat_id', '=', chatId)
          .where('m.on_path', '=', true)
          .where('m.deleted_at', 'is', null)
          .where('m.depth', '>=', lo)
          .where('m.depth', '<=', hi)
          .orderBy('m.depth', options.order)
          .limit(options.limit + 1)
          .execute()) as MessageRowWithAlternates[];
        if (rows.length > options.limit || window >= room)
          return { items: rows.slice(0, options.limit), hasMore: rows.length > options.limit, total };
      }
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const stFields = (m: StExportMessage): Record<string, unknown> =>
  isObject(m.metadata?.sillytavern) ? (m.metadata.sillytavern as Record<string, unknown>) : {};

function swipeInfoOf(m: StExportMessage): Record<string, unknown> {
  const st = stFields(m);
  if (isObject(st.swipe_info)) return st.swipe_info;
  return {
    send_date: st.send_date ?? formatSendDate(m.createdAt),
    ...(st.gen_started ? { gen_started: st.gen_started } : {}),
    ...(st.gen_finished ? { gen_finished: st.gen_finished } : {}),
    extra: isObject(st.extra) ? st.extra : {},
  };
}

function exportLine({ message, alternates, index }: StExportLine): Record<string, unknown> {
  const { swipe_info: info, ...fields } = stFields(message);
  const swipeInfo = isObject(info) ? info : undefined;
  const line: Record<string, unknown> = {
    name: message.name,
    is_user: message.sender === 'user',
    is_system: message.sender === 'system',
    send_date: swipeInfo?.send_date ?? formatSendDate(message.createdAt),
    ...(swipeInfo?.gen_started ? { gen_started: swipeInfo.gen_started } : {}),
    ...(swipeInfo?.gen_finished ? { gen_finished: swipeInfo.gen_finished } : {}),
    extra: swipeInfo && isObject(swipeInfo.extra) ? swipeInfo.extra : message.sender === 'system' ? { type: 'narrator' } : {},
    ...fields,
    mes: message.content,
  };
  if (alternates.length > 1) {
    line.swipe_id = index;
    line.swipes = alternates.map((a) => a.content);
    line.swipe_info = alternates.map(swipeInfoOf);
  }
  return line;
}

function buildSillyTavernChat(header: Record<string, unknown> | null, lines: StExportLine[]): string {
  return [...(header ? [header] : []), ...lines.map(exportLine)].map((o) => JSON.stringify(o)).join('\n');
}

/** The conversation as a SillyTavern chat file (JSONL): its header, then each message with its alternates as swipes. */
export function baselineSillyTavernChatFile(chat: ChatRow, entries: TranscriptEntry[]): string {
  const header = sillyTavernHeader(chat.settings as ChatSettings, {
    characterName: chat.character_name,
    createDate: formatCreateDate(chat.created_at),
  });
  const stMessage = (m: TranscriptEntry['message']): StExportMessage => ({
    name: displayName(
      { name: m.name, sender: m.sender as Sender },
      {
        characterName: chat.character_name,
        userName: (header?.user_name as string | undefined) ?? (chat.settings as ChatSettings).user_name ?? 'User',
      },
    ),
    sender: m.sender as Sender,
    content: m.content,
    createdAt: m.created_at,
    metadata: m.metadata,
  });
  return buildSillyTavernChat(
    header,
    entries.map((e) => ({ message: stMessage(e.message), alternates: e.alternates.map(stMessage), index: e.index })),
  );
}
