import type { Selectable } from 'kysely';
import type { ChatsTable } from '../infra/db/read-model-types.ts';
import { inJsonbOrder } from '../shared/chats/jsonb-order.ts';
import { sillyTavernLineParts } from '../shared/chats/sillytavern-line-parts.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { foldEvent, typesOf, type EventFolds } from './projection.ts';

/**
 * The chats read model's rules as pure functions (no I/O): a new chat's row, a message's row, what each later
 * event changes on its chat's row, and what a run of posts writes. The writer (chats-projection.ts) applies them
 * with guarded statements; time travel (`as_of`, queries/resource-as-of.ts) folds a past row with the same rules.
 */
export const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

/** A chat's row as the writer writes it: the table's columns, JSON ones as JSON text; variables and timed state apart. */
export type ChatRowValues = Omit<Selectable<ChatsTable>, 'settings' | 'variables' | 'world_info_timed_state'> & { settings: string | null };

/** A new chat's row (JSON columns as JSON text). */
export function chatRow(event: RecordedEvent<'ChatCreated'>): ChatRowValues {
  const d = event.data;
  return {
    id: d.chatId,
    owner_id: d.ownerId,
    version: event.revision,
    character_id: d.characterId,
    character_name: d.characterName,
    title: d.title,
    rating: null,
    state: 'in-progress',
    settings: json(d.settings),
    parent_chat_id: d.forkedFrom?.chatId ?? null,
    forked_from_message_id: d.forkedFrom?.messageId ?? null,
    root_chat_id: d.forkedFrom?.rootChatId ?? d.chatId,
    imported_from: d.importedFrom,
    group_id: d.groupId ?? null,
    message_count: 0,
    created_at: event.createdAt,
    updated_at: event.createdAt,
    last_activity_at: event.createdAt,
    deleted_at: null,
  };
}

export function messageRow(event: RecordedEvent<'MessagePosted'>, onPath: boolean): Record<string, unknown> {
  const d = event.data;
  const line = sillyTavernLineParts({
    sender: d.sender,
    createdAt: d.sentAt ? new Date(d.sentAt) : event.createdAt,
    // its SillyTavern fields in the key order a read of the stored jsonb column gives, which an export from the row sees
    metadata: d.metadata?.sillytavern === undefined ? null : { sillytavern: inJsonbOrder(d.metadata.sillytavern) },
  });
  return {
    id: d.messageId,
    chat_id: d.chatId,
    seq: event.revision,
    parent_id: d.parentId,
    sibling_group: d.parentId ?? d.chatId,
    depth: d.depth,
    on_path: onPath,
    sender: d.sender,
    name: d.name,
    speaker_id: d.speakerId ?? null,
    content: d.content,
    image_sha256: d.image?.sha256 ?? null,
    image_media_type: d.image?.mediaType ?? null,
    image_size: d.image?.size ?? null,
    metadata: json(d.metadata),
    alternate_of: d.alternateOf,
    version: 1,
    created_at: d.sentAt ?? event.createdAt,
    updated_at: event.createdAt,
    deleted_at: null,
    st_line_head: line.head,
    st_swipe_info: line.swipeInfo,
  };
}

/** What an event (other than creation) changes on its chat's row: plain column values, the change of the message count, variables set. */
export interface ChatRowChange {
  columns: Partial<ChatRowValues> & { world_info_timed_state?: string | null };
  messageCountDelta: number;
  variablesSet?: Record<string, string>;
}

const touched = (event: RecordedEvent, messageCountDelta: number): ChatRowChange => ({
  columns: { version: event.revision, updated_at: event.createdAt, last_activity_at: event.createdAt },
  messageCountDelta,
});

/** Every event the chats read model handles but creation, and what it changes on its chat's row. */
export const chatRowFolds: EventFolds<
  | 'ChatUpdated'
  | 'ChatDeleted'
  | 'ChatRestored'
  | 'MessagePosted'
  | 'MessageEdited'
  | 'MessageDeleted'
  | 'MessageRestored'
  | 'MessageSelected'
  | 'MessagePinned'
  | 'ChatErased'
  | 'ChatVariablesChanged'
  | 'WorldInfoTimedEffectsChanged',
  ChatRowChange
> = {
  MessagePosted: (event) => touched(event, 1),
  MessageRestored: (event) => touched(event, 1),
  MessageDeleted: (event) => touched(event, -1),
  MessageEdited: (event) => touched(event, 0),
  MessageSelected: (event) => touched(event, 0),
  ChatErased: (event) => ({ columns: { version: event.revision, updated_at: event.createdAt }, messageCountDelta: 0 }),
  MessagePinned: (event) => ({ columns: { version: event.revision, updated_at: event.createdAt }, messageCountDelta: 0 }),
  ChatUpdated(event) {
    const { settings, ...plain } = event.data.changes;
    return {
      columns: {
        version: event.revision,
        updated_at: event.createdAt,
        ...plain,
        ...(settings !== undefined ? { settings: json(settings) } : {}),
      },
      messageCountDelta: 0,
    };
  },
  ChatVariablesChanged(event) {
    const after: Record<string, string> = {};
    for (const change of event.data.changes) after[change.name] = change.value;
    return { columns: { version: event.revision }, messageCountDelta: 0, variablesSet: after };
  },
  WorldInfoTimedEffectsChanged: (event) => ({
    columns: { version: event.revision, world_info_timed_state: json(event.data.state) },
    messageCountDelta: 0,
  }),
  ChatDeleted: (event) => ({
    columns: { version: event.revision, updated_at: event.createdAt, deleted_at: event.createdAt },
    messageCountDelta: 0,
  }),
  ChatRestored: (event) => ({ columns: { version: event.revision, updated_at: event.createdAt, deleted_at: null }, messageCountDelta: 0 }),
};

export type ChatRowEvent = RecordedEvent<keyof typeof chatRowFolds>;
export type ChatProjectionEvent = RecordedEvent<'ChatCreated'> | ChatRowEvent;
export const CHAT_EVENTS = ['ChatCreated' as const, ...typesOf(chatRowFolds)];
const rowEventTypes: ReadonlySet<string> = new Set(typesOf(chatRowFolds));

/**
 * What an event (other than creation) changes on its chat's row; an event of the chat's stream the read model
 * does not handle only moves the version (time travel folds every event of the stream).
 */
export function chatRowChanges(event: RecordedEvent): ChatRowChange {
  if (isChatRowEvent(event)) return foldEvent(chatRowFolds, event, undefined);
  return { columns: { version: event.revision, updated_at: event.createdAt }, messageCountDelta: 0 };
}

function isChatRowEvent(event: RecordedEvent): event is ChatRowEvent {
  return rowEventTypes.has(event.type);
}

/** What a run of one chat (its creation and posts, or posts) writes: its message rows and path changes. */
export function planRun(run: ChatProjectionEvent[]) {
  const first = run[0]!;
  const created = first.type === 'ChatCreated' ? first : null;
  // A run is its chat's creation (or nothing) followed by posts only (the writer makes runs so).
  const posts = run.filter((e): e is RecordedEvent<'MessagePosted'> => e.type === 'MessagePosted');
  const rows: Record<string, unknown>[] = [];
  const newRows = new Map<string, Record<string, unknown>>();
  const existingOn = new Map<string, number>();
  let minFrom = Number.POSITIVE_INFINITY;
  for (const event of posts) {
    const row = messageRow(event, false);
    rows.push(row);
    newRows.set(row.id as string, row);
    const path = event.data.path;
    if (!path) continue;
    minFrom = Math.min(minFrom, path.from);
    for (const r of rows) if (r.on_path && (r.depth as number) >= path.from) r.on_path = false;
    for (const [id, depth] of existingOn) if (depth >= path.from) existingOn.delete(id);
    path.ids.forEach((id, i) => {
      const mine = newRows.get(id);
      if (mine) mine.on_path = true;
      else existingOn.set(id, path.from + i);
    });
  }
  return { created, posts, rows, existingOn: [...existingOn.keys()], minFrom: created ? null : Number.isFinite(minFrom) ? minFrom : null };
}
