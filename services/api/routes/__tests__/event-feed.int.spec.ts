import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import pg from 'pg';
import { START_POSITION, type EventStore, type RecordedEvent } from '../../../../infra/eventstore/event-store.ts';
import { allEventDefinitions, eventDefinition } from '../../../../shared/events/catalogue.ts';
import { eventually } from '../../../../test/eventually.ts';
import { startTestService, TEST_API_KEY, type TestService } from '../../../../test/harness.ts';
import { connectSse, type SseClient } from '../../../../test/sse-client.ts';

/**
 * The event feed over real HTTP on a real PostgreSQL event log: resumption, concurrent writers, a consumer
 * that stops reading, filters, ownership, heartbeats, shutdown. Every check compares what arrived with
 * `readAll` from the same position: the feed must deliver exactly that sequence.
 */
const HEARTBEAT_MS = 200;
let svc: TestService;
beforeAll(async () => {
  // The tests use a character create as their barrier "the log is readable up to here": without inline projections
  // its answer waits for the projector, which reads the log only past the cluster's visibility horizon.
  svc = await startTestService({
    env: { EVENT_FEED_HEARTBEAT_MS: String(HEARTBEAT_MS), EVENT_FEED_BUFFER_EVENTS: '20', INLINE_PROJECTIONS: 'false' },
  });
});
afterAll(async () => {
  await svc?.close();
});

const auth = { 'X-API-KEY': TEST_API_KEY };
const feed = (s: TestService, query = '', headers: Record<string, string> = auth) =>
  connectSse(`${s.url}/api/v1/events/stream${query}`, headers);

/** Appends `count` single-event appends (as commands write) of a type no projection handles. */
async function writer(
  store: EventStore,
  count: number,
  options: { userId?: string; payloadBytes?: number; streams?: number } = {},
): Promise<void> {
  const streams = Array.from({ length: options.streams ?? 4 }, () => `feedtest-${randomUUID()}`);
  const padding = 'x'.repeat(options.payloadBytes ?? 16);
  for (let i = 0; i < count; i++) {
    await store.append(
      streams[i % streams.length]!,
      [
        {
          id: randomUUID(),
          type: 'FeedTestEvent',
          data: { i, padding },
          metadata: { userId: options.userId ?? 'local', correlationId: 'c', causationId: 'c', requestId: 'r', schemaVersion: 1 },
        },
      ],
      'any',
    );
  }
}

/** Everything readAll gives after `from`, paged to the end. */
async function readAllAfter(store: EventStore, from: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let cursor = from;
  for (;;) {
    const page = await store.readAll({ fromPosition: cursor, maxCount: 1000 });
    if (page.length === 0) return out;
    out.push(...page);
    cursor = page[page.length - 1]!.position;
  }
}

const ids = (client: SseClient) => client.events().map((m) => JSON.parse(m.data!).id as string);
const positions = (client: SseClient) => client.events().map((m) => m.id!);
const isSorted = (xs: string[]) => xs.every((x, i) => i === 0 || xs[i - 1]! < x);

describe('GET /api/v1/events/stream', () => {
  test('resuming with Last-Event-ID gives exactly the events after it, in log order, with the SSE id as position', async () => {
    await writer(svc.runtime.eventStore, 60);
    const created = await svc.request('POST', '/api/v1/characters', { body: { name: `Feed ${randomUUID().slice(0, 8)}` } });
    expect(created.status).toBe(201);
    const all = await readAllAfter(svc.runtime.eventStore, START_POSITION);
    const resumeAt = all[25]!.position;
    const expected = all.slice(26);
    const client = await feed(svc, '?from=now', { ...auth, 'Last-Event-ID': resumeAt });
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
    await client.waitFor((c) => c.events().length >= expected.length);
    // Two heartbeats later nothing more came.
    const blocks = client.messages.length;
    await client.waitFor((c) => c.messages.slice(blocks).filter((m) => m.comments.includes('heartbeat')).length >= 2);
    client.close();
    expect(ids(client)).toEqual(expected.map((e) => e.id));
    expect(positions(client)).toEqual(expected.map((e) => e.position));
    // The create's events are the last ones (its name reservation and the character, in one append).
    const last = client.events().find((e) => e.event === 'CharacterCreated')!;
    expect(
      client
        .events()
        .slice(-2)
        .map((e) => e.event)
        .sort(),
    ).toEqual(['CharacterCreated', 'CharacterNameReserved']);
    const data = JSON.parse(last.data!);
    expect(data).toMatchObject({
      type: 'CharacterCreated',
      stream: `character-${created.body.id}`,
      revision: 1,
      position: last.id,
      user_id: 'local',
      resource_type: 'character',
      resource_id: created.body.id,
      schema_version: eventDefinition('CharacterCreated')!.schemaVersion,
    });
    expect(Date.parse(data.time)).toBeGreaterThan(0);
    // The payload is the event's (upcast) data and satisfies its zod schema.
    expect(eventDefinition('CharacterCreated')!.schema.safeParse(data.data).success).toBe(true);
  });

  test('two concurrent writers and a consumer that catches up then goes live: every event once, in order, as readAll has them', async () => {
    const store = svc.runtime.eventStore;
    const start = (await readAllAfter(store, START_POSITION)).at(-1)?.position ?? START_POSITION;
    const live = await feed(svc); // from now on, joins the live tail at once
    await live.waitFor((c) => c.messages.length > 0);
    const writing = Promise.all([writer(store, 250), writer(store, 250)]);
    // A second consumer starts from the old position while the writers run: it pages, then hands over.
    await new Promise((r) => setTimeout(r, 150));
    const catchingUp = await feed(svc, `?from=${start}`);
    await writing;
    // The log shows committed events once no older transaction of the cluster is open (test files share it).
    const expected = await eventually(
      () => readAllAfter(store, start),
      (events) => events.length >= 500,
    );
    expect(expected.length).toBe(500);
    await catchingUp.waitFor((c) => c.events().length >= expected.length, 30_000);
    const liveStart = live.messages[0]!.id ?? START_POSITION;
    const expectedLive = expected.filter((e) => e.position > liveStart);
    await live.waitFor((c) => c.events().length >= expectedLive.length, 30_000);
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 2));
    // Both follow the shared tail by now: the one that paged has handed over.
    expect(svc.api.deps.eventFeed.stats()).toMatchObject({ consumers: 2, live: 2, tailRunning: true });
    live.close();
    catchingUp.close();
    expect(ids(catchingUp)).toEqual(expected.map((e) => e.id));
    expect(ids(live)).toEqual(expectedLive.map((e) => e.id));
    expect(isSorted(positions(catchingUp))).toBe(true);
    expect(expectedLive.length).toBeGreaterThan(0);
  }, 60_000);

  test('a consumer that stops reading is detached from the live tail and, reading again, gets every event with no gap', async () => {
    const store = svc.runtime.eventStore;
    const client = await feed(svc);
    await client.waitFor((c) => c.messages.length > 0);
    const start = client.messages[0]!.id!;
    client.pause();
    const detachmentsBefore = svc.api.deps.eventFeed.stats().detachments;
    // Big events until the socket buffers are full and more than EVENT_FEED_BUFFER_EVENTS wait behind them.
    for (let round = 0; round < 20 && svc.api.deps.eventFeed.stats().detachments === detachmentsBefore; round++) {
      await writer(store, 50, { payloadBytes: 64 * 1024, streams: 2 });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(svc.api.deps.eventFeed.stats().detachments).toBeGreaterThan(detachmentsBefore);
    await writer(store, 30); // more while it is paging
    client.resume();
    // The log shows committed events once no older transaction of the cluster is open: wait for the last 30 (the
    // small ones) to be readable before taking the expectation.
    const expected = await eventually(
      () => readAllAfter(store, start),
      (events) => events.filter((e) => e.type === 'FeedTestEvent' && String(e.data.padding).length === 16).length >= 30,
    );
    await client.waitFor((c) => c.events().length >= expected.length, 60_000);
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 2));
    expect(svc.api.deps.eventFeed.stats()).toMatchObject({ consumers: 1, live: 1 }); // back on the live tail
    client.close();
    expect(ids(client)).toEqual(expected.map((e) => e.id));
  }, 120_000);

  test('filters by event type and resource type; filtered-out events still move the position given in heartbeats', async () => {
    const store = svc.runtime.eventStore;
    const start = (await readAllAfter(store, START_POSITION)).at(-1)!.position;
    const byType = await feed(svc, `?from=${start}&types=CharacterCreated,WorldBookCreated`);
    const byResource = await feed(svc, `?from=${start}&resource_types=world-book`);
    const c1 = await svc.request('POST', '/api/v1/characters', { body: { name: `Filtered ${randomUUID().slice(0, 8)}` } });
    const b1 = await svc.request('POST', '/api/v1/characters/world-books', { body: { name: `Book ${randomUUID().slice(0, 8)}` } });
    expect([c1.status, b1.status]).toEqual([201, 201]);
    await writer(store, 20);
    // The log shows committed events once no older transaction of the cluster is open (test files share it).
    const after = await eventually(
      () => readAllAfter(store, start),
      (events) => events.filter((e) => e.type === 'FeedTestEvent').length >= 20,
    );
    const head = after.at(-1)!.position;
    const wantType = after.filter((e) => e.type === 'CharacterCreated' || e.type === 'WorldBookCreated');
    const wantResource = after.filter((e) => e.streamId.startsWith('worldbook-'));
    expect(wantType.length).toBe(2);
    expect(wantResource.length).toBeGreaterThan(0);
    // The trailing FeedTestEvents are filtered out: a heartbeat then carries the head position as its id.
    await byType.waitFor((c) => c.lastEventId === head);
    await byResource.waitFor((c) => c.lastEventId === head);
    byType.close();
    byResource.close();
    expect(ids(byType)).toEqual(wantType.map((e) => e.id));
    expect(ids(byResource)).toEqual(wantResource.map((e) => e.id));
    expect(byType.messages.some((m) => m.id === head && m.data === undefined && m.comments.includes('heartbeat'))).toBe(true);
  }, 30_000);

  test('heartbeats arrive while nothing happens', async () => {
    const client = await feed(svc, '?types=ChatDeleted');
    await client.waitFor((c) => c.messages.filter((m) => m.comments.includes('heartbeat')).length >= 3, 5000);
    client.close();
    expect(client.events()).toEqual([]);
  });

  test('bad input is a 400 problem and opens no stream', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['?types=NoSuchEvent', auth],
      ['?resource_types=spaceship', auth],
      ['?from=yesterday', auth],
      ['', { ...auth, 'Last-Event-ID': 'not-a-position' }],
      ['?from=99999999999999999999-99999999999999999999', auth],
    ];
    for (const [query, headers] of cases) {
      const res = await feed(svc, query, headers);
      await res.waitFor((c) => c.ended);
      expect([query, res.status, res.headers['content-type']?.split(';')[0]]).toEqual([query, 400, 'application/problem+json']);
    }
    expect((await feed(svc, '', {})).status).toBe(401);
    // A parameter the feed does not know is ignored (GETs are lenient), not a 400.
    const lenient = await feed(svc, '?from=now&unknown=1');
    expect(lenient.status).toBe(200);
    lenient.close();
  });

  test('a client that hangs up is let go, and the live tail stops with the last consumer', async () => {
    const client = await feed(svc);
    await client.waitFor((c) => c.messages.length > 0);
    expect(svc.api.deps.eventFeed.stats().consumers).toBeGreaterThan(0);
    client.close();
    for (let i = 0; i < 50 && svc.api.deps.eventFeed.stats().consumers > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(svc.api.deps.eventFeed.stats()).toMatchObject({ consumers: 0, live: 0, tailRunning: false });
  });
});

describe('GET /api/v1/events/schemas', () => {
  test('lists every event type of the catalogue with its JSON Schema, and the envelope', async () => {
    const res = await svc.request('GET', '/api/v1/events/schemas');
    expect(res.status).toBe(200);
    const types = allEventDefinitions()
      .map((d) => d.type)
      .sort();
    expect(res.body.items.map((i: { type: string }) => i.type).sort()).toEqual(types);
    expect(res.body.total).toBe(types.length);
    for (const item of res.body.items) {
      expect(item.schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(item.schema.type).toBe('object');
      expect(item.schema_version).toBe(eventDefinition(item.type)!.schemaVersion);
    }
    expect(Object.keys(res.body.envelope.properties)).toEqual(
      expect.arrayContaining(['id', 'type', 'stream', 'position', 'user_id', 'resource_type', 'data']),
    );
  });
});

describe('multi-user mode', () => {
  const secret = 'a-very-long-test-secret-for-hs256-signing-0123456789';
  let multi: TestService;
  const bearer = async (sub: string, claims: Record<string, unknown> = {}) => ({
    Authorization: `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`,
  });
  beforeAll(async () => {
    // Short request timeouts: a stream must outlive them (they bound receiving a request, not an answer).
    multi = await startTestService({
      env: {
        AUTH_MODE: 'multi-user',
        JWT_SECRET: secret,
        INLINE_PROJECTIONS: 'false',
        EVENT_FEED_HEARTBEAT_MS: String(HEARTBEAT_MS),
        HTTP_HEADERS_TIMEOUT_MS: '800',
        HTTP_REQUEST_TIMEOUT_MS: '1000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await multi?.close();
  });

  test("a user gets only their own events; an administrator gets everyone's", async () => {
    const [alice, bob, admin] = [await bearer('alice'), await bearer('bob'), await bearer('root', { role: 'admin' })];
    for (const [who, headers] of [
      ['alice', alice],
      ['bob', bob],
      ['alice', alice],
    ] as const) {
      const r = await multi.request('POST', '/api/v1/characters', {
        key: null,
        headers,
        body: { name: `${who} ${randomUUID().slice(0, 8)}` },
      });
      expect(r.status).toBe(201);
    }
    const all = await readAllAfter(multi.runtime.eventStore, START_POSITION);
    const head = all.at(-1)!.position;
    const aliceFeed = await feed(multi, '?from=start', alice);
    const adminFeed = await feed(multi, '?from=start', admin);
    await adminFeed.waitFor((c) => c.events().length >= all.length);
    await aliceFeed.waitFor((c) => c.lastEventId === head);
    aliceFeed.close();
    adminFeed.close();
    const aliceEvents = all.filter((e) => e.metadata.userId === 'alice');
    expect(aliceEvents.length).toBe(4);
    expect(ids(aliceFeed)).toEqual(aliceEvents.map((e) => e.id));
    expect(aliceFeed.events().every((m) => JSON.parse(m.data!).user_id === 'alice')).toBe(true);
    expect(ids(adminFeed)).toEqual(all.map((e) => e.id));
  });

  test("a user's catch-up reads only the events about their data and never opens another user's payload", async () => {
    const [dora, erin, admin] = [await bearer('dora'), await bearer('erin'), await bearer('root', { role: 'admin' })];
    const doras = await multi.request('POST', '/api/v1/characters', {
      key: null,
      headers: dora,
      body: { name: `Dora ${randomUUID().slice(0, 8)}` },
    });
    const erins = await multi.request('POST', '/api/v1/characters', {
      key: null,
      headers: erin,
      body: { name: `Erin ${randomUUID().slice(0, 8)}` },
    });
    expect([doras.status, erins.status]).toEqual([201, 201]);
    // An administrator's change to dora's character is about her data: it is in her feed (and under her key).
    const edited = await multi.request('PUT', `/api/v1/characters/${doras.body.id}`, {
      key: null,
      headers: admin,
      body: { description: 'edited by an administrator' },
    });
    expect(edited.status).toBe(200);
    // Spoil every payload of erin's in the log: whoever opens one gets an integrity error, not a payload.
    const db = new pg.Client({ connectionString: multi.databaseUrl });
    await db.connect();
    try {
      const spoiled = await db.query(
        "UPDATE es.events SET data = jsonb_set(data, '{$enc,ct}', to_jsonb('c3BvaWxlZA=='::text)) WHERE metadata->>'userId' = 'erin' AND data ? '$enc'",
      );
      expect(spoiled.rowCount).toBeGreaterThan(0);
    } finally {
      await db.end();
    }
    const all = await readAllAfter(multi.runtime.eventStore, START_POSITION).catch((err: unknown) => err);
    expect(String(all)).toMatch(/integrity|authenticat/i); // reading everything does open erin's payloads
    const head = await multi.runtime.eventStore.headPosition();
    const doraFeed = await feed(multi, '?from=start', dora);
    await doraFeed.waitFor((c) => c.lastEventId === head);
    const adminFeed = await feed(multi, '?from=start', admin);
    await adminFeed.waitFor((c) => c.ended || c.messages.some((m) => m.event === 'feed-error'), 10_000);
    doraFeed.close();
    adminFeed.close();
    // Dora got her own events and the administrator's edit, without ever touching erin's.
    expect(doraFeed.messages.some((m) => m.event === 'feed-error')).toBe(false);
    const got = doraFeed.events().map((m) => JSON.parse(m.data!));
    expect(got.length).toBeGreaterThanOrEqual(3);
    expect(got.every((e) => e.user_id === 'dora' || e.user_id === 'root')).toBe(true);
    expect(got.find((e) => e.user_id === 'root')).toMatchObject({
      type: 'CharacterUpdated',
      resource_id: doras.body.id,
      data: { changes: { description: 'edited by an administrator' } },
    });
    // The administrator's feed reads everyone's, so it does reach a spoiled payload (the check above can fail).
    expect(adminFeed.messages.some((m) => m.event === 'feed-error')).toBe(true);
  });

  test('at most EVENT_FEED_MAX_CONNECTIONS_PER_USER streams per user: one more is a 429 with Retry-After; closing one frees its slot', async () => {
    const limit = multi.runtime.config.EVENT_FEED_MAX_CONNECTIONS_PER_USER;
    expect(limit).toBe(4); // the default
    const [frank, gina] = [await bearer('frank'), await bearer('gina')];
    const open = await Promise.all(Array.from({ length: limit }, () => feed(multi, '?from=start', frank)));
    expect(open.map((c) => c.status)).toEqual(Array(limit).fill(200));
    const refused = await feed(multi, '', frank);
    await refused.waitFor((c) => c.ended);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(refused.text)).toMatchObject({ status: 429, code: 'too_many_feed_connections', limit });
    // Another user is not affected.
    const other = await feed(multi, '', gina);
    expect(other.status).toBe(200);
    other.close();
    open[0]!.close();
    let again = await feed(multi, '', frank);
    for (let i = 0; i < 50 && again.status === 429; i++) {
      await new Promise((r) => setTimeout(r, 20));
      again = await feed(multi, '', frank);
    }
    expect(again.status).toBe(200);
    for (const c of [again, ...open]) c.close();
  });

  test('a stream outlives the request timeouts; shutting down ends open streams at once (no wait for the shutdown timeout)', async () => {
    const client = await feed(multi, '', await bearer('carol'));
    await client.waitFor((c) => c.messages.length > 0);
    await new Promise((r) => setTimeout(r, 2500));
    const blocks = client.messages.length;
    await client.waitFor((c) => c.messages.length > blocks, 2000);
    expect(client.ended).toBe(false);
    const started = Date.now();
    await multi.api.close();
    expect(Date.now() - started).toBeLessThan(1500);
    await client.waitFor((c) => c.ended, 2000);
  });
});
