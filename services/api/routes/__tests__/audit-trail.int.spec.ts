import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { eventually } from '../../../../test/eventually.ts';

const secret = 'an-audit-trail-test-secret-0123456789-abcdef';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret } });
});
afterAll(async () => {
  await svc?.close();
});

const as = async (sub: string, claims: Record<string, unknown> = {}) => {
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
  return { key: null, headers: { Authorization: `Bearer ${token}` } };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('audit trail: who changed this card, when, and what did it look like before', () => {
  test('an administrator answers it with history, as_of and the audit query', async () => {
    const alice = await as('alice');
    const mallory = await as('mallory');
    const auditor = await as('auditor', { role: 'admin' });
    const moderator = await as('moderator', { role: 'admin' });

    // Alice creates a card and edits it; later a moderator (an administrator) edits it too.
    const created = await svc.request('POST', '/api/v1/characters', {
      ...alice,
      body: { name: 'Lighthouse Keeper', description: 'Keeps the light.', personality: 'calm' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const firstEdit = await svc.request('PUT', `/api/v1/characters/${id}?expected_version=1`, {
      ...alice,
      body: { description: 'Keeps the light, and a secret.' },
    });
    expect(firstEdit.status).toBe(200);
    await sleep(10);
    const beforeModeration = new Date().toISOString();
    await sleep(10);
    const secondEdit = await svc.request('PUT', `/api/v1/characters/${id}?expected_version=2`, {
      ...moderator,
      body: { description: 'Keeps the light.', personality: 'calm, watchful' },
    });
    expect(secondEdit.status).toBe(200);
    // Noise: other users' activity the audit filters must keep apart.
    const other = await svc.request('POST', '/api/v1/characters', { ...mallory, body: { name: 'Smuggler' } });
    expect(other.status).toBe(201);

    // Who changed it, and when: the card's history.
    const history = await svc.request('GET', `/api/v1/characters/${id}/history`, auditor);
    expect(history.status).toBe(200);
    expect(
      history.body.items.map((i: any) => [i.version, i.user_id, i.event_type, i.version === 1 ? [] : [...i.changed_fields].sort()]),
    ).toEqual([
      [1, 'alice', 'CharacterCreated', []],
      [2, 'alice', 'CharacterUpdated', ['description']],
      [3, 'moderator', 'CharacterUpdated', ['description', 'personality']],
    ]);
    const [v1, v2, v3] = history.body.items;
    expect(v1.changed_fields).toEqual(expect.arrayContaining(['name', 'description', 'personality'])); // a creation sets every field
    expect(Date.parse(v1.at)).toBeLessThanOrEqual(Date.parse(v2.at));
    expect(Date.parse(v2.at)).toBeLessThan(Date.parse(beforeModeration));
    expect(Date.parse(v3.at)).toBeGreaterThan(Date.parse(beforeModeration));
    expect(v3.summary).toBe('changed description, personality');
    expect(v3.request_id).toBe(secondEdit.headers.get('x-request-id'));

    // What it looked like before the moderator's edit: by version, and by the moment.
    const byVersion = await svc.request('GET', `/api/v1/characters/${id}?as_of=2`, auditor);
    expect(byVersion.status).toBe(200);
    expect(byVersion.body).toMatchObject({
      version: 2,
      as_of_version: 2,
      description: 'Keeps the light, and a secret.',
      personality: 'calm',
      owner_id: 'alice',
    });
    const byTime = await svc.request('GET', `/api/v1/characters/${id}?as_of=${encodeURIComponent(beforeModeration)}`, auditor);
    expect(byTime.body).toEqual(byVersion.body);
    const now = await svc.request('GET', `/api/v1/characters/${id}`, auditor);
    expect(now.body).toMatchObject({ version: 3, description: 'Keeps the light.', personality: 'calm, watchful' });

    // The same answer from the audit projection: everything that touched the card, newest first.
    const audit = await svc.request('GET', `/api/v1/audit/events?resource_type=character&resource_id=${id}`, auditor);
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((e: any) => [e.version, e.user_id, e.event_type, e.summary])).toEqual([
      [3, 'moderator', 'CharacterUpdated', 'changed description, personality'],
      [2, 'alice', 'CharacterUpdated', 'changed description'],
      [1, 'alice', 'CharacterCreated', 'created character "Lighthouse Keeper"'],
    ]);
    expect(audit.body.items.map((e: any) => e.event_id)).toEqual(history.body.items.map((i: any) => i.event_id).reverse());

    // Filters: by user, by event type, by time, and cursor pages that add up to the whole.
    const byModerator = await svc.request('GET', '/api/v1/audit/events?user_id=moderator', auditor);
    expect(byModerator.body.items.map((e: any) => [e.resource_id, e.event_type])).toEqual([[id, 'CharacterUpdated']]);
    // Mallory's create was answered from the row its own append wrote (inline projection); the audit projection
    // follows it asynchronously, so another user's query waits for it.
    const byMallory = (
      await eventually(
        () => svc.request('GET', '/api/v1/audit/events?user_id=mallory&event_type=CharacterCreated', auditor),
        (r) => r.body.items?.length > 0,
      )
    ).body.items;
    expect(byMallory.map((e: any) => e.resource_id)).toEqual([other.body.id]);
    const sinceModeration = (
      await svc.request('GET', `/api/v1/audit/events?from=${encodeURIComponent(beforeModeration)}&resource_type=character`, auditor)
    ).body.items;
    expect(sinceModeration.map((e: any) => e.user_id).sort()).toEqual(['mallory', 'moderator']);
    const untilModeration = (
      await svc.request('GET', `/api/v1/audit/events?to=${encodeURIComponent(beforeModeration)}&resource_id=${id}`, auditor)
    ).body.items;
    expect(untilModeration.map((e: any) => e.version)).toEqual([2, 1]);
    const everything = (await svc.request('GET', '/api/v1/audit/events?order=asc&limit=500', auditor)).body.items;
    const paged: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await svc.request('GET', `/api/v1/audit/events?order=asc&limit=2${cursor ? `&cursor=${cursor}` : ''}`, auditor);
      expect(page.status).toBe(200);
      paged.push(...page.body.items);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(paged).toEqual(everything);
    expect(everything.length).toBeGreaterThanOrEqual(5); // creations, edits, name reservations
    expect(new Set(everything.map((e: any) => e.position)).size).toBe(everything.length);

    // Only administrators audit; the owner and strangers do not; another user's history and past are 403.
    for (const who of [alice, mallory]) {
      const refused = await svc.request('GET', '/api/v1/audit/events', who);
      expect([refused.status, refused.body.code]).toEqual([403, 'admin_required']);
    }
    expect((await svc.request('GET', '/api/v1/audit/events', { key: null })).status).toBe(401);
    expect((await svc.request('GET', `/api/v1/characters/${id}/history`, mallory)).status).toBe(403);
    expect((await svc.request('GET', `/api/v1/characters/${id}?as_of=1`, mallory)).status).toBe(403);
    expect((await svc.request('GET', `/api/v1/characters/${id}/history`, alice)).status).toBe(200);

    // Bad filters are 400 problems.
    for (const qs of [
      'from=yesterday',
      'cursor=bm9wZQ',
      'limit=0',
      'order=sideways',
      `from=${encodeURIComponent(new Date().toISOString())}&to=2001-01-01T00:00:00Z`,
    ]) {
      const res = await svc.request('GET', `/api/v1/audit/events?${qs}`, auditor);
      expect([qs, res.status]).toEqual([qs, 400]);
    }
    // A parameter the route does not know is ignored on a GET (clients that send extra ones keep working).
    expect((await svc.request('GET', '/api/v1/audit/events?unknown=1', auditor)).status).toBe(200);
    const descCursor = (await svc.request('GET', '/api/v1/audit/events?limit=1', auditor)).body.next_cursor;
    expect((await svc.request('GET', `/api/v1/audit/events?order=asc&cursor=${descCursor}`, auditor)).status).toBe(400);
  });

  test('the OpenAPI document describes the audit query, the histories and as_of', async () => {
    const doc = (await svc.request('GET', '/openapi.json', { key: null })).body;
    const params = (path: string) => doc.paths[path].get.parameters.map((p: { name: string }) => p.name);
    expect(params('/api/v1/audit/events')).toEqual([
      'user_id',
      'resource_type',
      'resource_id',
      'event_type',
      'from',
      'to',
      'order',
      'cursor',
      'limit',
    ]);
    for (const path of [
      '/api/v1/characters/{id}/history',
      '/api/v1/characters/world-books/{id}/history',
      '/api/v1/characters/world-books/{id}/entries/{entry_id}/history',
      '/api/v1/character_chats/{chat_id}/history',
      '/api/v1/character_messages/messages/{message_id}/history',
    ]) {
      expect([path, params(path).slice(-3)]).toEqual([path, ['limit', 'order', 'cursor']]);
    }
    for (const path of ['/api/v1/characters/{id}', '/api/v1/characters/world-books/{id}', '/api/v1/character_chats/{chat_id}'])
      expect(params(path)).toContain('as_of');
  });
});
