import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const seraphina = {
  name: 'Seraphina',
  description: "{{char}} is a guardian of Eldoria's forest.",
  personality: 'caring, protective',
  scenario: '{{user}} wakes in a glade',
  first_message: '*You wake up.* Are you hurt?',
  alternate_greetings: ['Hello, traveller.', 'You are safe now.'],
  tags: ['Fantasy', 'Guardian'],
  extensions: { depth_prompt: { depth: 4, prompt: 'stay kind' }, unknown_tool: { nested: [1, 2, 3] } },
};

describe('characters over HTTP', () => {
  test('create returns 201 with version 1, a Location, and every field', async () => {
    const res = await svc.request('POST', '/api/v1/characters', { body: seraphina });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/characters/${res.body.id}`);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.body).toMatchObject({ ...seraphina, version: 1, owner_id: 'local', deleted_at: null });
    expect(res.body.created_at).toBe(res.body.updated_at);
    const got = await svc.request('GET', `/api/v1/characters/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
    expect(got.headers.get('etag')).toBe('W/"1"');
  });

  test("a create is one durable write on the PostgreSQL log: the name's reservation and the character in one transaction", async () => {
    const res = await svc.request('POST', '/api/v1/characters', { body: { name: 'One Write' } });
    expect(res.status).toBe(201);
    const { rows } = await svc.runtime.database.pool.query<{ stream_id: string; type: string; tx: string }>(
      `SELECT stream_id, type, transaction_id::text AS tx FROM es.events
        WHERE transaction_id = (SELECT transaction_id FROM es.events WHERE stream_id = $1) ORDER BY global_position`,
      [`character-${res.body.id}`],
    );
    expect(rows.map((r) => r.type).sort()).toEqual(['CharacterCreated', 'CharacterNameReserved']);
    expect(rows.find((r) => r.type === 'CharacterNameReserved')!.stream_id).toMatch(/^charactername-/);
  });

  test('read your writes: POST then an immediate GET sees the change, 200 times in a row', async () => {
    for (let i = 0; i < 200; i++) {
      const created = await svc.request('POST', '/api/v1/characters', { body: { name: `RYW ${i}`, description: `d${i}` } });
      expect(created.status).toBe(201);
      const got = await svc.request('GET', `/api/v1/characters/${created.body.id}`);
      expect(got.status).toBe(200);
      expect(got.body.description).toBe(`d${i}`);
      const updated = await svc.request('PUT', `/api/v1/characters/${created.body.id}?expected_version=1`, {
        body: { description: `u${i}` },
      });
      expect(updated.status).toBe(200);
      const again = await svc.request('GET', `/api/v1/characters/${created.body.id}`);
      expect(again.body).toMatchObject({ description: `u${i}`, version: 2 });
    }
  }, 120_000);

  test('partial update with expected_version; a stale version is a 409 and changes nothing', async () => {
    const { body: c } = await svc.request('POST', '/api/v1/characters', { body: { name: 'Versioned' } });
    const ok = await svc.request('PUT', `/api/v1/characters/${c.id}?expected_version=1`, { body: { personality: 'bold', tags: ['A'] } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'Versioned', personality: 'bold', tags: ['A'], version: 2 });
    const stale = await svc.request('PUT', `/api/v1/characters/${c.id}?expected_version=1`, { body: { personality: 'meek' } });
    expect(stale.status).toBe(409);
    expect(stale.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(stale.body).toMatchObject({ code: 'version_conflict', current_version: 2, expected_version: 1 });
    expect((await svc.request('GET', `/api/v1/characters/${c.id}`)).body.personality).toBe('bold');
    const noop = await svc.request('PUT', `/api/v1/characters/${c.id}?expected_version=2`, { body: { personality: 'bold' } });
    expect(noop.status).toBe(200);
    expect(noop.body.version).toBe(2);
  });

  test('delete is soft, versioned, and a deleted character reads as 404', async () => {
    const { body: c } = await svc.request('POST', '/api/v1/characters', { body: { name: 'Ephemeral' } });
    expect((await svc.request('DELETE', `/api/v1/characters/${c.id}?expected_version=7`)).status).toBe(409);
    const del = await svc.request('DELETE', `/api/v1/characters/${c.id}?expected_version=1`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: c.id, version: 2, deleted: true });
    expect((await svc.request('GET', `/api/v1/characters/${c.id}`)).status).toBe(404);
    expect((await svc.request('DELETE', `/api/v1/characters/${c.id}`)).status).toBe(404);
    const list = await svc.request('GET', '/api/v1/characters?limit=200');
    expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(c.id);
    const events = await svc.runtime.eventStore.readStream(`character-${c.id}`);
    expect(events.map((e) => e.type)).toEqual(['CharacterCreated', 'CharacterDeleted']);
  });

  test('bad input is a 400 problem and stores nothing', async () => {
    const before = await svc.runtime.eventStore.headPosition();
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/characters', { description: 'no name' }],
      ['POST', '/api/v1/characters', { name: '' }],
      ['POST', '/api/v1/characters', { name: 'x', tags: 'not-a-list' }],
      ['POST', '/api/v1/characters', { name: 'x', alternate_greetings: [1, 2] }],
      ['POST', '/api/v1/characters', '{"name": "broken json"'],
      ['POST', '/api/v1/characters', { name: 'x'.repeat(501) }],
      ['GET', '/api/v1/characters/not-a-uuid', undefined],
      ['GET', '/api/v1/characters?limit=0', undefined],
      ['GET', '/api/v1/characters?limit=abc', undefined],
      ['PUT', '/api/v1/characters/01a20b51-8aef-70e2-bc70-d07f7c1061d9?expected_version=0', { name: 'x' }],
      ['PUT', '/api/v1/characters/01a20b51-8aef-70e2-bc70-d07f7c1061d9', { unknown_field: 1 }],
    ];
    for (const [method, url, body] of cases) {
      const res = await svc.request(method, url, body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } });
      expect({ method, url, status: res.status }).toEqual({ method, url, status: 400 });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(typeof res.body.code).toBe('string');
      expect(typeof res.body.detail).toBe('string');
    }
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
  });

  test('missing credentials are 401, a missing character 404, an unknown route 404', async () => {
    expect((await svc.request('GET', '/api/v1/characters', { key: null })).status).toBe(401);
    expect((await svc.request('GET', '/api/v1/characters', { key: 'wrong-key-wrong-key' })).status).toBe(401);
    const bearer = await svc.request('GET', '/api/v1/characters', {
      key: null,
      headers: { Authorization: 'Bearer test-api-key-0123456789abcdef' },
    });
    expect(bearer.status).toBe(200);
    expect((await svc.request('GET', '/api/v1/characters/01a20b51-8aef-70e2-bc70-d07f7c1061d9')).status).toBe(404);
    expect((await svc.request('PUT', '/api/v1/characters/01a20b51-8aef-70e2-bc70-d07f7c1061d9', { body: { name: 'x' } })).status).toBe(404);
    expect((await svc.request('GET', '/api/v1/nothing-here')).body.code).toBe('route_not_found');
  });

  test('list is paginated and ordered by name', async () => {
    const names = ['Zed', 'Amy', 'Mia'].map((n) => `Page ${n}`);
    for (const name of names) await svc.request('POST', '/api/v1/characters', { body: { name } });
    const all = (await svc.request('GET', '/api/v1/characters?limit=200')).body;
    const sorted = [...all.items.map((c: { name: string }) => c.name)].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0));
    expect(all.items.map((c: { name: string }) => c.name)).toEqual(sorted);
    const page = (await svc.request('GET', '/api/v1/characters?limit=2&offset=1')).body;
    expect(page.items).toHaveLength(2);
    expect(page.items[0].id).toBe(all.items[1].id);
    expect(page.next_offset).toBe(3);
    expect(page.total).toBe(all.total);
  });

  test('operations endpoints: health, ready, metrics, openapi, docs', async () => {
    expect((await svc.request('GET', '/health', { key: null })).body).toEqual({ status: 'ok' });
    const ready = await svc.request('GET', '/ready', { key: null });
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({
      database: { ok: true },
      event_store: { ok: true, kind: 'postgres' },
      projections: { ok: true },
    });
    const metrics = await svc.request('GET', '/metrics', { key: null });
    expect(metrics.body).toMatch(/http_request_duration_seconds_bucket/);
    expect(metrics.body).toMatch(/projection_lag_seconds\{projection="characters"\}/);
    const openapi = (await svc.request('GET', '/openapi.json', { key: null })).body;
    expect(openapi.openapi).toBe('3.1.0');
    expect(openapi.paths['/api/v1/characters/{id}'].put.parameters.map((p: { name: string }) => p.name)).toEqual([
      'id',
      'expected_version',
    ]);
    expect(openapi.paths['/api/v1/characters'].post.requestBody.content['application/json'].schema.properties.name).toBeTruthy();
    const docs = await svc.request('GET', '/docs', { key: null });
    expect(docs.body).toMatch(/openapi\.json/);
  });
});
