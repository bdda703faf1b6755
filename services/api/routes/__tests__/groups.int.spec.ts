import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';
import { buildPng, cardJson, tEXt } from '../../../../shared/cards/__tests__/helpers/builders.ts';

const secret = 'a-very-long-test-secret-for-hs256-signing-0123456789';
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: secret, GROUP_MAX_MEMBERS: '3' } });
});
afterAll(async () => {
  await svc?.close();
});

const token = (sub: string) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
const as = async (sub: string) => ({ key: null, headers: { Authorization: `Bearer ${await token(sub)}` } });
type Who = Awaited<ReturnType<typeof as>>;
const BASE = '/api/v1/groups';
const MISSING = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';

async function character(who: Who, name: string, extensions?: Record<string, unknown>): Promise<string> {
  const res = await svc.request('POST', '/api/v1/characters', {
    ...who,
    body: { name, first_message: `Hi, I am ${name}.`, ...(extensions ? { extensions } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('groups over HTTP', () => {
  test('create with defaults and overrides, read, list, update with the version (409 stale), delete, restore, history, as_of', async () => {
    const ann = await as('ann');
    const alice = await character(ann, 'Alice', { talkativeness: '0.9' });
    const bob = await character(ann, 'Bob');
    const carol = await character(ann, 'Carol', { talkativeness: 'chatty' });
    const book = (await svc.request('POST', '/api/v1/characters/world-books', { ...ann, body: { name: 'Party lore' } })).body.id;

    const created = await svc.request('POST', BASE, {
      ...ann,
      body: {
        name: 'The party',
        member_ids: [alice, { character_id: bob, talkativeness: 0.2 }, { character_id: carol, enabled: false }],
        world_book_ids: [book],
      },
    });
    expect(created.status).toBe(201);
    const g = created.body;
    expect(g).toMatchObject({
      name: 'The party',
      version: 1,
      activation_strategy: 'natural',
      generation_mode: 'swap',
      allow_self_responses: false,
      world_book_ids: [book],
      deleted_at: null,
    });
    expect(g.members).toEqual([
      { character_id: alice, name: 'Alice', enabled: true, talkativeness: 0.9, talkativeness_override: null, character_deleted: false },
      { character_id: bob, name: 'Bob', enabled: true, talkativeness: 0.2, talkativeness_override: 0.2, character_deleted: false },
      { character_id: carol, name: 'Carol', enabled: false, talkativeness: 0.5, talkativeness_override: null, character_deleted: false },
    ]);

    expect((await svc.request('GET', `${BASE}/${g.id}`, ann)).body).toEqual(g);
    const list = await svc.request('GET', BASE, ann);
    expect(list.body).toMatchObject({ total: 1, next_offset: null });
    expect(list.body.items[0].id).toBe(g.id);

    const updated = await svc.request('PUT', `${BASE}/${g.id}?expected_version=1`, {
      ...ann,
      body: { activation_strategy: 'pooled', generation_mode: 'append', member_ids: [bob, alice] },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, activation_strategy: 'pooled', generation_mode: 'append' });
    expect(updated.body.members.map((m: { name: string }) => m.name)).toEqual(['Bob', 'Alice']);
    const stale = await svc.request('PUT', `${BASE}/${g.id}?expected_version=1`, { ...ann, body: { name: 'Late' } });
    expect(stale.status).toBe(409);

    expect((await svc.request('DELETE', `${BASE}/${g.id}`, ann)).body).toEqual({ id: g.id, version: 3, deleted: true });
    expect((await svc.request('GET', `${BASE}/${g.id}`, ann)).status).toBe(404);
    expect((await svc.request('GET', BASE, ann)).body.total).toBe(0);
    expect((await svc.request('GET', `${BASE}?include_deleted=true`, ann)).body.total).toBe(1);
    const restored = await svc.request('POST', `${BASE}/${g.id}/restore`, ann);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ version: 4, deleted_at: null });
    expect((await svc.request('POST', `${BASE}/${g.id}/restore`, ann)).status).toBe(409);

    const history = await svc.request('GET', `${BASE}/${g.id}/history`, ann);
    expect(history.body.items.map((i: { event_type: string }) => i.event_type)).toEqual([
      'GroupCreated',
      'GroupUpdated',
      'GroupDeleted',
      'GroupRestored',
    ]);
    expect(history.body.items[1].changed_fields.sort()).toEqual(['activation_strategy', 'generation_mode', 'members']);

    const past = await svc.request('GET', `${BASE}/${g.id}?as_of=1`, ann);
    expect(past.status).toBe(200);
    expect(past.body).toEqual({ ...g, as_of_version: 1 });
    const now = await svc.request('GET', `${BASE}/${g.id}?as_of=4`, ann);
    const { as_of_version, ...rebuilt } = now.body;
    expect(as_of_version).toBe(4);
    expect(rebuilt).toEqual((await svc.request('GET', `${BASE}/${g.id}`, ann)).body);

    const { differences } = await compareWithFreshRebuild(svc.databaseUrl);
    expect(differences).toEqual({});
  }, 60_000);

  test("bad input is a 400 and changes nothing; another user's characters, books and groups are 403, missing ones 404", async () => {
    const ben = await as('ben');
    const eve = await as('eve');
    const mine = await character(ben, 'Ben one');
    const [two, three, four] = [await character(ben, 'Ben two'), await character(ben, 'Ben three'), await character(ben, 'Ben four')];
    const theirs = await character(eve, 'Eve one');
    const theirBook = (await svc.request('POST', '/api/v1/characters/world-books', { ...eve, body: { name: 'Eve lore' } })).body.id;
    const post = (body: unknown) => svc.request('POST', BASE, { ...ben, body });

    const cases: Array<[unknown, number, string?]> = [
      [{ name: 'x', member_ids: [] }, 400],
      [{ name: '', member_ids: [mine] }, 400],
      [{ name: 'x', member_ids: [mine], activation_strategy: 'random' }, 400],
      [{ name: 'x', member_ids: [mine], generation_mode: 'merge' }, 400],
      [{ name: 'x', member_ids: [{ character_id: mine, talkativeness: 2 }] }, 400],
      [{ name: 'x', member_ids: [mine, mine] }, 400, 'duplicate_member'],
      [{ name: 'x', member_ids: [mine, two, three, four] }, 400, 'too_many_members'],
      [{ name: 'x', member_ids: [mine], surprise: 1 }, 400],
      [{ name: 'x', member_ids: [theirs] }, 403],
      [{ name: 'x', member_ids: [mine], world_book_ids: [theirBook] }, 403],
      [{ name: 'x', member_ids: [MISSING] }, 404],
      [{ name: 'x', member_ids: [mine], world_book_ids: [MISSING] }, 404],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      if (code) expect(res.body.code).toBe(code);
    }
    expect((await svc.request('GET', BASE, ben)).body.total).toBe(0);

    const g = (await post({ name: 'Bens', member_ids: [mine] })).body;
    for (const [method, url, body] of [
      ['GET', `${BASE}/${g.id}`, undefined],
      ['PUT', `${BASE}/${g.id}`, { name: 'hijack' }],
      ['DELETE', `${BASE}/${g.id}`, undefined],
      ['POST', `${BASE}/${g.id}/restore`, undefined],
      ['GET', `${BASE}/${g.id}/history`, undefined],
      ['GET', `${BASE}/${g.id}?as_of=1`, undefined],
    ] as const) {
      expect([method, url, (await svc.request(method, url, { ...eve, ...(body ? { body } : {}) })).status]).toEqual([method, url, 403]);
      expect((await svc.request(method, url.replace(g.id, MISSING), { ...ben, ...(body ? { body } : {}) })).status).toBe(404);
    }
    const add = await svc.request('PUT', `${BASE}/${g.id}`, { ...ben, body: { member_ids: [mine, theirs] } });
    expect(add.status).toBe(403);
    expect((await svc.request('GET', `${BASE}/${g.id}`, ben)).body.version).toBe(1);
  }, 60_000);

  test('a SillyTavern group file imports (members by avatar file name, then by name; codes to names) and exports back', async () => {
    const ivy = await as('ivy');
    const aria = await character(ivy, 'Aria');
    // Brom's card was imported from brom_v2.png: the group file names him by that avatar.
    const form = new FormData();
    const png = buildPng([tEXt('chara', Buffer.from(cardJson('Brom')).toString('base64'))]);
    form.append('file', new Blob([Buffer.from(png)]), 'brom_v2.png');
    const imported = await fetch(`${svc.url}/api/v1/characters/import`, { method: 'POST', headers: ivy.headers, body: form });
    expect(imported.status).toBe(201);
    const brom = ((await imported.json()) as { id: string }).id;

    const file = JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/sillytavern-groups/1727532202000.json'), 'utf8'));
    const res = await svc.request('POST', `${BASE}/import`, { ...ivy, body: file });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Group: Aria, Brom',
      activation_strategy: 'pooled',
      generation_mode: 'append',
      allow_self_responses: true,
      join_prefix: '<{{char}}>',
      join_suffix: '</{{char}}>',
      unresolved: ['Ghost.png'],
      source: { kind: 'import', format: 'sillytavern' },
    });
    expect(res.body.members.map((m: { character_id: string; enabled: boolean }) => [m.character_id, m.enabled])).toEqual([
      [aria, true],
      [brom, false],
    ]);

    const exported = await svc.request('GET', `${BASE}/${res.body.id}/export`, ivy);
    expect(exported.status).toBe(200);
    expect(exported.body).toMatchObject({
      id: res.body.id,
      name: 'Group: Aria, Brom',
      members: ['Aria.png', 'brom_v2.png'],
      disabled_members: ['brom_v2.png'],
      activation_strategy: 3,
      generation_mode: 1,
      allow_self_responses: true,
      generation_mode_join_prefix: '<{{char}}>',
    });

    expect((await svc.request('POST', `${BASE}/import`, { ...ivy, body: { name: 'x' } })).status).toBe(422);
    const strangers = await svc.request('POST', `${BASE}/import`, { ...ivy, body: { members: ['Nobody.png'] } });
    expect(strangers.status).toBe(400);
    expect((await svc.request('GET', `${BASE}/${res.body.id}/export`, await as('eve'))).status).toBe(403);
  }, 60_000);
});
