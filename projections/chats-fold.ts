import type { Selectable } from 'kysely';
import type { ChatsTable } from '../infra/db/read-model-types.ts';
import type { MessagePostedData } from '../shared/events/chat-events.ts';
import { inJsonbOrder } from '../shared/chats/jsonb-order.ts';
import { sillyTavernLineParts } from '../shared/chats/sillytavern-line-parts.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { importedSeq, postedOf } from '../shared/chats/imported-messages.ts';
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
    state: d.state ?? 'in-progress',
    settings: json(d.settings),
    parent_chat_id: d.forkedFrom?.chatId ?? null,
    forked_from_message_id: d.forkedFrom?.messageId ?? null,
    root_chat_id: d.forkedFrom?.rootChatId ?? d.chatId,
    imported_from: d.importedFrom,
    group_id: d.groupId ?? null,
    message_count: 0,
    created_at: d.createdAt ? new Date(d.createdAt) : event.createdAt,
    updated_at: d.lastModified ? new Date(d.lastModified) : event.createdAt,
    last_activity_at: d.lastModified ? new Date(d.lastModified) : event.createdAt,
    deleted_at: null,
  };
}

/**
 * When a run of a chat's events last changed it: a chat created in the run with a date of its own (an import) keeps
 * that date; otherwise the run's last event.
 */
export function runTimes(created: RecordedEvent<'ChatCreated'> | null, last: RecordedEvent) {
  const at = created?.data.lastModified ? new Date(created.data.lastModified) : last.createdAt;
  return { updated_at: at, last_activity_at: at };
}

export function messageRow(event: RecordedEvent<'MessagePosted'>, onPath: boolean): Record<string, unknown> {
  return postedRow(event.data, event.revision, event.createdAt, onPath);
}

/** A message's row from what its post carries, its order in the chat (`seq`) and the time its event was stored. */
function postedRow(d: MessagePostedData, seq: number, storedAt: Date, onPath: boolean): Record<string, unknown> {
  const line = sillyTavernLineParts({
    sender: d.sender,
    createdAt: d.sentAt ? new Date(d.sentAt) : storedAt,
    // its SillyTavern fields in the key order a read of the stored jsonb column gives, which an export from the row sees
    metadata: d.metadata?.sillytavern === undefined ? null : { sillytavern: inJsonbOrder(d.metadata.sillytavern) },
  });
  return {
    id: d.messageId,
    chat_id: d.chatId,
    seq,
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
    created_at: d.sentAt ?? storedAt,
    updated_at: storedAt,
    deleted_at: null,
    st_line_head: line.head,
    st_swipe_info: line.swipeInfo,
  };
}

/** The messages an event adds, each with its order in the chat: a post's is its revision, an import's below 1. */
function addedMessages(event: RecordedEvent<'MessagePosted' | 'MessagesImported'>): Array<{ data: MessagePostedData; seq: number }> {
  if (event.type === 'MessagePosted') return [{ data: event.data, seq: event.revision }];
  const data = event.data;
  return postedOf(data).map((posted, i) => ({ data: posted, seq: importedSeq(data, i) }));
}

/** How many messages an event adds to its chat. */
export const messagesAdded = (event: RecordedEvent<'MessagePosted' | 'MessagesImported'>): number =>
  event.type === 'MessagePosted' ? 1 : event.data.messages.length;

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
  | 'MessagesImported'
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
  MessagesImported: (event) => touched(event, event.data.messages.length),
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

/** Events that add messages: what a run of creation and additions is made of (besides the creation). */
export const isAddition = (event: RecordedEvent): event is RecordedEvent<'MessagePosted' | 'MessagesImported'> =>
  event.type === 'MessagePosted' || event.type === 'MessagesImported';

/**
 * What a run of one chat (its creation and additions, or additions) writes: its message rows and path changes.
 * `additions` are the run's events after the creation, `messages` how many messages they add.
 */
export function planRun(run: ChatProjectionEvent[]) {
  const first = run[0]!;
  const created = first.type === 'ChatCreated' ? first : null;
  // A run is its chat's creation (or nothing) followed by additions only (the writer makes runs so).
  const additions = run.filter(isAddition);
  const rows: Record<string, unknown>[] = [];
  const newRows = new Map<string, Record<string, unknown>>();
  // The run's own rows on the path, by depth (one per depth), so a path change turns off only what it must.
  const onAt: Array<Record<string, unknown> | undefined> = [];
  const existingOn = new Map<string, number>();
  let minFrom = Number.POSITIVE_INFINITY;
  for (const event of additions) {
    for (const { data, seq } of addedMessages(event)) {
      const row = postedRow(data, seq, event.createdAt, false);
      rows.push(row);
      newRows.set(row.id as string, row);
      const path = data.path;
      if (!path) continue;
      minFrom = Math.min(minFrom, path.from);
      for (let depth = path.from; depth < onAt.length; depth++) {
        if (onAt[depth]) onAt[depth]!.on_path = false;
        onAt[depth] = undefined;
      }
      for (const [id, depth] of existingOn) if (depth >= path.from) existingOn.delete(id);
      path.ids.forEach((id, i) => {
        const mine = newRows.get(id);
        if (mine) {
          mine.on_path = true;
          onAt[mine.depth as number] = mine;
        } else existingOn.set(id, path.from + i);
      });
    }
  }
  return {
    created,
    additions,
    messages: rows.length,
    rows,
    existingOn: [...existingOn.keys()],
    minFrom: created ? null : Number.isFinite(minFrom) ? minFrom : null,
  };
}
