import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestService, type TestService } from '../../test/harness.ts';
import { auditEventsProjection } from '../audit-events-projection.ts';
import { applyBatch, withUpcast } from '../projection-runner.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

async function rows() {
  return svc.runtime.database.db.withSchema('read').selectFrom('audit_events').selectAll().orderBy('position').execute();
}

describe('audit events projection', () => {
  test('one row per event of the log, with its resource, user and summary; redelivery changes nothing', async () => {
    const character = (await svc.request('POST', '/api/v1/characters', { body: { name: 'Audit Me', first_message: 'Hi.' } })).body;
    await svc.request('PUT', `/api/v1/characters/${character.id}`, { body: { name: 'Audit Me Too' } });
    const book = (await svc.request('POST', '/api/v1/characters/world-books', { body: { name: 'Ledger' } })).body;
    const entry = (
      await svc.request('POST', `/api/v1/characters/world-books/${book.id}/entries`, { body: { keys: ['coin'], content: 'Coins.' } })
    ).body;
    await svc.request('POST', `/api/v1/characters/${character.id}/world-books`, { body: { world_book_id: book.id } });
    const chat = (await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.id } })).body;

    const log = await svc.runtime.eventStore.readAll({ maxCount: 10_000 });
    const audit = await rows();
    expect(audit.map((r) => [r.position, r.event_id, r.stream_id, r.revision, r.event_type])).toEqual(
      log.map((e) => [e.position, e.id, e.streamId, e.revision, e.type]),
    );
    const byType = (type: string) => audit.filter((r) => r.event_type === type);
    expect(byType('CharacterUpdated')[0]).toMatchObject({
      resource_type: 'character',
      resource_id: character.id,
      user_id: 'local',
      summary: 'changed name',
      changed_fields: ['name'],
    });
    expect(byType('CharacterNameReserved').map((r) => r.resource_type)).toEqual(['character-name', 'character-name']);
    expect(byType('WorldBookEntryAdded')[0]).toMatchObject({
      resource_type: 'world-book',
      resource_id: book.id,
      subject_ids: [entry.entry_id],
    });
    expect(byType('WorldBookAttached')[0]).toMatchObject({ resource_type: 'character-world-books', resource_id: character.id });
    expect(byType('ChatCreated')[0]).toMatchObject({ resource_type: 'chat', resource_id: chat.id });
    expect(byType('ChatSlotTaken')[0]).toMatchObject({ resource_type: 'user-chats', resource_id: 'local' });
    expect(audit.every((r) => r.request_id && r.correlation_id && r.occurred_at instanceof Date)).toBe(true);

    // Redelivered through the runner (behind the checkpoint) or applied again directly: the same rows.
    const { db } = svc.runtime.database;
    expect((await applyBatch(db, 'read', auditEventsProjection, log)).applied).toBe(0);
    await db.transaction().execute(async (trx) => {
      await auditEventsProjection.applyMany!(trx.withSchema('read'), log.map(withUpcast));
      for (const e of log.slice(0, 5)) await auditEventsProjection.apply(trx.withSchema('read'), withUpcast(e));
    });
    expect(await rows()).toEqual(audit);
  });
});
