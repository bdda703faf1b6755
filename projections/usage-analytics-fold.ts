import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { foldEvent, typesOf, type EventFolds } from './projection.ts';

/** The character of usage that has none (plain proxy completions, chats without a character). */
export const NO_CHARACTER = '00000000-0000-0000-0000-000000000000';

export interface DailyDelta {
  user_id: string;
  day: string;
  character_id: string;
  messages_sent: number;
  completions: number;
  tokens_in: number;
  tokens_out: number;
  errors: number;
  cancellations: number;
  last_position: string;
}

export interface LatencyRow {
  event_id: string;
  user_id: string;
  day: string;
  character_id: string;
  latency_ms: number;
}

export interface UsageChat {
  user_id: string;
  character_id: string | null;
}

/** What a run of events adds: new chats, per-day counter deltas (keyed by user, day, character) and latency rows. */
export interface UsageChanges {
  /** Every chat the run needs, the ones read from `usage_chats` first and the ones it creates. */
  chats: Map<string, UsageChat>;
  created: Array<{ chat_id: string } & UsageChat>;
  daily: Map<string, DailyDelta>;
  latencies: LatencyRow[];
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);

function delta(changes: UsageChanges, userId: string, characterId: string | null, e: RecordedEvent): DailyDelta {
  const day = dayOf(e.createdAt);
  const character = characterId ?? NO_CHARACTER;
  const key = `${userId}\u0000${day}\u0000${character}`;
  let d = changes.daily.get(key);
  if (!d) {
    d = {
      user_id: userId,
      day,
      character_id: character,
      messages_sent: 0,
      completions: 0,
      tokens_in: 0,
      tokens_out: 0,
      errors: 0,
      cancellations: 0,
      last_position: e.position,
    };
    changes.daily.set(key, d);
  }
  if (e.position > d.last_position) d.last_position = e.position;
  return d;
}

/**
 * Usage per user, day (UTC, from the event's time) and character:
 * - `messages_sent`: messages a user sent (MessagePosted with sender `user`, live: not imported or copied by a fork);
 * - `completions`, `tokens_in`, `tokens_out`: replies stored by a completion (MessagePosted whose metadata has a
 *   `completion_id`), with the provider's usage; each reply's `latency_ms` is kept as a row of its own, so p50/p95
 *   over any range are exact;
 * - `errors`, `cancellations`: CompletionFailed (code `cancelled` is a cancellation, everything else an error).
 * A chat's messages count for the chat's owner and character (remembered from ChatCreated).
 *
 * Redelivery: latency rows are keyed by event id; a counter row moves only with a batch that has an event newer
 * than the newest it counted (`last_position`). The runner applies a batch and its checkpoint in one transaction,
 * so a batch is either wholly applied or not at all, and never partly seen again.
 */
export const usageFolds: EventFolds<'ChatCreated' | 'MessagePosted' | 'CompletionFailed', void, UsageChanges> = {
  ChatCreated(e, changes) {
    const d = e.data;
    changes.chats.set(d.chatId, { user_id: d.ownerId, character_id: d.characterId });
    changes.created.push({ chat_id: d.chatId, user_id: d.ownerId, character_id: d.characterId });
  },
  MessagePosted(e, changes) {
    const m = e.data;
    const chat = changes.chats.get(m.chatId) ?? { user_id: e.metadata.userId, character_id: null };
    const completionId = m.metadata?.completion_id;
    if (m.sender === 'user' && m.sentAt === null) delta(changes, chat.user_id, chat.character_id, e).messages_sent += 1;
    else if (m.sender === 'assistant' && typeof completionId === 'string') {
      const d = delta(changes, chat.user_id, chat.character_id, e);
      const usage = (m.metadata?.usage ?? {}) as Record<string, unknown>;
      d.completions += 1;
      d.tokens_in += count(usage.prompt_tokens);
      d.tokens_out += count(usage.completion_tokens);
      const latency = m.metadata?.latency_ms;
      if (typeof latency === 'number' && Number.isFinite(latency) && latency >= 0) {
        changes.latencies.push({
          event_id: e.id,
          user_id: d.user_id,
          day: d.day,
          character_id: d.character_id,
          latency_ms: Math.min(Math.round(latency), 2_147_483_647),
        });
      }
    }
  },
  CompletionFailed(e, changes) {
    const f = e.data;
    const d = delta(changes, f.userId, f.characterId, e);
    if (f.code === 'cancelled') d.cancellations += 1;
    else d.errors += 1;
  },
};

export type UsageEvent = RecordedEvent<keyof typeof usageFolds>;
export const USAGE_EVENTS = typesOf(usageFolds);

/** Chats whose messages the run counts but that it does not create: their owner and character are read first. */
export function chatsToLookUp(events: readonly UsageEvent[]): string[] {
  const created = new Set<string>();
  for (const e of events) if (e.type === 'ChatCreated') created.add(e.data.chatId);
  const unknown = new Set<string>();
  for (const e of events) if (e.type === 'MessagePosted' && !created.has(e.data.chatId)) unknown.add(e.data.chatId);
  return [...unknown];
}

/** Folds a run of events (in log order) into the rows it changes, given the chats it does not create (`known`). */
export function foldUsage(events: readonly UsageEvent[], known: ReadonlyMap<string, UsageChat>): UsageChanges {
  const changes: UsageChanges = { chats: new Map(known), created: [], daily: new Map(), latencies: [] };
  for (const e of events) foldEvent(usageFolds, e, changes);
  return changes;
}
