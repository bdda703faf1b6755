/**
 * The CPU cost of writing a posted message's inline statement (issue 16 item 1: it is on every append's path).
 *
 *   ./node_modules/.bin/node bench/chat-post-statement.bench.ts
 *
 * In this process, no database: the statement a post's append carries (the append CTE and the chat projection's
 * CTEs) compiled to SQL text and parameters, as the event store does before sending it. Now: `chatPostInline`, whose
 * text is written once per column set and path shape (projections/chat-post-statement.ts). Baseline in the same
 * run: the same writes built with the query builder per post (`postedInline`, which the inline work falls back to).
 * Posts alternate between the two, a new message on a new path each time, as a conversation's appends are.
 */
import os from 'node:os';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type QueryCreator } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { APPENDED_CTE } from '../infra/eventstore/event-store.ts';
import { postedInline } from '../projections/chats-projection.ts';
import { chatPostInline } from '../projections/inline-chat-post.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { newId } from '../shared/ids.ts';
import { machine, summarize, table } from './bench-kit.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5000);
const db = new Kysely<ReadModels>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
const chatId = newId();
let parentId: string | null = null;

function nextPost(revision: number): RecordedEvent<'MessagePosted'> {
  const messageId = newId();
  const event: RecordedEvent<'MessagePosted'> = {
    id: newId(),
    streamId: `chat-${chatId}`,
    revision,
    position: '',
    type: 'MessagePosted',
    data: {
      chatId,
      messageId,
      parentId,
      depth: revision,
      sender: revision % 2 ? 'user' : 'assistant',
      name: null,
      content: `message ${revision}: ${'words '.repeat(40)}`,
      image: null,
      metadata: null,
      sentAt: null,
      active: true,
      alternateOf: null,
      path: { from: revision, ids: [messageId] },
    },
    metadata: { userId: 'local', schemaVersion: 1, correlationId: 'bench', causationId: 'bench', requestId: 'bench' },
    createdAt: new Date(),
  };
  parentId = messageId;
  return event;
}

// As the event store does: the append is the statement's first CTE, then the work's CTEs, then the read.
const withAppend = () => db.with(APPENDED_CTE, () => sql<{ tx: string }>`(SELECT 1 AS tx)`);
const finish = (statement: QueryCreator<never>) =>
  (statement as unknown as Kysely<{ appended: { tx: string }; inline: { id: string } }>)
    .selectFrom(APPENDED_CTE)
    .leftJoin('inline', (join) => join.onTrue())
    .selectAll()
    .compile();
const work = chatPostInline('read');
const ways = {
  'SQL text once, values bound (now)': (event: RecordedEvent<'MessagePosted'>) =>
    finish(work.statement(withAppend() as never, [event] as never) as never),
  'query builder per post (baseline)': (event: RecordedEvent<'MessagePosted'>) =>
    finish(postedInline((withAppend() as unknown as QueryCreator<ReadModels>).withSchema('read'), event) as never),
};
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
for (let i = 0; i < ITERATIONS + 500; i++) {
  const event = nextPost(i + 1);
  const order = Object.entries(ways);
  // Each goes first every other time, so neither gains from running second on warm caches.
  for (const [name, way] of i % 2 ? order.reverse() : order) {
    const t = performance.now();
    way(event);
    const ms = performance.now() - t;
    if (i >= 500) samples[name]!.push(ms);
  }
}
table(Object.entries(samples).map(([name, s]) => ({ statement: name, ...summarize(s) })));
console.log(
  `${machine()}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
