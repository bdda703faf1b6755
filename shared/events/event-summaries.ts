/**
 * A readable account of each event type, for history and audit: one sentence saying what changed, the fields
 * the payload names as changed, and the sub-resources it touched (world-book entries, chat messages), which is
 * how an entry's or a message's history is cut out of its book's or chat's stream. Built from the payload
 * alone (no state), so the audit projection can store it as the event arrives. An event type without an entry
 * here still gets a summary (its type name), so a new event never breaks history or audit.
 */
export interface EventSummary {
  text: string;
  /** Fields the event changed, when its payload says (a partial update). */
  fields: string[];
  /** Ids of the entries or messages the event touched. */
  subjects: string[];
}

type Data = Record<string, any>;
type Summarizer = (data: Data) => Partial<EventSummary> & { text: string };

const quoted = (s: unknown, max = 60) => {
  const text = typeof s === 'string' ? s.replace(/\s+/g, ' ').trim() : '';
  return `"${text.length > max ? `${text.slice(0, max - 1)}…` : text}"`;
};
const list = (items: readonly string[]) => (items.length ? items.join(', ') : 'nothing');
const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
const entries = (n: number) => plural(n, 'entry', 'entries');
const camelToSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const cardName = (d: Data) => quoted(d.card?.data?.name);
const sourceText = (source: Data | undefined) =>
  source?.format
    ? ` from ${source.format}${source.filename ? ` (${source.filename})` : ''}`
    : source?.filename
      ? ` from ${source.filename}`
      : '';
const entryLabel = (entry: Data | undefined) => {
  const label = entry?.comment || (Array.isArray(entry?.keys) ? entry.keys.slice(0, 3).join(', ') : '');
  return `entry${entry?.uid !== undefined ? ` ${String(entry.uid)}` : ''}${label ? ` ${quoted(label, 40)}` : ''}`;
};
const entryIds = (records: unknown): string[] => (Array.isArray(records) ? records.map((r: Data) => r.entryId as string) : []);

const summarizers: Record<string, Summarizer> = {
  // characters
  CharacterCreated: (d) => ({ text: `created character ${cardName(d)}` }),
  CharacterImported: (d) => ({ text: `imported character ${cardName(d)}${sourceText(d.source)}` }),
  CharacterUpdated: (d) => {
    const fields = [...Object.keys(d.changes ?? {}), ...Object.keys(d.dataChanges ?? {})];
    return { text: `changed ${list(fields)}`, fields };
  },
  CharacterCardReplaced: (d) => ({ text: `replaced the card with ${cardName(d)}${sourceText(d.source)}` }),
  CharacterReverted: (d) => ({ text: `reverted to version ${String(d.toVersion)}` }),
  CharacterDeleted: () => ({ text: 'deleted the character' }),
  CharacterRestored: () => ({ text: 'restored the character' }),
  CharacterNameReserved: (d) => ({ text: `reserved the name ${quoted(d.name)}` }),
  CharacterNameReleased: (d) => ({ text: `released the name ${quoted(d.name)}` }),
  // world books
  WorldBookCreated: (d) => ({
    text: `${d.source?.kind === 'import' ? 'imported' : d.source?.kind === 'card' ? 'created from a card' : 'created'} world book ${quoted(d.book?.name)} with ${entries((d.entries?.length ?? 0) + (d.continuedEntries ?? 0))}${sourceText(d.source)}`,
    subjects: entryIds(d.entries),
  }),
  WorldBookUpdated: (d) => {
    const fields = Object.keys(d.changes ?? {}).map(camelToSnake);
    return { text: `changed ${list(fields)}`, fields };
  },
  WorldBookContentReplaced: (d) => ({
    text: `replaced the content with ${quoted(d.book?.name)}, ${entries((d.entries?.length ?? 0) + (d.continuedEntries ?? 0))}${sourceText(d.source)}`,
    subjects: entryIds(d.entries),
  }),
  WorldBookEntriesImported: (d) => ({ text: `stored ${entries(d.entries?.length ?? 0)} more of the book`, subjects: entryIds(d.entries) }),
  WorldBookDeleted: () => ({ text: 'deleted the world book' }),
  WorldBookRestored: () => ({ text: 'restored the world book' }),
  WorldBookEntryAdded: (d) => ({ text: `added ${entryLabel(d.entry)}`, subjects: [d.entryId] }),
  WorldBookEntryUpdated: (d) => ({ text: `changed ${entryLabel(d.entry)}`, subjects: [d.entryId] }),
  WorldBookEntryDeleted: () => ({ text: 'deleted an entry' }),
  WorldBookEntriesBulkChanged: (d) => {
    const n = (d.updated?.length ?? 0) + (d.deletedEntryIds?.length ?? 0);
    const what =
      {
        enable: 'enabled',
        disable: 'disabled',
        delete: 'deleted',
        set_priority: `set the priority to ${String(d.value)} of`,
        set_order: `set the order to ${String(d.value)} of`,
      }[d.operation as string] ?? String(d.operation);
    return { text: `${what} ${entries(n)}`, subjects: [...entryIds(d.updated), ...(d.deletedEntryIds ?? [])] };
  },
  WorldBookAttached: (d) => ({
    text: `attached world book ${String(d.worldBookId)} (priority ${String(d.priority)}${d.enabled === false ? ', disabled' : ''})`,
  }),
  WorldBookDetached: (d) => ({ text: `detached world book ${String(d.worldBookId)}` }),
  WorldInfoActivationsRecorded: (d) => ({
    text: `recorded ${plural(d.worldBookEntries?.length ?? 0, 'activated entry', 'activated entries')}`,
    subjects: (d.worldBookEntries ?? []).map((e: Data) => e.entryId),
  }),
  // chats
  ChatCreated: (d) => ({
    text: `${d.forkedFrom ? 'forked' : d.importedFrom ? `imported (${String(d.importedFrom)})` : 'started'} chat ${quoted(d.title)} with ${quoted(d.characterName)}`,
  }),
  ChatUpdated: (d) => {
    const fields = Object.keys(d.changes ?? {});
    return { text: `changed ${list(fields)}`, fields };
  },
  ChatDeleted: () => ({ text: 'deleted the chat' }),
  ChatRestored: () => ({ text: 'restored the chat' }),
  MessagePosted: (d) => ({
    text: `${d.alternateOf ? 'added an alternate' : 'posted'} (${String(d.sender)}): ${quoted(d.content)}${d.image ? ' with an image' : ''}`,
    subjects: [d.messageId, ...(d.alternateOf ? [d.alternateOf] : [])],
  }),
  MessagesImported: (d) => {
    const messages = (d.messages ?? []) as Data[];
    const to = Number(d.first ?? 0) + messages.length;
    return {
      text: `imported ${plural(messages.length, 'message')} (${String(Number(d.first ?? 0) + 1)}–${String(to)} of ${String(d.total)})`,
      subjects: messages.map((m) => String(m.messageId)),
    };
  },
  MessageEdited: (d) => ({
    text: `edited a message (now version ${String(d.messageVersion)}): ${quoted(d.content)}`,
    fields: ['content'],
    subjects: [d.messageId],
  }),
  MessageDeleted: (d) => ({ text: 'deleted a message', subjects: [d.messageId] }),
  MessageRestored: (d) => ({ text: 'restored a message', subjects: [d.messageId] }),
  MessageSelected: (d) => ({ text: 'selected a message (swipe)', subjects: [d.messageId] }),
  ChatErased: (d) => ({ text: 'erased a chat for good', subjects: [d.chatId] }),
  MessagePinned: (d) => ({ text: d.pinned ? 'pinned a message' : 'unpinned a message', subjects: [d.messageId] }),
  ChatVariablesChanged: (d) => {
    const names = [...new Set(((d.changes ?? []) as Data[]).map((c) => String(c.name)))];
    return { text: `set chat ${plural(names.length, 'variable', 'variables')} ${list(names)}`, fields: ['variables'] };
  },
  WorldInfoTimedEffectsChanged: (d) => {
    const effects = (d.effects ?? []) as Data[];
    const count = (t: string) => effects.filter((e) => e.type === t).length;
    const parts = [
      ['sticky_started', 'sticky started'],
      ['sticky_ended', 'sticky ended'],
      ['cooldown_started', 'cooldown started'],
      ['cooldown_ended', 'cooldown ended'],
    ].flatMap(([t, label]) => (count(t!) > 0 ? [`${label} ×${count(t!)}`] : []));
    return { text: `lorebook timed effects: ${parts.length > 0 ? parts.join(', ') : `${effects.length} changed`}` };
  },
  CompletionFailed: (d) => ({
    text: `a completion failed (${String(d.status)} ${String(d.code)}) with ${String(d.provider ?? 'no provider')}${d.model ? `/${String(d.model)}` : ''}`,
  }),
  UserDataForgotten: (d) => ({
    text: `forgot user ${quoted(d.userId)} at the request of ${quoted(d.requestedBy)}: ${plural(Number(d.keysDestroyed ?? 0), 'key')} destroyed, ${plural(Number(d.blobsDeleted ?? 0), 'blob')} deleted, ${plural(Number(d.apiKeysRevoked ?? 0), 'API key')} revoked`,
  }),
  UserDefaultsChanged: (d) => ({
    text: `set the defaults to ${Object.keys(d.defaults ?? {}).length > 0 ? JSON.stringify(d.defaults) : 'the built-in ones'}`,
    fields: Object.keys(d.defaults ?? {}),
  }),
  ChatSlotTaken: (d) => ({ text: `counted chat ${String(d.chatId)} against the chat limit` }),
  ChatSlotFreed: (d) => ({ text: `freed chat ${String(d.chatId)} from the chat limit` }),
  // chat dictionaries
  ChatDictionaryCreated: (d) => ({
    text: `${d.source?.kind === 'import' ? 'imported' : 'created'} chat dictionary ${quoted(d.meta?.name)} with ${entries(d.entries?.length ?? 0)}${sourceText(d.source)}`,
    subjects: entryIds(d.entries),
  }),
  ChatDictionaryUpdated: (d) => {
    const fields = Object.keys(d.changes ?? {});
    return { text: `changed ${list(fields)}`, fields };
  },
  ChatDictionaryDeleted: () => ({ text: 'deleted the chat dictionary' }),
  ChatDictionaryRestored: () => ({ text: 'restored the chat dictionary' }),
  ChatDictionaryEntryAdded: (d) => ({
    text: `added entry ${quoted(d.entry?.pattern, 40)} → ${quoted(d.entry?.replacement, 40)}`,
    subjects: [d.entryId],
  }),
  ChatDictionaryEntryUpdated: (d) => ({ text: `changed entry ${quoted(d.entry?.pattern, 40)}`, subjects: [d.entryId] }),
  ChatDictionaryEntryDeleted: () => ({ text: 'deleted an entry' }),
  ChatDictionaryEntriesReordered: (d) => ({
    text: `reordered ${entries(d.entryIds?.length ?? 0)}`,
    fields: ['priority'],
    subjects: d.entryIds ?? [],
  }),
  ChatDictionaryAttached: (d) => ({
    text: `attached chat dictionary ${String(d.dictionaryId)} to the ${String(d.targetKind)} (priority ${String(d.priority)}, applied to ${String(d.applyTo)}${d.enabled === false ? ', disabled' : ''})`,
  }),
  ChatDictionaryDetached: (d) => ({ text: `detached chat dictionary ${String(d.dictionaryId)} from the ${String(d.targetKind)}` }),
  // personas
  PersonaCreated: (d) => ({
    text: `${d.source?.kind === 'import' ? 'imported' : 'created'} persona ${quoted(d.fields?.name)}${d.fields?.is_default ? ' (the default)' : ''}`,
  }),
  PersonaUpdated: (d) => {
    const fields = Object.keys(d.changes ?? {});
    return { text: `changed ${list(fields)}`, fields };
  },
  PersonaDeleted: () => ({ text: 'deleted the persona' }),
  PersonaRestored: () => ({ text: 'restored the persona' }),
  PersonaSlotTaken: (d) => ({ text: `counted persona ${String(d.personaId)} against the persona limit` }),
  PersonaSlotFreed: (d) => ({ text: `freed persona ${String(d.personaId)} from the persona limit` }),
  DefaultPersonaChanged: (d) => ({
    text: d.personaId ? `made persona ${String(d.personaId)} the default` : `no default persona (was ${String(d.previousPersonaId)})`,
  }),
  // groups
  GroupCreated: (d) => ({
    text: `${d.source?.kind === 'import' ? 'imported' : 'created'} group ${quoted(d.group?.name)} with ${plural(d.group?.members?.length ?? 0, 'member')}${sourceText(d.source)}`,
  }),
  GroupUpdated: (d) => {
    const fields = Object.keys(d.changes ?? {});
    return { text: `changed ${list(fields)}`, fields };
  },
  GroupDeleted: () => ({ text: 'deleted the group' }),
  GroupRestored: () => ({ text: 'restored the group' }),
  // chat summaries
  ChatSummaryWritten: (d) => ({
    text: `summarised ${plural(d.sourceMessageIds?.length ?? 0, 'message')} of chat ${String(d.chatId)} (${String(d.origin)})`,
    subjects: d.sourceMessageIds ?? [],
  }),
  ChatSummaryRevised: (d) => {
    const fields = ['text', 'pinned'].filter((k) => d[k] !== undefined);
    return { text: `${d.origin === 'regenerate' ? 'regenerated' : 'revised'} the summary (${list(fields)})`, fields };
  },
  ChatSummaryDeleted: () => ({ text: 'deleted the summary' }),
  MessagesEmbedded: (d) => ({
    text: `embedded ${plural(d.vectors?.length ?? 0, 'message')} with ${String(d.model)}`,
    subjects: (d.vectors ?? []).map((v: Data) => v.messageId),
  }),
  ChatDictionaryEffectsRecorded: (d) => ({
    text: `chat dictionary timed effects: ${plural(d.changes?.length ?? 0, 'change')} at chat length ${String(d.chatLength)}`,
  }),
};

// The entry or message an event names is always one of its subjects, whatever the summarizer lists.
const subjectKeys = ['entryId', 'messageId'] as const;

export function summarizeEvent(type: string, data: Record<string, unknown>): EventSummary {
  const summarizer = summarizers[type];
  let result: Partial<EventSummary> & { text: string };
  try {
    result = summarizer ? summarizer(data as Data) : { text: type };
  } catch {
    result = { text: type };
  }
  const subjects = new Set((result.subjects ?? []).filter((s): s is string => typeof s === 'string'));
  for (const key of subjectKeys) if (typeof data[key] === 'string') subjects.add(data[key] as string);
  return { text: result.text, fields: result.fields ?? [], subjects: [...subjects] };
}

/** Whether an event type has its own summary (tests check the catalogue is covered). */
export function hasSummary(type: string): boolean {
  return type in summarizers;
}
