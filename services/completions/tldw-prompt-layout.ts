/**
 * tldw_server's prompt layout, for its `complete-v2` and `completions` (prepare) routes: over our assembled
 * prompt, the original's own additions, in its order (`character_chat_sessions.py`):
 *  1. without `include_character_context`, only the conversation (history and the new user turn) goes; with it,
 *     the character's system prompt ends with the instruction to change expression by `Emote: <state>` lines
 *     (naming the states of the card's `extensions.tldw.mood_images`; shared/chats/emote-directives.ts);
 *  1b. the auto-summary (shared/chats/auto-summary.ts): the older messages, pinned ones excepted, give way to one
 *     "Conversation summary:" system message before the conversation;
 *  2. the greeting (unless `greetingEnabled: false`): the speaker's first greeting as an assistant turn before the
 *     latest user message, with `greetingScope: "character"` while the speaker has not replied yet (with one
 *     participant: while nobody has), with `greetingScope: "chat"` while the chat has no reply;
 *  3. the author's note as one `"Author's note:\n…"` system message, first or at `authorNotePosition`'s depth
 *     (counted in non-system messages from the start, as there); its text by `memoryScope`: the chat's
 *     `authorNote`, the speaker's `characterMemoryById` note (else the card's default note in `extensions`), or both;
 *  4. the steering instruction of this one reply (`continue_as_user`, `impersonate_user`, `force_narrate`) as a
 *     system message before the latest user message.
 * The native author's note is not placed when this layout applies (the original's placement replaces it).
 */
import type { AssembledPrompt, PromptHistoryMessage, PromptLayoutItem, PromptMessage, PromptSection } from '../../shared/prompt/index.ts';
import type { TokenCounter } from '../../shared/tokenizer/tokenizer.ts';
import { autoSummaryConfigOf, autoSummaryOf } from '../../shared/chats/auto-summary.ts';
import { availableEmoteStates } from '../../shared/chats/emote-directives.ts';
import { renderPlaceholders, type PlaceholderNames } from '../api/tldw/placeholders.ts';

export interface TldwLayoutRequest {
  includeCharacterContext: boolean;
  continueAsUser: boolean;
  impersonateUser: boolean;
  forceNarrate: boolean;
  /** How many characters take part in the chat (the chat's own and its `participantCharacterIds`). */
  participantCount: number;
  /** The chat's own character's name: a reply stored without a speaker name is its. */
  primaryName: string;
}

export interface TldwLayoutContext {
  /** The chat's settings as stored (`author_note`, the original's other keys in `extensions`). */
  settings: Record<string, unknown>;
  /** The speaking character: its id, name, card extensions and greetings. */
  character: { id: string; name: string; extensions: Record<string, unknown>; greetings: string[] };
  userName: string;
  /** The stored conversation the prompt was built from (before the new user turn). */
  history: readonly PromptHistoryMessage[];
  /** The pinned messages of the history: an auto-summary leaves them in the conversation. */
  pinnedIds: ReadonlySet<string>;
  counter: TokenCounter;
}

type Laid = { message: PromptMessage; layout: PromptLayoutItem };

const CONVERSATION: ReadonlySet<PromptSection> = new Set(['history', 'user_turn']);
const DEFAULT_NOTE_KEYS = ['author_note', 'authorNote', 'default_author_note', 'defaultAuthorNote', 'memory_note', 'memoryNote'];

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const noteText = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** The original's `settings` map: our `author_note` as `authorNote`, its other keys from `extensions`. */
function originalSettings(settings: Record<string, unknown>): Record<string, unknown> {
  const out = { ...(isMap(settings.extensions) ? settings.extensions : {}) };
  if (settings.author_note !== undefined) out.authorNote = settings.author_note;
  return out;
}

function characterNote(settings: Record<string, unknown>, character: TldwLayoutContext['character']): string {
  const byId = settings.characterMemoryById;
  const entry = isMap(byId) ? byId[character.id] : undefined;
  const own = isMap(entry) ? noteText(entry.note) : noteText(entry);
  if (own) return own;
  for (const key of DEFAULT_NOTE_KEYS) {
    const fallback = noteText(character.extensions[key]);
    if (fallback) return fallback;
  }
  return '';
}

/** The note's text by `memoryScope` (`shared`: the chat's, else the character's), empty when switched off. */
export function authorNoteOf(settings: Record<string, unknown>, character: TldwLayoutContext['character']): string {
  if (settings.authorNoteEnabled === false || settings.authorNoteGmOnly === true || settings.authorNoteExcludeFromPrompt === true)
    return '';
  const shared = noteText(settings.authorNote);
  const own = characterNote(settings, character);
  const scope = settings.memoryScope;
  if (scope === 'character') return own;
  if (scope === 'both') return [shared, own].filter(Boolean).join('\n\n');
  return shared || own;
}

/** `authorNotePosition`: a depth (a number, `{mode: "depth", depth}` or `"depth:N"`), else before everything (0). */
function noteDepth(settings: Record<string, unknown>): number {
  const position = settings.authorNotePosition ?? settings.authorNotePlacement ?? settings.authorNoteInjectionPosition;
  if (typeof position === 'number' && Number.isInteger(position)) return position;
  if (isMap(position) && ['depth', 'at_depth'].includes(String(position.mode).trim().toLowerCase()))
    return Number.isInteger(position.depth) ? (position.depth as number) : 0;
  if (typeof position === 'string') {
    const match = /^depth\s*:?\s*(\d+)$/.exec(position.trim().toLowerCase());
    if (match) return Number(match[1]);
  }
  return 0;
}

function insertAtDepth(items: Laid[], note: Laid, depth: number): Laid[] {
  if (depth <= 0) return [note, ...items];
  let seen = 0;
  for (const [i, item] of items.entries()) {
    if (item.message.role === 'system') continue;
    if (seen >= depth) return [...items.slice(0, i), note, ...items.slice(i)];
    seen += 1;
  }
  return [...items, note];
}

const lastUserIndex = (items: Laid[]) => items.findLastIndex((item) => item.message.role === 'user');

/** Has the speaker (with one participant: anyone) replied in this chat yet? A reply without a name is the chat's own character's. */
function speakerHasReplied(history: readonly PromptHistoryMessage[], speaker: string, request: TldwLayoutRequest): boolean {
  return history.some(
    (m) =>
      m.role === 'assistant' &&
      (request.participantCount <= 1 || (m.name ?? request.primaryName).trim().toLowerCase() === speaker.trim().toLowerCase()),
  );
}

/**
 * `greetingScope: "character"`: each participant's greeting until that participant has replied (with one
 * participant: until anyone has); `"chat"` (when set): one greeting, until the chat has any reply.
 */
function greetingDue(settings: Record<string, unknown>, context: TldwLayoutContext, request: TldwLayoutRequest): boolean {
  if (settings.greetingEnabled === false) return false;
  if (settings.greetingScope === 'character') return !speakerHasReplied(context.history, context.character.name, request);
  if (settings.greetingScope === 'chat') return !context.history.some((m) => m.role === 'assistant');
  return false;
}

function withGreeting(items: Laid[], greeting: Laid): Laid[] {
  let at = lastUserIndex(items);
  if (at < 0) {
    at = 0;
    while (at < items.length && items[at]!.message.role === 'system') at += 1;
  }
  const before = items[at - 1]?.message;
  if (before?.role === 'assistant' && before.content.trim() === greeting.message.content) return items;
  return [...items.slice(0, at), greeting, ...items.slice(at)];
}

/** The original's instruction to change expression with `Emote: <state>` lines, naming the states the card offers. */
export function emoteInstruction(extensions: Record<string, unknown>): string {
  const states = availableEmoteStates(extensions);
  const prefer = states.length > 0 ? ` Prefer these available states: ${states.join(', ')}.` : '';
  return `When the character expression should change, emit a standalone line exactly like \`Emote: <state>\`.${prefer} Do not emit an emote after every sentence.`;
}

/** Appended to the character's system prompt (the first message), or a system message of its own before the conversation. */
function withEmoteInstruction(
  items: Laid[],
  extensions: Record<string, unknown>,
  laid: (s: PromptSection, m: PromptMessage) => Laid,
): Laid[] {
  const instruction = emoteInstruction(extensions);
  const first = items[0];
  if (first && first.message.role === 'system' && !CONVERSATION.has(first.layout.section)) {
    const content = `${first.message.content.trim()}\n\n${instruction}`;
    return [laid(first.layout.section, { role: 'system', content }), ...items.slice(1)];
  }
  return [laid('main', { role: 'system', content: instruction }), ...items];
}

export function steeringInstruction(request: Pick<TldwLayoutRequest, 'continueAsUser' | 'impersonateUser' | 'forceNarrate'>): string {
  const parts: string[] = [];
  // As in the original, impersonating wins over continuing when both are asked for.
  if (request.impersonateUser)
    parts.push("Write this reply as if it is authored by the user, in first person, while preserving the user's intent.");
  else if (request.continueAsUser) parts.push("Continue the user's current thought in the same voice and perspective.");
  if (request.forceNarrate) parts.push('Use narrative prose style for this reply.');
  return parts.length > 0 ? `Steering instruction (single response): ${parts.join(' ')}` : '';
}

export function applyTldwLayout(prompt: AssembledPrompt, request: TldwLayoutRequest, context: TldwLayoutContext): AssembledPrompt {
  const settings = originalSettings(context.settings);
  const names: PlaceholderNames = { char: context.character.name, user: context.userName };
  const laid = (section: PromptSection, message: PromptMessage): Laid => ({
    message,
    layout: { section, tokens: context.counter.count(message.content) },
  });
  const all = prompt.messages.map((message, i) => ({ message, layout: prompt.layout[i]! }));
  let items = request.includeCharacterContext ? all : all.filter((item) => CONVERSATION.has(item.layout.section));

  if (request.includeCharacterContext) items = withEmoteInstruction(items, context.character.extensions, laid);

  const summary = autoSummaryOf(
    context.history.flatMap((m) => (m.id ? [{ id: m.id, role: m.role, content: m.content, pinned: context.pinnedIds.has(m.id) }] : [])),
    autoSummaryConfigOf(settings),
  );
  if (summary) {
    const replaced = new Set(summary.replacedIds);
    items = items.filter((item) => !(item.layout.section === 'history' && item.layout.messageId && replaced.has(item.layout.messageId)));
    const at = items.findIndex((item) => CONVERSATION.has(item.layout.section));
    const message = laid('injection', { role: 'system', content: `Conversation summary:\n${summary.content}` });
    items = at < 0 ? [...items, message] : [...items.slice(0, at), message, ...items.slice(at)];
  }

  if (greetingDue(settings, context, request)) {
    const greeting = renderPlaceholders(context.character.greetings.find((g) => g.trim() !== '') ?? '', names).trim();
    if (greeting) items = withGreeting(items, laid('new_chat', { role: 'assistant', content: greeting }));
  }

  const note = renderPlaceholders(authorNoteOf(settings, context.character), names).trim();
  if (note) items = insertAtDepth(items, laid('authors_note', { role: 'system', content: `Author's note:\n${note}` }), noteDepth(settings));

  const steering = steeringInstruction(request);
  if (steering) {
    const at = lastUserIndex(items);
    const instruction = laid('post_history', { role: 'system', content: steering });
    items = at < 0 ? [...items, instruction] : [...items.slice(0, at), instruction, ...items.slice(at)];
  }

  const tokens = (list: Laid[]) => list.reduce((sum, item) => sum + item.layout.tokens, 0);
  return {
    ...prompt,
    messages: items.map((item) => item.message),
    layout: items.map((item) => item.layout),
    tokens: { ...prompt.tokens, total: prompt.tokens.total - tokens(all) + tokens(items) },
    authorsNoteInserted: note !== '',
  };
}
