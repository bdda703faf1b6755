import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { migrateReadModels } from '../../infra/db/migrate.ts';
import type { RecordedEvent } from '../../infra/eventstore/event-store.ts';
import { formatPosition } from '../../infra/eventstore/postgres/positions.ts';
import { usageReport } from '../../queries/usage-analytics-queries.ts';
import { newId } from '../../shared/ids.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../test/fake-llm/index.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { applyBatch } from '../projection-runner.ts';
import { rebuildReadModels } from '../rebuild.ts';
import { projections } from '../registry.ts';
import { usageAnalyticsProjection } from '../usage-analytics-projection.ts';

/** percentile_cont, as PostgreSQL computes it: linear interpolation between the closest ranks. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}
const round1 = (v: number) => Math.round(v * 10) / 10;

let svc: TestService;
let upstream: FakeLlmServer;
beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  svc = await startTestService({
    env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'fake-model', LLM_TIMEOUT_MS: '1500' },
    roles: { api: true, projector: true, worker: true },
  });
});
afterAll(async () => {
  await svc?.close();
  await upstream?.close();
});

async function settled(): Promise<void> {
  const head = await svc.runtime.eventStore.headPosition();
  expect(await svc.runtime.waiter.waitFor(head, 10_000)).toBe(true);
}

describe('usage analytics', () => {
  let characterId: string;
  const latencies: number[] = [];

  test('messages sent, completions with their tokens and latency, failures: counted per user, day and character', async () => {
    characterId = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Counter', first_message: 'Hello, traveller.' } })).body
      .id;
    const chatId = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: characterId } })).body.id;
    // A message typed by the user (1), then two completions, each storing the user's turn (2, 3) and a reply.
    expect(
      (await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { body: { sender: 'user', content: 'Hi there' } }))
        .status,
    ).toBe(201);
    upstream.reply({ text: 'First reply.', usage: { input: 100, output: 20 } });
    const first = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { message: 'Tell me more' } });
    expect(first.status).toBe(200);
    upstream.reply({ text: 'Second reply.', usage: { input: 60, output: 12 }, delayMs: 30 });
    const second = await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { message: 'And then?' } });
    expect(second.status).toBe(200);
    // A regenerate stores a reply without a new user message.
    upstream.reply({ text: 'Another take.', usage: { input: 61, output: 3 } });
    expect((await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { mode: 'regenerate' } })).status).toBe(200);
    const tree = (await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?view=tree&limit=100`)).body.items as Array<{
      metadata: { latency_ms?: number; completion_id?: string } | null;
      sender: string;
    }>;
    for (const m of tree) if (m.sender === 'assistant' && m.metadata?.completion_id) latencies.push(m.metadata.latency_ms!);
    expect(latencies).toHaveLength(3);

    // Failures: a character completion and a plain proxy one (both final: the upstream's 500 is not retried).
    upstream.reply({ kind: 'http-error', status: 500 });
    expect((await svc.request('POST', `/api/v1/character_chats/${chatId}/complete`, { body: { message: 'Are you there?' } })).status).toBe(
      502,
    );
    upstream.reply({ kind: 'http-error', status: 500 });
    expect((await svc.request('POST', '/api/v1/chat/completions', { body: { messages: [{ role: 'user', content: 'x' }] } })).status).toBe(
      502,
    );
    await settled();

    const today = new Date().toISOString().slice(0, 10);
    const res = await svc.request('GET', `/api/v1/analytics/usage?from=${today}&to=${today}`);
    expect(res.status).toBe(200);
    const expected = { messages_sent: 3, completions: 3, tokens_in: 221, tokens_out: 35, errors: 2, cancellations: 0 };
    expect(res.body.totals).toMatchObject(expected);
    expect(res.body.totals.latency_ms).toEqual({
      count: 3,
      p50: round1(percentile(latencies, 0.5)),
      p95: round1(percentile(latencies, 0.95)),
    });
    expect(res.body.by_day).toEqual([{ day: today, ...res.body.totals }]);
    const byCharacter = Object.fromEntries(res.body.by_character.map((c: { character_id: string | null }) => [String(c.character_id), c]));
    expect(byCharacter[characterId]).toMatchObject({ ...expected, errors: 1 });
    expect(byCharacter.null).toMatchObject({ messages_sent: 0, completions: 0, errors: 1, latency_ms: { count: 0, p50: null, p95: null } });
    expect(res.body.by_day_and_character).toHaveLength(2);

    const one = await svc.request('GET', `/api/v1/analytics/usage?from=${today}&to=${today}&character_id=${characterId}`);
    expect(one.body.totals).toMatchObject({ ...expected, errors: 1 });
    // Yesterday: nothing.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const none = await svc.request('GET', `/api/v1/analytics/usage?from=${yesterday}&to=${yesterday}`);
    expect(none.body).toMatchObject({
      totals: { messages_sent: 0, completions: 0, errors: 0, latency_ms: { count: 0, p50: null } },
      by_day: [],
      by_character: [],
    });
    // Defaults: the last 30 days up to today.
    expect((await svc.request('GET', '/api/v1/analytics/usage')).body).toMatchObject({ to: today, totals: expected });
  }, 60_000);

  test('bad ranges are a 400 and ask nothing of the database', async () => {
    expect((await svc.request('GET', '/api/v1/analytics/usage?from=2026-02-01&to=2026-01-01')).body).toMatchObject({
      status: 400,
      code: 'invalid_range',
    });
    expect((await svc.request('GET', '/api/v1/analytics/usage?from=2026-13-01')).status).toBe(400);
    expect((await svc.request('GET', '/api/v1/analytics/usage?from=2000-01-01&to=2026-01-01')).status).toBe(400);
    expect((await svc.request('GET', '/api/v1/analytics/usage?character_id=nope')).status).toBe(400);
  });

  test('a rebuild of the log gives the same analytics tables, row for row', async () => {
    const { db } = svc.runtime.database;
    await rebuildReadModels({ db, eventStore: svc.runtime.eventStore, liveSchema: 'read', projections, targetSchema: 'read_usage_check' });
    for (const table of usageAnalyticsProjection.tables) {
      const diff = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM ((SELECT * FROM ${sql.id('read', table)} EXCEPT ALL SELECT * FROM ${sql.id('read_usage_check', table)})
        UNION ALL (SELECT * FROM ${sql.id('read_usage_check', table)} EXCEPT ALL SELECT * FROM ${sql.id('read', table)})) d`.execute(db);
      expect([table, diff.rows[0]!.n]).toEqual([table, 0]);
    }
    await sql`DROP SCHEMA read_usage_check CASCADE`.execute(db);
  });

  test('percentiles over a range of days are exact: computed from every latency of the range, not from daily percentiles', async () => {
    const { db } = svc.runtime.database;
    await migrateReadModels(db, 'usage_days');
    const chatId = newId();
    const user = 'range-user';
    const meta = { userId: user, correlationId: 'c', causationId: 'c', requestId: 'r', schemaVersion: 1 };
    let seq = 0;
    const event = (type: string, data: Record<string, unknown>, day: string): RecordedEvent => {
      seq += 1;
      return {
        id: newId(),
        streamId: `chat-${chatId}`,
        revision: seq,
        position: formatPosition('1', String(seq)),
        type,
        data,
        metadata: meta,
        createdAt: new Date(`${day}T12:00:00Z`),
      };
    };
    const reply = (latency: number, day: string) =>
      event(
        'MessagePosted',
        {
          chatId,
          messageId: newId(),
          parentId: null,
          depth: 0,
          sender: 'assistant',
          name: null,
          content: 'r',
          image: null,
          metadata: { completion_id: `chatcmpl-${newId()}`, latency_ms: latency, usage: { prompt_tokens: 1, completion_tokens: 1 } },
          sentAt: null,
          active: true,
          alternateOf: null,
          path: null,
        },
        day,
      );
    // Day 1: many fast replies; day 2: a few slow ones. The median of the whole range is not the mean of the days'.
    const day1 = [100, 110, 120, 130, 140, 150, 160, 170, 180];
    const day2 = [900, 1000, 5000];
    const events = [
      event(
        'ChatCreated',
        { chatId, ownerId: user, characterId, characterName: 'Counter', title: 't', settings: {}, forkedFrom: null, importedFrom: null },
        '2026-03-01',
      ),
    ];
    for (const l of day1) events.push(reply(l, '2026-03-01'));
    for (const l of day2) events.push(reply(l, '2026-03-02'));
    // Applied in two batches (the counters of a day straddle them).
    await applyBatch(db, 'usage_days', usageAnalyticsProjection, events.slice(0, 5));
    await applyBatch(db, 'usage_days', usageAnalyticsProjection, events.slice(5));
    // A redelivered batch changes nothing.
    await applyBatch(db, 'usage_days', usageAnalyticsProjection, events.slice(2, 9));
    const report = await usageReport(db, 'usage_days', { userId: user, from: '2026-03-01', to: '2026-03-02' });
    const all = [...day1, ...day2];
    expect(report.totals).toMatchObject({
      completions: 12,
      tokens_in: 12,
      latency_ms: { count: 12, p50: round1(percentile(all, 0.5)), p95: round1(percentile(all, 0.95)) },
    });
    expect(report.by_day.map((d) => [d.day, d.completions, d.latency_ms.p50])).toEqual([
      ['2026-03-01', 9, percentile(day1, 0.5)],
      ['2026-03-02', 3, percentile(day2, 0.5)],
    ]);
    expect(report.by_character).toEqual([{ character_id: characterId, ...report.totals }]);
    // One day of the range only.
    expect((await usageReport(db, 'usage_days', { userId: user, from: '2026-03-02', to: '2026-03-02' })).totals.latency_ms).toEqual({
      count: 3,
      p50: 1000,
      p95: round1(percentile(day2, 0.95)),
    });
    await sql`DROP SCHEMA usage_days CASCADE`.execute(db);
  });
});
