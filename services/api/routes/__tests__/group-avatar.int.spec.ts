import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';
import { buildPng, tEXt } from '../../../../shared/cards/__tests__/helpers/builders.ts';

/** A group's own image: stored as a persona's (quota, blob store), served back, removed, forgotten with its user. */
const G = '/api/v1/groups';
const QUOTA = 6000;
let svc: TestService;
let admin: string;
beforeAll(async () => {
  svc = await startTestService({
    env: {
      AUTH_MODE: 'multi-user',
      JWT_SECRET: 'group-avatar-secret-0123456789-abcdefghijkl',
      STORAGE_QUOTA_BYTES_PER_USER: String(QUOTA),
    },
    roles: { api: true, projector: true, worker: false },
  });
  admin = (await svc.runtime.userStore.createUser('group-avatar-admin', true)).apiKey;
}, 30_000);
afterAll(async () => {
  await svc?.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function userWithGroup(name: string, avatar?: Uint8Array) {
  const { user, apiKey: key } = await svc.runtime.userStore.createUser(name, false);
  const character = await svc.request('POST', '/api/v1/characters', { key, body: { name: `${name} member` } });
  expect(character.status).toBe(201);
  const body = {
    name: `${name} group`,
    member_ids: [character.body.id],
    ...(avatar ? { avatar_base64: Buffer.from(avatar).toString('base64') } : {}),
  };
  const group = await svc.request('POST', G, { key, body });
  expect(group.status).toBe(201);
  return { user, key, group: group.body };
}

describe('group avatars', () => {
  test('set on create, served back byte for byte with its content type, replaced and removed on update; a bad image is a 400', async () => {
    const png = buildPng([tEXt('Comment', 'group picture one')], { width: 9 });
    const { key, group } = await userWithGroup('painter', png);
    expect(group.avatar).toEqual({ media_type: 'image/png', size: png.byteLength, url: `${G}/${group.id}/avatar` });

    const got = await svc.download(`${G}/${group.id}/avatar`, { key });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toContain('image/png');
    expect(Buffer.from(got.bytes).equals(Buffer.from(png))).toBe(true);
    const etag = got.headers.get('etag')!;
    expect((await svc.download(`${G}/${group.id}/avatar`, { key, headers: { 'If-None-Match': etag } })).status).toBe(304);

    const other = await svc.runtime.userStore.createUser('onlooker', false);
    expect((await svc.download(`${G}/${group.id}/avatar`, { key: other.apiKey })).status).toBe(403);

    const bad = await svc.request('PUT', `${G}/${group.id}`, { key, body: { avatar_base64: 'bm90IGFuIGltYWdl' } });
    expect(bad.status).toBe(400);
    expect((await svc.request('GET', `${G}/${group.id}`, { key })).body.version).toBe(group.version);

    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    const replaced = await svc.request('PUT', `${G}/${group.id}`, {
      key,
      body: { avatar_base64: `data:image/gif;base64,${gif.toString('base64')}` },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.avatar).toMatchObject({ media_type: 'image/gif', size: gif.byteLength });
    const gifBack = await svc.download(`${G}/${group.id}/avatar`, { key });
    expect(gifBack.headers.get('content-type')).toContain('image/gif');
    expect(Buffer.from(gifBack.bytes).equals(gif)).toBe(true);

    const removed = await svc.request('PUT', `${G}/${group.id}`, { key, body: { avatar_base64: null } });
    expect(removed.status).toBe(200);
    expect(removed.body.avatar).toBeNull();
    const none = await svc.download(`${G}/${group.id}/avatar`, { key });
    expect(none.status).toBe(404);

    // Time travel shows the image the group had then.
    expect((await svc.request('GET', `${G}/${group.id}?as_of=1`, { key })).body.avatar).toMatchObject({ media_type: 'image/png' });
  }, 30_000);

  test('an image over the storage quota is a 413 and changes nothing: no group, no blob', async () => {
    const first = buildPng([tEXt('Comment', 'a'.repeat(3500))], { width: 5 });
    const { key, group } = await userWithGroup('collector', first);
    const second = buildPng([tEXt('Comment', 'b'.repeat(3500))], { width: 5 });
    const body = { name: 'one too many', member_ids: group.members.map((m: { character_id: string }) => m.character_id) };
    const over = await svc.request('POST', G, { key, body: { ...body, avatar_base64: Buffer.from(second).toString('base64') } });
    expect(over.status).toBe(413);
    expect(over.body.code).toBe('quota_exceeded');
    expect(await svc.runtime.blobStore.has(sha256(second))).toBe(false);
    expect((await svc.request('GET', G, { key })).body.total).toBe(1);
    const update = await svc.request('PUT', `${G}/${group.id}`, { key, body: { avatar_base64: Buffer.from(second).toString('base64') } });
    expect(update.status).toBe(413);
    expect((await svc.request('GET', `${G}/${group.id}`, { key })).body).toMatchObject({ version: group.version, avatar: group.avatar });
  }, 30_000);

  test("forgetting the user removes the group's image from the read model and the blob store", async () => {
    const png = buildPng([tEXt('Comment', 'a picture only the forgotten user had')], { width: 13 });
    const { user, group } = await userWithGroup('forgotten', png);
    expect(await svc.runtime.blobStore.has(sha256(png))).toBe(true);
    expect((await svc.request('DELETE', `/api/v1/admin/users/${user.id}/data`, { key: admin })).status).toBe(200);
    const rows = await svc.runtime.database.db
      .withSchema(svc.runtime.config.READ_SCHEMA)
      .selectFrom('groups')
      .select('id')
      .where('owner_id', '=', user.id)
      .execute();
    expect(rows).toEqual([]);
    expect(await svc.runtime.blobStore.has(sha256(png))).toBe(false);
    expect((await svc.download(`${G}/${group.id}/avatar`, { key: admin })).status).toBe(404);
  }, 30_000);

  test('the read models rebuild from the events', async () => {
    const { differences } = await compareWithFreshRebuild(svc.databaseUrl);
    expect(differences).toEqual({});
  }, 30_000);
});
