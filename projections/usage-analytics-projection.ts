import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import type { ChatCreatedData, MessagePostedData } from '../shared/events/chat-events.ts';
import type { CompletionFailedData } from '../shared/events/completion-events.ts';
import type { Projection } from './projection.ts';

/** The character of usage that has none (plain proxy completions, chats without a character). */
export const NO_CHARACTER = '00000000-0000-0000-0000-000000000000';

interface DailyDelta {
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

interface LatencyRow {
  event_id: string;
  user_id: string;
  day: string;
  character_id: string;
  latency_ms: number;
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);

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
async function applyUsage(db: Kysely<ReadModels>, events: RecordedEvent[]): Promise<void> {
  const chats = new Map<string, { user_id: string; character_id: string | null }>();
  const created: Array<{ chat_id: string; user_id: string; character_id: string | null }> = [];
  for (const e of events) {
    if (e.type !== 'ChatCreated') continue;
    const d = e.data as unknown as ChatCreatedData;
    chats.set(d.chatId, { user_id: d.ownerId, character_id: d.characterId });
    created.push({ chat_id: d.chatId, user_id: d.ownerId, character_id: d.characterId });
  }
  const unknown = new Set<string>();
  for (const e of events) if (e.type === 'MessagePosted' && !chats.has(e.data.chatId as string)) unknown.add(e.data.chatId as string);
  if (unknown.size > 0) {
    const rows = await db.selectFrom('usage_chats').select(['chat_id', 'user_id', 'character_id']).where('chat_id', '=', sql<string>`ANY(${[...unknown]}::uuid[])`).execute();
    for (const r of rows) chats.set(r.chat_id, { user_id: r.user_id, character_id: r.character_id });
  }

  const daily = new Map<string, DailyDelta>();
  const latencies: LatencyRow[] = [];
  const delta = (userId: string, characterId: string | null, e: RecordedEvent): DailyDelta => {
    const day = dayOf(e.createdAt);
    const character = characterId ?? NO_CHARACTER;
    const key = `${userId}\u0000${day}\u0000${character}`;
    let d = daily.get(key);
    if (!d) {
      d = { user_id: userId, day, character_id: character, messages_sent: 0, completions: 0, tokens_in: 0, tokens_out: 0, errors: 0, cancellations: 0, last_position: e.position };
      daily.set(key, d);
    }
    if (e.position > d.last_position) d.last_position = e.position;
    return d;
  };

  for (const e of events) {
    if (e.type === 'MessagePosted') {
      const m = e.data as unknown as MessagePostedData;
      const chat = chats.get(m.chatId) ?? { user_id: e.metadata.userId, character_id: null };
      const completionId = m.metadata?.completion_id;
      if (m.sender === 'user' && m.sentAt === null) delta(chat.user_id, chat.character_id, e).messages_sent += 1;
      else if (m.sender === 'assistant' && typeof completionId === 'string') {
        const d = delta(chat.user_id, chat.character_id, e);
        const usage = (m.metadata?.usage ?? {}) as Record<string, unknown>;
        d.completions += 1;
        d.tokens_in += count(usage.prompt_tokens);
        d.tokens_out += count(usage.completion_tokens);
        const latency = m.metadata?.latency_ms;
        if (typeof latency === 'number' && Number.isFinite(latency) && latency >= 0) {
          latencies.push({ event_id: e.id, user_id: d.user_id, day: d.day, character_id: d.character_id, latency_ms: Math.min(Math.round(latency), 2_147_483_647) });
        }
      }
    } else if (e.type === 'CompletionFailed') {
      const f = e.data as unknown as CompletionFailedData;
      const d = delta(f.userId, f.characterId, e);
      if (f.code === 'cancelled') d.cancellations += 1;
      else d.errors += 1;
    }
  }

  for (let i = 0; i < created.length; i += 2000) {
    await db.insertInto('usage_chats').values(created.slice(i, i + 2000)).onConflict((oc) => oc.column('chat_id').doNothing()).execute();
  }
  const rows = [...daily.values()];
  for (let i = 0; i < rows.length; i += 2000) {
    await db
      .insertInto('usage_daily')
      .values(rows.slice(i, i + 2000))
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'day', 'character_id'])
          .doUpdateSet({
            messages_sent: sql`usage_daily.messages_sent + excluded.messages_sent`,
            completions: sql`usage_daily.completions + excluded.completions`,
            tokens_in: sql`usage_daily.tokens_in + excluded.tokens_in`,
            tokens_out: sql`usage_daily.tokens_out + excluded.tokens_out`,
            errors: sql`usage_daily.errors + excluded.errors`,
            cancellations: sql`usage_daily.cancellations + excluded.cancellations`,
            last_position: sql`excluded.last_position`,
          } as never)
          .where(sql.ref('usage_daily.last_position'), '<', sql.ref('excluded.last_position')),
      )
      .execute();
  }
  for (let i = 0; i < latencies.length; i += 2000) {
    await db.insertInto('usage_latencies').values(latencies.slice(i, i + 2000)).onConflict((oc) => oc.column('event_id').doNothing()).execute();
  }
}

export const usageAnalyticsProjection: Projection = {
  name: 'usage_analytics',
  handles: new Set(['ChatCreated', 'MessagePosted', 'CompletionFailed']),
  tables: ['usage_chats', 'usage_daily', 'usage_latencies'],
  insertOnlyTables: ['usage_latencies'],
  apply: (db, event) => applyUsage(db, [event]),
  applyMany: applyUsage,
};
