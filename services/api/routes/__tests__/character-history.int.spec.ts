import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

describe('character history, time travel, restore and search', () => {
  test('versions list who changed what; diff, as_of_version and revert work from the events', async () => {
    const { body: c } = await svc.request('POST', '/api/v1/characters', {
      body: { name: 'Historian', description: 'v1 description', tags: ['lore'] },
    });
    await svc.request('PUT', `/api/v1/characters/${c.id}?expected_version=1`, {
      body: { description: 'v2 description', personality: 'wise' },
    });
    await svc.request('PUT', `/api/v1/characters/${c.id}?expected_version=2`, {
      body: { name: 'Historian Prime', card_data: { nickname: 'Histy' } },
    });
    const versions = (await svc.request('GET', `/api/v1/characters/${c.id}/versions`)).body.items;
    expect(versions.map((v: { version: number; event_type: string }) => [v.version, v.event_type])).toEqual([
      [1, 'CharacterCreated'],
      [2, 'CharacterUpdated'],
      [3, 'CharacterUpdated'],
    ]);
    expect(versions[1].changed_fields.sort()).toEqual(['description', 'personality']);
    expect(versions[2].changed_fields.sort()).toEqual(['name', 'nickname']);
    expect(versions[1]).toMatchObject({ user_id: 'local' });
    const diff = (await svc.request('GET', `/api/v1/characters/${c.id}/versions/diff?from_version=1&to_version=3`)).body;
    expect(diff.changes.map((x: { field: string }) => x.field).sort()).toEqual(['description', 'name', 'nickname', 'personality']);
    expect(diff.changes.find((x: { field: string }) => x.field === 'description')).toMatchObject({
      from: 'v1 description',
      to: 'v2 description',
    });
    const old = (await svc.request('GET', `/api/v1/characters/${c.id}?as_of_version=1`)).body;
    expect(old).toMatchObject({ name: 'Historian', description: 'v1 description', personality: '', as_of_version: 1 });
    expect((await svc.request('GET', `/api/v1/characters/${c.id}?as_of_version=9`)).status).toBe(404);
    const reverted = await svc.request('POST', `/api/v1/characters/${c.id}/revert`, { body: { target_version: 1 } });
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ version: 4, name: 'Historian', description: 'v1 description', nickname: null });
    // The name went back: the old one is free again, the reverted one taken.
    expect((await svc.request('POST', '/api/v1/characters', { body: { name: 'Historian Prime' } })).status).toBe(201);
    expect((await svc.request('POST', '/api/v1/characters', { body: { name: 'Historian' } })).status).toBe(409);
    expect((await svc.request('POST', `/api/v1/characters/${c.id}/revert`, { body: { target_version: 4 } })).status).toBe(400);
  });

  test('restore brings a deleted character back; its name must still be free', async () => {
    const { body: c } = await svc.request('POST', '/api/v1/characters', { body: { name: 'Phoenix' } });
    expect((await svc.request('POST', `/api/v1/characters/${c.id}/restore`)).status).toBe(409); // not deleted
    await svc.request('DELETE', `/api/v1/characters/${c.id}`);
    const restored = await svc.request('POST', `/api/v1/characters/${c.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ name: 'Phoenix', deleted_at: null, version: 3 });
    await svc.request('DELETE', `/api/v1/characters/${c.id}`);
    const usurper = await svc.request('POST', '/api/v1/characters', { body: { name: 'Phoenix' } });
    expect(usurper.status).toBe(201);
    const blocked = await svc.request('POST', `/api/v1/characters/${c.id}/restore`);
    expect(blocked.status).toBe(409);
    expect(blocked.body).toMatchObject({ code: 'name_conflict', existing_id: usurper.body.id });
  });

  test('list filters by tags (any/all, case-insensitive), creator and ranked full text; sorts', async () => {
    const make = (name: string, extra: Record<string, unknown>) => svc.request('POST', '/api/v1/characters', { body: { name, ...extra } });
    await make('Ranger Elf', { tags: ['Fantasy', 'Elf'], creator: 'Ann', description: 'An elf ranger who guards the northern woods' });
    await make('Space Pilot', {
      tags: ['SciFi'],
      creator: 'Bob',
      description: 'A pilot among the stars',
      scenario: 'a ranger station in orbit',
    });
    await make('Dwarf Smith', { tags: ['fantasy', 'Dwarf'], creator: 'ann', description: 'Forges blades' });
    const names = async (qs: string) =>
      (await svc.request('GET', `/api/v1/characters?${qs}`)).body.items.map((c: { name: string }) => c.name);
    expect(await names('tags=FANTASY')).toEqual(['Dwarf Smith', 'Ranger Elf']);
    expect(await names('tags=fantasy,elf&tag_mode=all')).toEqual(['Ranger Elf']);
    expect(await names('tags=elf,scifi&tag_mode=any')).toEqual(['Ranger Elf', 'Space Pilot']);
    expect(await names('creator=ANN')).toEqual(['Dwarf Smith', 'Ranger Elf']);
    // "ranger" is in one name (weight A) and one scenario (weight C): the name ranks first.
    expect(await names('q=ranger')).toEqual(['Ranger Elf', 'Space Pilot']);
    expect(await names('q=guards%20woods')).toEqual(['Ranger Elf']);
    expect(await names('q=nothingmatches')).toEqual([]);
    const byCreated = await names('sort=created&order=asc&tags=fantasy,scifi');
    expect(byCreated).toEqual(['Ranger Elf', 'Space Pilot', 'Dwarf Smith']);
    expect((await svc.request('GET', '/api/v1/characters?sort=bogus')).status).toBe(400);
  });

  test('sort=last_used follows chat activity', async () => {
    const a = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Used Early', tags: ['usage'] } })).body;
    const b = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Used Late', tags: ['usage'] } })).body;
    await svc.request('POST', '/api/v1/characters', { body: { name: 'Never Used', tags: ['usage'] } });
    const chatA = await svc.request('POST', '/api/v1/character_chats/', { body: { character_id: a.id } });
    expect(chatA.status).toBe(201);
    expect((await svc.request('POST', '/api/v1/character_chats/', { body: { character_id: b.id } })).status).toBe(201);
    const names = async () =>
      (await svc.request('GET', '/api/v1/characters?tags=usage&sort=last_used')).body.items.map((c: { name: string }) => c.name);
    expect(await names()).toEqual(['Used Late', 'Used Early', 'Never Used']);
    const posted = await svc.request('POST', `/api/v1/character_messages/chats/${chatA.body.id}/messages`, {
      body: { sender: 'user', content: 'hello again' },
    });
    expect(posted.status).toBe(201);
    expect(await names()).toEqual(['Used Early', 'Used Late', 'Never Used']);
    expect((await svc.request('GET', `/api/v1/characters/${a.id}`)).body.last_used_at).not.toBeNull();
  });

  test('PUT validates the card it would produce and stores nothing when it is invalid', async () => {
    const { body: c } = await svc.request('POST', '/api/v1/characters', { body: { name: 'Validated' } });
    const before = await svc.runtime.eventStore.headPosition();
    expect((await svc.request('PUT', `/api/v1/characters/${c.id}`, { body: { card_data: { name: 'sneaky' } } })).status).toBe(400);
    expect(
      (await svc.request('PUT', `/api/v1/characters/${c.id}`, { body: { card_data: { group_only_greetings: 'not a list' } } })).status,
    ).toBe(422);
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
  });
});
