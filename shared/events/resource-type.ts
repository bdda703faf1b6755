import { eventDefinition } from './catalogue.ts';

/**
 * Which resource an event is about, from its stream id: `character-<id>` is the character `<id>`. The one
 * place that knows the stream prefixes; the event feed and the audit rows both ask it (the deciders in commands/
 * build the ids; a unit test checks that every one of them maps back here). Longer prefixes come first (`characterbooks-` before `character-`).
 */
const STREAM_PREFIXES: ReadonlyArray<readonly [prefix: string, resourceType: string, idOf?: (rest: string) => string]> = [
  ['worldbookactivations-', 'world-book-activations'],
  ['characterbooks-', 'character-world-books'],
  ['charactername-', 'character-name'],
  ['character-', 'character'],
  ['worldbook-', 'world-book'],
  ['user-chats-', 'user-chats'],
  ['user-personas-', 'user-personas'],
  ['persona-', 'persona'],
  ['user-completions-', 'user-completions'],
  ['chatsummary-', 'chat-summary'],
  ['chatembeddings-', 'chat-embeddings'],
  ['chat-', 'chat'],
  ['dataerasure-', 'user-data'],
  ['userdefaults-', 'user-defaults'],
  ['chatdictionary-', 'chat-dictionary'],
  ['group-', 'group'],
  // `dictionaryattachments-<kind>-<id>`: the attachments of the character or chat <id>, as `characterbooks-<id>`
  // holds a character's world books (so filtering by a character's id finds both).
  ['dictionaryattachments-', 'chat-dictionary-attachments', (rest) => rest.slice(rest.indexOf('-') + 1)],
];

export interface ResourceRef {
  resourceType: string;
  resourceId: string;
}

/**
 * The resource of an event on `streamId`. A stream of an unknown prefix takes its type from the event's
 * definition (or the text before the first `-`) and its id from the rest.
 */
export function resourceOf(streamId: string, eventType?: string): ResourceRef {
  for (const [prefix, resourceType, idOf] of STREAM_PREFIXES) {
    if (!streamId.startsWith(prefix)) continue;
    const rest = streamId.slice(prefix.length);
    return { resourceType, resourceId: idOf ? idOf(rest) : rest };
  }
  const dash = streamId.indexOf('-');
  const fromDefinition = eventType ? eventDefinition(eventType)?.resourceType : undefined;
  if (dash < 0) return { resourceType: fromDefinition ?? streamId, resourceId: '' };
  return { resourceType: fromDefinition ?? streamId.slice(0, dash), resourceId: streamId.slice(dash + 1) };
}

/** Every resource type the service's streams have (for validating filters). */
export function knownResourceTypes(): string[] {
  return [...new Set(STREAM_PREFIXES.map(([, t]) => t))].sort();
}
