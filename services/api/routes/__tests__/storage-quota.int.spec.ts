/**
 * Per-user storage quota (STORAGE_QUOTA_BYTES_PER_USER): real uploads (message images, card imports) over real
 * HTTP fill a user's quota; the next is a 413 `quota_exceeded` that stores nothing; parallel uploads do not pass
 * it; `GET /api/v1/users/me/usage` reports what is stored; soft deletes keep bytes counted, forgetting releases
 * them. Rate limits are off here so that only the quota refuses.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { migrateBlobQuota } from '../../../../infra/blobs/blob-quota.ts';
import { sha256Hex } from '../../../../infra/blobs/blob-store.ts';
import { buildPng, cardJson, tEXt } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const IMAGE_BYTES = 20_000;
const QUOTA = 10 * IMAGE_BYTES + IMAGE_BYTES / 2; // room for exactly ten images

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({
    env: {
      AUTH_MODE: 'multi-user',
      JWT_SECRET: 'storage-quota-secret-0123456789-abcdefgh',
      RATE_LIMITS_ENABLED: 'false',
      STORAGE_QUOTA_BYTES_PER_USER: String(QUOTA),
    },
  });
});
afterAll(async () => {
  await svc?.close();
});

/** A distinct PNG of exactly IMAGE_BYTES bytes (random filler in a comment chunk). */
function uniquePng(size = IMAGE_BYTES): Uint8Array {
  const bare = buildPng([tEXt('Comment', '')]).byteLength;
  return buildPng([
    tEXt(
      'Comment',
      randomBytes(size)
        .toString('hex')
        .slice(0, size - bare),
    ),
  ]);
}

async function newUser(name: string) {
  const { user, apiKey: key } = await svc.runtime.userStore.createUser(`${name}-${randomBytes(3).toString('hex')}`, false);
  const character = await svc.request('POST', '/api/v1/characters', { key, body: { name: 'Keeper' } });
  expect(character.status).toBe(201);
  const chat = await svc.request('POST', '/api/v1/character_chats', { key, body: { character_id: character.body.id } });
  expect(chat.status).toBe(201);
  return { id: user.id, key, chatId: chat.body.id as string };
}

const postImage = (user: { key: string; chatId: string }, png: Uint8Array) =>
  svc.request('POST', `/api/v1/character_messages/chats/${user.chatId}/messages`, {
    key: user.key,
    body: { sender: 'user', content: 'look', image_base64: Buffer.from(png).toString('base64') },
  });

const usage = async (key: string) => {
  const res = await svc.request('GET', '/api/v1/users/me/usage', { key });
  expect(res.status).toBe(200);
  return res.body;
};

async function blobsStored(shas: string[]): Promise<number> {
  const { rows } = await svc.runtime.database.pool.query('SELECT count(*)::int AS n FROM blobs.blobs WHERE sha256 = ANY($1::text[])', [
    shas,
  ]);
  return rows[0].n;
}

async function totalBlobs(): Promise<number> {
  const { rows } = await svc.runtime.database.pool.query('SELECT count(*)::int AS n FROM blobs.blobs');
  return rows[0].n;
}

describe('storage quota', () => {
  test('uploads fill the quota; the next is a 413 quota_exceeded that stores nothing; usage matches', async () => {
    const user = await newUser('filler');
    const images = Array.from({ length: 10 }, () => uniquePng());
    expect(images.every((i) => i.byteLength === IMAGE_BYTES)).toBe(true);
    for (const png of images) expect((await postImage(user, png)).status).toBe(201);

    const full = await usage(user.key);
    expect(full).toEqual({
      user_id: user.id,
      bytes_used: 10 * IMAGE_BYTES,
      quota_bytes: QUOTA,
      bytes_remaining: QUOTA - 10 * IMAGE_BYTES,
      blob_count: 10,
      characters: 1,
      chats: 1,
      messages: 10,
    });

    const head = await svc.runtime.eventStore.headPosition();
    const extra = uniquePng();
    const refused = await postImage(user, extra);
    expect(refused.status).toBe(413);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({
      code: 'quota_exceeded',
      quota_bytes: QUOTA,
      used_bytes: 10 * IMAGE_BYTES,
      requested_bytes: IMAGE_BYTES,
    });
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
    expect(await blobsStored([sha256Hex(extra)])).toBe(0);
    expect(await usage(user.key)).toEqual(full);

    // The same bytes again are stored once and charged once.
    expect((await postImage(user, images[0]!)).status).toBe(201);
    expect(await usage(user.key)).toMatchObject({ bytes_used: 10 * IMAGE_BYTES, blob_count: 10, messages: 11 });

    // A card import counts too: its avatar (the PNG without its card chunk) passes the quota, so nothing is imported.
    const card = buildPng([
      tEXt('chara', Buffer.from(cardJson('Over quota')).toString('base64')),
      tEXt('Comment', 'x'.repeat(IMAGE_BYTES)),
    ]);
    const beforeImport = await svc.runtime.eventStore.headPosition();
    const blobsBefore = await totalBlobs();
    const imported = await svc.upload('/api/v1/characters/import', { bytes: card, filename: 'card.png' }, { key: user.key });
    expect(imported.status).toBe(413);
    expect(imported.body.code).toBe('quota_exceeded');
    expect(await svc.runtime.eventStore.headPosition()).toBe(beforeImport);
    expect((await svc.request('GET', '/api/v1/characters', { key: user.key })).body.items.map((c: { name: string }) => c.name)).toEqual([
      'Keeper',
    ]);
    expect(await totalBlobs()).toBe(blobsBefore);

    // Another user has a quota of their own.
    const other = await newUser('other');
    expect((await postImage(other, extra)).status).toBe(201);
    expect(await usage(other.key)).toMatchObject({ bytes_used: IMAGE_BYTES, blob_count: 1 });
  });

  test('40 parallel uploads do not pass the quota', async () => {
    const user = await newUser('racer');
    const images = Array.from({ length: 40 }, () => uniquePng());
    const results = await Promise.all(images.map((png) => postImage(user, png)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 413)).toHaveLength(30);
    expect(results.filter((r) => r.status === 413).every((r) => r.body.code === 'quota_exceeded')).toBe(true);
    const stored = await blobsStored(images.map((png) => sha256Hex(png)));
    expect(stored).toBe(10);
    expect(await usage(user.key)).toMatchObject({ bytes_used: 10 * IMAGE_BYTES, blob_count: 10, messages: 10 });
  });

  test('a refused import gives its charge back; a soft delete keeps the bytes counted; forgetting releases them', async () => {
    const user = await newUser('deleter');
    const card = (name: string) =>
      buildPng([tEXt('chara', Buffer.from(cardJson(name)).toString('base64')), tEXt('Comment', randomBytes(8).toString('hex'))]);
    const first = await svc.upload('/api/v1/characters/import', { bytes: card('Twin'), filename: 'twin.png' }, { key: user.key });
    expect(first.status).toBe(201);
    const afterImport = await usage(user.key);
    expect(afterImport).toMatchObject({ blob_count: 1, characters: 2 });
    // Same name, other bytes: a 409, and the avatar it would have stored is not charged.
    const clash = await svc.upload('/api/v1/characters/import', { bytes: card('Twin'), filename: 'twin.png' }, { key: user.key });
    expect(clash.status).toBe(409);
    expect(await usage(user.key)).toEqual(afterImport);

    expect((await postImage(user, uniquePng())).status).toBe(201);
    const before = await usage(user.key);
    expect((await svc.request('DELETE', `/api/v1/character_chats/${user.chatId}`, { key: user.key })).status).toBe(200);
    expect((await svc.request('DELETE', `/api/v1/characters/${first.body.id}?expected_version=1`, { key: user.key })).status).toBe(200);
    expect(await usage(user.key)).toMatchObject({
      bytes_used: before.bytes_used,
      blob_count: before.blob_count,
      characters: 1,
      chats: 0,
      messages: 0,
    });

    const { apiKey: adminKey } = await svc.runtime.userStore.createUser(`admin-${randomBytes(3).toString('hex')}`, true);
    expect((await svc.request('DELETE', `/api/v1/admin/users/${user.id}/data`, { key: adminKey })).status).toBe(200);
    const { rows } = await svc.runtime.database.pool.query(
      'SELECT (SELECT count(*) FROM blobs.user_blobs WHERE user_id = $1)::int AS charged, (SELECT count(*) FROM blobs.user_usage WHERE user_id = $1)::int AS totals',
      [user.id],
    );
    expect(rows[0]).toEqual({ charged: 0, totals: 0 });
  });

  test('purging a blob gives its bytes back to every user charged for it', async () => {
    const [a, b] = [await newUser('sharer-a'), await newUser('sharer-b')];
    const shared = buildPng([
      tEXt('chara', Buffer.from(cardJson('Shared')).toString('base64')),
      tEXt('Comment', randomBytes(2000).toString('hex')),
    ]);
    for (const u of [a, b])
      expect((await svc.upload('/api/v1/characters/import', { bytes: shared, filename: 'shared.png' }, { key: u.key })).status).toBe(201);
    // B replaces the card: the old avatar stays charged to B (an older version refers to it) but no current row of B's does.
    const replacement = buildPng([
      tEXt('chara', Buffer.from(cardJson('Shared')).toString('base64')),
      tEXt('Comment', randomBytes(8).toString('hex')),
    ]);
    expect(
      (await svc.upload('/api/v1/characters/import?on_conflict=overwrite', { bytes: replacement, filename: 'shared.png' }, { key: b.key }))
        .status,
    ).toBe(200);
    const before = await usage(b.key);
    expect(before.blob_count).toBe(2);

    const { apiKey: adminKey } = await svc.runtime.userStore.createUser(`admin-${randomBytes(3).toString('hex')}`, true);
    const forgotten = await svc.request('DELETE', `/api/v1/admin/users/${a.id}/data`, { key: adminKey });
    expect(forgotten.status).toBe(200);
    expect(forgotten.body.blobs_deleted).toBe(1);
    const after = await usage(b.key);
    expect(after.blob_count).toBe(1);
    expect(before.bytes_used - after.bytes_used).toBeGreaterThan(4000);
    const { rows } = await svc.runtime.database.pool.query(
      'SELECT coalesce(sum(size), 0)::int AS bytes, count(*)::int AS n FROM blobs.user_blobs WHERE user_id = $1',
      [b.id],
    );
    expect(rows[0]).toEqual({ bytes: after.bytes_used, n: after.blob_count });
  });

  test('a database that stored blobs before quotas existed charges its users once, from what the read models refer to', async () => {
    const user = await newUser('veteran');
    const card = buildPng([
      tEXt('chara', Buffer.from(cardJson('Veteran')).toString('base64')),
      tEXt('Comment', randomBytes(8).toString('hex')),
    ]);
    expect((await svc.upload('/api/v1/characters/import', { bytes: card, filename: 'veteran.png' }, { key: user.key })).status).toBe(201);
    expect((await postImage(user, uniquePng())).status).toBe(201);
    const pool = svc.runtime.database.pool;
    const totals = async () =>
      (await pool.query('SELECT user_id, bytes_used::int, blob_count FROM blobs.user_usage ORDER BY user_id')).rows;
    const before = await totals();
    const mine = before.find((r) => r.user_id === user.id);
    expect(mine.blob_count).toBe(2);
    expect(mine.bytes_used).toBeGreaterThan(IMAGE_BYTES);

    await pool.query('DROP TABLE blobs.user_usage, blobs.user_blobs');
    await migrateBlobQuota(pool, svc.runtime.config.READ_SCHEMA);
    expect((await totals()).find((r) => r.user_id === user.id)).toEqual(mine);
    await pool.query('UPDATE blobs.user_usage SET bytes_used = 1 WHERE user_id = $1', [user.id]);
    await migrateBlobQuota(pool, svc.runtime.config.READ_SCHEMA); // a later start leaves the totals alone
    expect((await totals()).find((r) => r.user_id === user.id)).toEqual({ ...mine, bytes_used: 1 });
  });
});
