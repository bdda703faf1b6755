import { loadState, toNewEvents } from '../commands/command-handler.ts';
import { chatDecider, chatStream, type ChatCommand, type ChatState } from '../commands/chats/chat-decider.ts';
import { createStateCache } from '../commands/state-cache.ts';
import { createDatabase } from '../infra/db/database.ts';
import { createDataKeyStore } from '../infra/eventstore/encryption/data-key-store.ts';
import { createEncryptingEventStore } from '../infra/eventstore/encryption/encrypting-event-store.ts';
import type {
  EventStore,
  ExpectedRevision,
  InlineWork,
  NewEvent,
  RecordedEvent,
  SubscribeOptions,
} from '../infra/eventstore/event-store.ts';
import { createPostgresEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { createLogger } from '../infra/logger.ts';
import { chatPostInline } from '../projections/inline-chat-post.ts';
import { createProgressWaiter } from '../projections/progress-waiter.ts';
import { createProjectionRunner } from '../projections/projection-runner.ts';
import { projections } from '../projections/registry.ts';
import { createChatMessageQueries } from '../queries/chat-messages-queries.ts';
import type { Actor } from '../shared/access/actor.ts';
import { newId } from '../shared/ids.ts';
import { summarize } from './bench-kit.ts';

/**
 * Where an append's time goes, stage by stage, in this process on the service's database (stopped first: one
 * projector at a time): the same pieces `startRuntime` wires (PostgreSQL log under payload encryption, the
 * projector on its own connections, the in-process read-your-writes waiter), each timed at its seam by a
 * pass-through wrapper. What the HTTP request adds (routing, auth, zod, JSON) is the HTTP p50 less the sum.
 */
export const STAGES = [
  'load state (cached, tail read)',
  'decide',
  'encrypt',
  'append commit (durable)',
  'wake + projector log read',
  'projector decrypt',
  'projections apply + commit',
  'waiter wake',
  'view read',
  'in-process total',
] as const;
/** The inline path's stages (`INLINE_PROJECTIONS=true`): no tail read when cached, one commit, no wait, no read. */
export const INLINE_STAGES = [
  'load state (cached, no read)',
  'decide',
  'encrypt',
  'append + chat projection, one commit (durable)',
  'in-process total',
] as const;
type Stage = (typeof STAGES)[number] | (typeof INLINE_STAGES)[number];

/** Wraps a store so the moments around its appends and the batches its subscription yields are recorded. */
function timedStore(inner: EventStore, marks: Record<string, number>, label: string): EventStore {
  return {
    ...inner,
    kind: inner.kind,
    async append(streamId, events, expected) {
      marks[`${label}:append-start`] = performance.now();
      const result = await inner.append(streamId, events, expected);
      marks[`${label}:append-end`] = performance.now();
      return result;
    },
    ...(inner.appendInline
      ? {
          async appendInline<R>(streamId: string, events: NewEvent[], expected: ExpectedRevision, work: InlineWork<R>) {
            marks[`${label}:append-start`] = performance.now();
            const result = await inner.appendInline!(streamId, events, expected, work);
            marks[`${label}:append-end`] = performance.now();
            return result;
          },
        }
      : {}),
    async *subscribeToAll(options?: SubscribeOptions): AsyncIterable<RecordedEvent[]> {
      for await (const batch of inner.subscribeToAll(options)) {
        marks[`${label}:yield`] = performance.now();
        yield batch;
        marks[`${label}:resume`] = performance.now();
      }
    },
  };
}

export interface StageProbe {
  /** One append to the chat labelled so, its stages recorded. */
  append(label: string, i: number): Promise<void>;
  /** Per chat label, each stage's summary; stops the probe's projector and connections. */
  finish(): Promise<Record<string, Record<Stage, ReturnType<typeof summarize>>>>;
}

export async function openStageProbe(options: {
  databaseUrl: string;
  chats: Array<{ label: string; id: string }>;
  /** The inline path (the default) instead of append, wait for the projector, read. */
  inline: boolean;
}): Promise<StageProbe> {
  const marks: Record<string, number> = {};
  const database = createDatabase(options.databaseUrl, { max: 10 });
  const projectorDatabase = createDatabase(options.databaseUrl, { max: 6, synchronousCommit: false });
  const dataKeys = createDataKeyStore({ pool: database.pool });
  const backend = timedStore(createPostgresEventStore({ pool: database.pool }), marks, 'log');
  const eventStore = timedStore(createEncryptingEventStore(backend, dataKeys, { sealNewEvents: true }), marks, 'sealed');
  const runner = createProjectionRunner({
    connectionString: options.databaseUrl,
    db: projectorDatabase.db,
    eventStore,
    schema: 'read',
    projections,
    logger: createLogger('warn'),
    applyMode: 'serial',
  });
  const waiter = createProgressWaiter({
    db: database.db,
    schema: 'read',
    projectionNames: projections.map((p) => p.name),
    local: runner.events,
  });
  await runner.start();
  const messages = createChatMessageQueries(database.db, 'read');
  const cache = createStateCache();
  const context: Actor = { userId: 'local', isAdmin: false, requestId: 'stages', correlationId: 'stages', causationId: 'stages' };

  const appendOnce = async (chatId: string, i: number): Promise<Record<Stage, number>> => {
    const messageId = newId();
    const command: ChatCommand = {
      type: 'PostMessage',
      chatId,
      messageId,
      sender: i % 2 ? 'assistant' : 'user',
      name: null,
      content: `Stage probe ${i}: ${'the lanterns sway in the wind. '.repeat(6)}`,
      image: null,
      metadata: null,
      maxMessages: 1_000_000,
    };
    if (options.inline) return appendInline(command);
    const t0 = performance.now();
    const { state, revision } = await loadState(eventStore, chatStream(chatId), chatDecider, { cache });
    const t1 = performance.now();
    const events = chatDecider.decide(command, state, context);
    const next = events.reduce((s, e) => chatDecider.evolve(s, e), state);
    const newEvents = toNewEvents(events, context, state.ownerId ?? undefined);
    const t2 = performance.now();
    const result = await eventStore.append(chatStream(chatId), newEvents, revision);
    cache.set(chatStream(chatId), next, result.revision);
    const applied = await waiter.waitFor(result.position, 10_000);
    const t4 = performance.now();
    if (!applied) throw new Error('the projector did not apply the append');
    if (!(await messages.byId(messageId))) throw new Error('the message is not readable');
    const t5 = performance.now();
    return {
      'load state (cached, tail read)': t1 - t0,
      decide: t2 - t1,
      encrypt: marks['log:append-start']! - t2,
      'append commit (durable)': marks['log:append-end']! - marks['log:append-start']!,
      'wake + projector log read': marks['log:yield']! - marks['log:append-end']!,
      'projector decrypt': marks['sealed:yield']! - marks['log:yield']!,
      'projections apply + commit': marks['sealed:resume']! - marks['sealed:yield']!,
      'waiter wake': t4 - marks['sealed:resume']!,
      'view read': t5 - t4,
      'in-process total': t5 - t0,
    } as Record<Stage, number>;
  };

  /** What `postChatMessage` with `chatPostInline` does, timed at its seams. */
  const postInline = chatPostInline('read');
  const appendInline = async (command: ChatCommand): Promise<Record<Stage, number>> => {
    const stream = chatStream(command.chatId);
    const t0 = performance.now();
    const cached = cache.get<ChatState>(stream) ?? (await loadState(eventStore, stream, chatDecider, { cache }));
    const t1 = performance.now();
    const events = chatDecider.decide(command, cached.state, context);
    const next = events.reduce((s, e) => chatDecider.evolve(s, e), cached.state);
    const newEvents = toNewEvents(events, context, cached.state.ownerId ?? undefined);
    const t2 = performance.now();
    const result = await eventStore.appendInline!(stream, newEvents, cached.revision, postInline);
    const t3 = performance.now();
    cache.set(stream, next, result.revision);
    if (!result.inline) throw new Error('the post was not projected inline');
    return {
      'load state (cached, no read)': t1 - t0,
      decide: t2 - t1,
      encrypt: marks['log:append-start']! - t2,
      'append + chat projection, one commit (durable)': t3 - marks['log:append-start']!,
      'in-process total': t3 - t0,
    } as Record<Stage, number>;
  };

  const stageNames: readonly Stage[] = options.inline ? INLINE_STAGES : STAGES;
  const samples = new Map(options.chats.map((c) => [c.label, Object.fromEntries(stageNames.map((s) => [s, [] as number[]]))]));
  const ids = new Map(options.chats.map((c) => [c.label, c.id]));
  for (const c of options.chats) for (let i = 0; i < 20; i++) await appendOnce(c.id, i); // warm the cache, keys, plans
  return {
    async append(label, i) {
      const stages = await appendOnce(ids.get(label)!, i);
      for (const s of stageNames) samples.get(label)![s]!.push(stages[s]);
    },
    async finish() {
      waiter.close();
      await runner.stop();
      await backend.close();
      await dataKeys.close();
      await projectorDatabase.close();
      await database.close();
      return Object.fromEntries(
        [...samples].map(([label, byStage]) => [
          label,
          Object.fromEntries(stageNames.map((s) => [s, summarize(byStage[s]!)])) as Record<Stage, ReturnType<typeof summarize>>,
        ]),
      );
    },
  };
}
