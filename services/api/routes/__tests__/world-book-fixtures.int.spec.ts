import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseCard } from '../../../../shared/cards/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const BASE = '/api/v1/characters/world-books';
const fixture = (...parts: string[]) => path.resolve(process.cwd(), 'test/fixtures', ...parts);
const bytesOf = (file: string) => new Uint8Array(readFileSync(file));
const jsonOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

function diagnosticOf(res: { body: any }, uid: number) {
  return res.body.diagnostics.find((d: { uid: unknown }) => d.uid === uid);
}

describe('fixture lorebooks and cards: import, activate, export', () => {
  test.each(['Eldoria.json', 'Eldoria-2023-minimal-fields.json'])(
    '%s: multipart import, activation, lossless SillyTavern export',
    async (file) => {
      const head = await svc.runtime.eventStore.headPosition();
      const imported = await svc.upload(`${BASE}/import`, {
        bytes: bytesOf(fixture('lorebooks', file)),
        filename: file,
        type: 'application/json',
      });
      expect(imported.status).toBe(201);
      expect(imported.body).toMatchObject({
        name: file.replace(/\.json$/, ''),
        entry_count: 4,
        version: 1,
        source: { kind: 'import', format: 'sillytavern' },
      });
      expect(imported.body.import).toMatchObject({ format: 'sillytavern', entries_imported: 4, invalid_regex: [] });
      expect(await svc.runtime.eventStore.headPosition()).not.toBe(head);
      const id = imported.body.id as string;

      const res = await svc.request('POST', `${BASE}/process-context`, {
        body: { text: 'A shadowfang prowls the forest.', world_book_ids: [id], include_global: false },
      });
      expect(res.status).toBe(200);
      expect(res.body.books).toEqual([{ id, name: file.replace(/\.json$/, ''), source: 'global', version: 1, entry_count: 4 }]);
      expect(diagnosticOf(res, 0)).toMatchObject({
        status: 'activated',
        reason: 'key_match',
        pass: 1,
        match: { key: 'forest', source: 'message', depth: 0 },
      });
      expect(diagnosticOf(res, 1)).toMatchObject({
        status: 'activated',
        reason: 'key_match',
        match: { key: 'shadowfang', matched_text: 'shadowfang' },
      });
      expect(res.body.injections.before).toContain('Eldoria is here');
      expect(
        res.body.activated.every(
          (a: { entry_id: string; world_book_id: string }) => a.world_book_id === id && typeof a.entry_id === 'string',
        ),
      ).toBe(true);

      const exported = await svc.request('GET', `${BASE}/${id}/export?format=sillytavern`);
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-disposition')).toContain(`${file.replace(/\.json$/, '')}.json`);
      expect(exported.body).toEqual(jsonOf(fixture('lorebooks', file)));
    },
  );

  test('a JSON body imports too; lorebook_v3 and character_book exports re-import to the same entries', async () => {
    const source = jsonOf(fixture('lorebooks', 'Eldoria.json'));
    const imported = await svc.request('POST', `${BASE}/import?name=Eldoria%20body`, { body: source });
    expect(imported.status).toBe(201);
    expect(imported.body.name).toBe('Eldoria body');
    const v3 = (await svc.request('GET', `${BASE}/${imported.body.id}/export?format=lorebook_v3`)).body;
    expect(v3.spec).toBe('lorebook_v3');
    const again = await svc.request('POST', `${BASE}/import`, { body: v3 });
    expect(again.status).toBe(201);
    expect(again.body.import.format).toBe('lorebook_v3');
    const first = (await svc.request('GET', `${BASE}/${imported.body.id}/entries`)).body.items;
    const second = (await svc.request('GET', `${BASE}/${again.body.id}/entries`)).body.items;
    expect(second.map((e: { keys: string[]; content: string }) => [e.keys, e.content])).toEqual(
      first.map((e: { keys: string[]; content: string }) => [e.keys, e.content]),
    );
  });

  test('invalid regex keys are imported, kept and reported; unknown formats and bad JSON are 4xx and store nothing', async () => {
    const book = { entries: { 0: { uid: 0, key: ['/(?=ahead)/', 'plain'], content: 'kept', disable: false } } };
    const res = await svc.request('POST', `${BASE}/import?name=Bad%20regex`, { body: book });
    expect(res.status).toBe(201);
    expect(res.body.entry_count).toBe(1);
    expect(res.body.import.invalid_regex).toEqual([expect.objectContaining({ entry_index: 0, field: 'keys[0]' })]);
    expect(res.body.import.invalid_regex[0].entry_id).toEqual(expect.any(String));
    const entries = (await svc.request('GET', `${BASE}/${res.body.id}/entries`)).body.items;
    expect(entries[0].keys).toEqual(['/(?=ahead)/', 'plain']);
    // editing another field of that entry is fine; writing a new bad regex is not
    expect(
      (await svc.request('PUT', `${BASE}/${res.body.id}/entries/${entries[0].entry_id}`, { body: { content: 'still kept' } })).status,
    ).toBe(200);
    expect(
      (await svc.request('PUT', `${BASE}/${res.body.id}/entries/${entries[0].entry_id}`, { body: { secondary_keys: ['/(a)\\1/'] } })).body
        .code,
    ).toBe('invalid_regex');
    const explained = await svc.request('POST', `${BASE}/process-context`, { body: { text: 'ahead', world_book_ids: [res.body.id] } });
    expect(explained.body.diagnostics[0].invalid_regex_keys).toEqual(['/(?=ahead)/']);

    const head = await svc.runtime.eventStore.headPosition();
    const unknown = await svc.request('POST', `${BASE}/import`, { body: { hello: 'world' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('unknown_lorebook_format');
    const notJson = await svc.upload(`${BASE}/import`, { bytes: new TextEncoder().encode('{not json'), filename: 'x.json' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('invalid_json');
    const nul = await svc.request('POST', `${BASE}/import`, { body: { entries: { 0: { uid: 0, key: ['a'], content: 'x\u0000y' } } } });
    expect(nul.status).toBe(400);
    const surrogate = await svc.upload(`${BASE}/import`, {
      bytes: new TextEncoder().encode('{"entries":{"0":{"uid":0,"key":["a"],"content":"\\udfff"}}}'),
      filename: 'x.json',
    });
    expect(surrogate.body.code).toBe('invalid_unicode');
    const wrongField = await svc.upload(`${BASE}/import`, { bytes: new TextEncoder().encode('{}'), filename: 'x.json', field: 'other' });
    expect(wrongField.status).toBe(400);
    expect(await svc.runtime.eventStore.headPosition()).toBe(head);
  });

  test("Seraphina's embedded book: created and attached on import, used by process-context, exported losslessly, updated in place on re-import", async () => {
    const png = bytesOf(fixture('cards', 'Seraphina.png'));
    const parsed = parseCard(png, { filename: 'Seraphina.png' });
    if (!parsed.ok) throw new Error('fixture card does not parse');
    const embedded = (parsed.card.data as { character_book: Record<string, unknown> }).character_book;

    const imported = await svc.upload('/api/v1/characters/import', { bytes: png, filename: 'Seraphina.png', type: 'image/png' });
    expect(imported.status).toBe(201);
    const character = imported.body;
    expect(character.import.world_book).toMatchObject({ created: true, entry_count: 4, warnings: [] });
    const bookId = character.import.world_book.id as string;

    const attached = await svc.request('GET', `/api/v1/characters/${character.id}/world-books`);
    expect(attached.body.items).toEqual([
      expect.objectContaining({
        world_book_id: bookId,
        attachment_enabled: true,
        attachment_priority: 0,
        entry_count: 4,
        source: { kind: 'card', format: 'card', characterId: character.id },
      }),
    ]);
    // attaching lives on its own stream: the character's version is unchanged
    expect((await svc.request('GET', `/api/v1/characters/${character.id}`)).body.version).toBe(1);

    const res = await svc.request('POST', `${BASE}/process-context`, {
      body: { character_id: character.id, text: 'Tell me about your magic and this glade.' },
    });
    expect(res.status).toBe(200);
    expect(res.body.books).toEqual([expect.objectContaining({ id: bookId, source: 'character' })]);
    expect(diagnosticOf(res, 2)).toMatchObject({ status: 'activated', match: { key: 'glade' } });
    expect(diagnosticOf(res, 3)).toMatchObject({ status: 'activated', match: { key: 'magic' } });

    const exported = await svc.request('GET', `${BASE}/${bookId}/export?format=character_book`);
    expect(exported.body).toEqual(embedded);

    const entriesBefore = (await svc.request('GET', `${BASE}/${bookId}/entries`)).body.items.map((e: { entry_id: string }) => e.entry_id);
    const again = await svc.upload('/api/v1/characters/import?on_conflict=overwrite', {
      bytes: png,
      filename: 'Seraphina.png',
      type: 'image/png',
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(character.id);
    expect(again.body.import.world_book).toMatchObject({ id: bookId, created: false });
    const books = (await svc.request('GET', `${BASE}?include_disabled=true&limit=500`)).body.items.filter(
      (b: { source: { characterId?: string } }) => b.source.characterId === character.id,
    );
    expect(books).toHaveLength(1);
    expect((await svc.request('GET', `/api/v1/characters/${character.id}/world-books`)).body.items).toHaveLength(1);
    expect((await svc.request('GET', `${BASE}/${bookId}/entries`)).body.items.map((e: { entry_id: string }) => e.entry_id)).toEqual(
      entriesBefore,
    );

    // a changed card updates the same book: edited entries keep their ids (and statistics), new ones are added
    await svc.request('POST', `${BASE}/process-context`, { body: { character_id: character.id, text: 'the forest', record: true } });
    const entries = embedded.entries as Array<Record<string, unknown>>;
    const changedBook = {
      ...embedded,
      entries: [
        { ...entries[0], content: 'Eldoria, rewritten.' },
        ...entries.slice(1),
        { id: 4, keys: ['lantern'], content: 'A lantern.', enabled: true, insertion_order: 10, extensions: {} },
      ],
    };
    const card = { spec: 'chara_card_v3', spec_version: '3.0', data: { ...parsed.card.data, character_book: changedBook } };
    const changed = await svc.upload('/api/v1/characters/import?on_conflict=overwrite', {
      bytes: new TextEncoder().encode(JSON.stringify(card)),
      filename: 'Seraphina.json',
      type: 'application/json',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.import.world_book).toMatchObject({ id: bookId, created: false, entry_count: 5 });
    const book = (await svc.request('GET', `${BASE}/${bookId}`)).body;
    expect(book).toMatchObject({ version: 2, entry_count: 5 });
    expect(book.entries.map((e: { entry_id: string }) => e.entry_id).slice(0, 4)).toEqual(entriesBefore);
    expect(book.entries[0].content).toBe('Eldoria, rewritten.');
    // the card parser completes V3 entries (use_regex); the book equals the card's book as stored
    const stored = (await svc.request('GET', `/api/v1/characters/${character.id}?include_card=true`)).body.card.data.character_book;
    expect(stored.entries[4]).toMatchObject({ keys: ['lantern'], content: 'A lantern.' });
    expect((await svc.request('GET', `${BASE}/${bookId}/export?format=character_book`)).body).toEqual(stored);
    const stats = (await svc.request('GET', `${BASE}/${bookId}/statistics`)).body;
    expect(stats.entries.find((e: { entry_id: string }) => e.entry_id === entriesBefore[0]).activation_count).toBe(1);
    expect((await svc.request('GET', `/api/v1/characters/${character.id}/world-books`)).body.items).toHaveLength(1);
  });
});
