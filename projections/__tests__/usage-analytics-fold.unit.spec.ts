import { describe, expect, it } from '@jest/globals';
import { chatsToLookUp, foldUsage, NO_CHARACTER, type UsageEvent } from '../usage-analytics-fold.ts';
import { chatCreated, messagePosted } from './chat-event-fixtures.ts';
import { recorded, streamOf } from './recorded-events.ts';

const CHAT = '0190a000-0000-7000-8000-000000000001';
const OLD_CHAT = '0190a000-0000-7000-8000-000000000002';
const CHARACTER = '0190a000-0000-7000-8000-0000000000c1';
const msg = (n: number) => `0190a000-0000-7000-8000-1000000000${String(n).padStart(2, '0')}`;

describe('usage analytics fold (no database)', () => {
  it('counts sent messages and completions for the chat owner and character, per UTC day', () => {
    const chat = streamOf(`chat-${CHAT}`, 'owner-1');
    const events: UsageEvent[] = [
      chat('ChatCreated', chatCreated(CHAT, { characterId: CHARACTER })),
      chat('MessagePosted', messagePosted(CHAT, msg(1))),
      chat(
        'MessagePosted',
        messagePosted(CHAT, msg(2), {
          sender: 'assistant',
          metadata: { completion_id: 'c1', usage: { prompt_tokens: 120, completion_tokens: 30.4 }, latency_ms: 812.6 },
        }),
      ),
      chat('MessagePosted', messagePosted(CHAT, msg(3)), '2026-01-03T00:00:01.000Z'),
      // imported (sentAt set) and assistant messages without a completion count for nothing
      chat('MessagePosted', messagePosted(CHAT, msg(4), { sentAt: '2025-01-01T00:00:00.000Z' })),
      chat('MessagePosted', messagePosted(CHAT, msg(5), { sender: 'assistant' })),
    ];
    const changes = foldUsage(events, new Map());
    expect(changes.created).toEqual([{ chat_id: CHAT, user_id: 'owner-1', character_id: CHARACTER }]);
    const daily = [...changes.daily.values()];
    expect(daily).toEqual([
      expect.objectContaining({
        user_id: 'owner-1',
        day: '2026-01-02',
        character_id: CHARACTER,
        messages_sent: 1,
        completions: 1,
        tokens_in: 120,
        tokens_out: 30,
        errors: 0,
        cancellations: 0,
        last_position: events[2]!.position,
      }),
      expect.objectContaining({
        user_id: 'owner-1',
        day: '2026-01-03',
        character_id: CHARACTER,
        messages_sent: 1,
        completions: 0,
        last_position: events[3]!.position,
      }),
    ]);
    expect(changes.latencies).toEqual([
      { event_id: events[2]!.id, user_id: 'owner-1', day: '2026-01-02', character_id: CHARACTER, latency_ms: 813 },
    ]);
  });

  it('looks up only the chats the run posts to but does not create, and counts their messages for the known owner', () => {
    const fresh = streamOf(`chat-${CHAT}`, 'owner-1');
    const old = recorded('MessagePosted', messagePosted(OLD_CHAT, msg(6)), {
      streamId: `chat-${OLD_CHAT}`,
      revision: 9,
      userId: 'someone-else',
    });
    const events: UsageEvent[] = [fresh('ChatCreated', chatCreated(CHAT)), fresh('MessagePosted', messagePosted(CHAT, msg(7))), old];
    expect(chatsToLookUp(events)).toEqual([OLD_CHAT]);
    const changes = foldUsage(events, new Map([[OLD_CHAT, { user_id: 'owner-2', character_id: CHARACTER }]]));
    expect([...changes.daily.values()].map((d) => [d.user_id, d.character_id, d.messages_sent])).toEqual([
      ['owner-1', NO_CHARACTER, 1],
      ['owner-2', CHARACTER, 1],
    ]);
  });

  it('counts a failed completion as an error, a cancelled one as a cancellation, for the user the event names', () => {
    const stream = streamOf('user-completions-u9', 'u9');
    const failed = (code: string) =>
      stream('CompletionFailed', {
        completionId: code,
        userId: 'u9',
        characterId: null,
        chatId: null,
        mode: null,
        provider: null,
        model: null,
        status: 502,
        code,
        latencyMs: 5,
      });
    const changes = foldUsage([failed('provider_error'), failed('cancelled'), failed('timeout')], new Map());
    expect([...changes.daily.values()]).toEqual([
      expect.objectContaining({ user_id: 'u9', character_id: NO_CHARACTER, errors: 2, cancellations: 1, messages_sent: 0 }),
    ]);
    expect(changes.created).toEqual([]);
  });
});
