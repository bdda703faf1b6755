import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { exportCard, parseCard, type CanonicalCard } from '../../../../shared/cards/index.ts';
import { concatBytes } from '../../../../shared/cards/png-chunks.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { buildTiff, buildWebp, cardJson, userComment } from '../../../../shared/cards/__tests__/helpers/builders.ts';

/**
 * Cards carry their lore back out: the export writes the embedded book's current state into `character_book`
 * (edits through the world-book API included); an unchanged book leaves the card's own bytes as they were; a WEBP
 * or JPEG avatar becomes a PNG for the PNG export.
 */
const FORMATS = ['png', 'json', 'v2', 'charx'] as const;
const BOOKS = '/api/v1/characters/world-books';
const seraphina = new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

async function importSeraphina(): Promise<{ id: string; bookId: string; card: CanonicalCard }> {
  const res = await svc.upload('/api/v1/characters/import?on_conflict=rename', { bytes: seraphina, filename: 'Seraphina.png' });
  expect(res.status).toBe(201);
  const card = (await svc.request('GET', `/api/v1/characters/${res.body.id}?include_card=true`)).body.card as CanonicalCard;
  return { id: res.body.id, bookId: res.body.import.world_book.id, card };
}

async function exported(id: string, format: (typeof FORMATS)[number]) {
  const res = await svc.download(`/api/v1/characters/${id}/export?format=${format}`);
  expect({ status: res.status, problem: res.status === 200 ? null : Buffer.from(res.bytes).toString() }).toEqual({
    status: 200,
    problem: null,
  });
  const parsed = parseCard(res.bytes, { filename: `x.${format === 'v2' ? 'json' : format}` });
  if (!parsed.ok) throw new Error(`the ${format} export does not parse`);
  return { bytes: res.bytes, card: parsed.card as CanonicalCard & { data: { character_book?: any } } };
}

describe('card export writes the embedded book back', () => {
  test('an unchanged book round-trips byte for byte in every format', async () => {
    const { id, card } = await importSeraphina();
    const image = await svc.download(`/api/v1/characters/${id}/image`);
    const avatar = { bytes: image.bytes, mime: 'image/png' };
    for (const format of FORMATS) {
      const out = await exported(id, format);
      expect(JSON.stringify(out.card.data.character_book)).toBe(JSON.stringify(card.data.character_book));
      // What the export wrote before books were written back: the stored card as it is.
      if (format !== 'charx') expect(Buffer.from(out.bytes).equals(Buffer.from(exportCard(card, format, { avatar }).bytes))).toBe(true);
    }
  });

  test('edits made through the world-book API are in character_book in every format', async () => {
    const { id, bookId, card } = await importSeraphina();
    const before = card.data.character_book as { entries: Array<{ content: string }> };
    const list = (await svc.request('GET', `${BOOKS}/${bookId}/entries`)).body.items as Array<{ entry_id: string }>;
    const first = list[0]!;
    const book = (await svc.request('GET', `${BOOKS}/${bookId}`)).body;
    const put = await svc.request('PUT', `${BOOKS}/${bookId}/entries/${first.entry_id}?expected_version=${book.version}`, {
      body: { content: 'The glade is warded by runes of moonlight.' },
    });
    expect(put.status).toBe(200);
    const added = await svc.request('POST', `${BOOKS}/${bookId}/entries`, {
      body: { keys: ['moonstone'], content: 'A moonstone hums near the old oak.', comment: 'Moonstone' },
    });
    expect(added.status).toBe(201);
    for (const format of FORMATS) {
      const out = await exported(id, format);
      const written = out.card.data.character_book as { entries: Array<{ content: string; keys: string[]; comment?: string }> };
      expect({ format, count: written.entries.length }).toEqual({ format, count: before.entries.length + 1 });
      expect(written.entries[0]!.content).toBe('The glade is warded by runes of moonlight.');
      expect(written.entries.at(-1)).toMatchObject({ keys: ['moonstone'], content: 'A moonstone hums near the old oak.' });
      // The rest of the card is untouched.
      expect({ ...out.card.data, character_book: null }).toEqual({ ...card.data, character_book: null });
    }
    // Importing the export elsewhere brings the edited book with it.
    const again = await svc.upload('/api/v1/characters/import?on_conflict=rename', {
      bytes: (await exported(id, 'png')).bytes,
      filename: 'Seraphina.png',
    });
    expect(again.status).toBe(201);
    expect(again.body.import.world_book.entry_count).toBe(before.entries.length + 1);
  });
});

describe('a WEBP or JPEG avatar exports to PNG', () => {
  const realJpegWithCard = async (json: string) => {
    const jpeg = new Uint8Array(
      await sharp({ create: { width: 16, height: 12, channels: 3, background: '#3366cc' } })
        .jpeg()
        .toBuffer(),
    );
    const exif = concatBytes([new TextEncoder().encode('Exif\0\0'), buildTiff(userComment('ASCII', json))]);
    const app1 = new Uint8Array(4 + exif.length);
    app1.set([0xff, 0xe1, (exif.length + 2) >> 8, (exif.length + 2) & 0xff]);
    app1.set(exif, 4);
    return concatBytes([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
  };

  test.each([
    ['webp', async () => buildWebp(buildTiff(userComment('ASCII', cardJson('Webp Avatar'))))],
    ['jpeg', async () => realJpegWithCard(cardJson('Jpeg Avatar'))],
  ] as const)('%s: the PNG export holds the card on a PNG of the same picture', async (kind, build) => {
    const bytes = await build();
    const res = await svc.upload('/api/v1/characters/import?on_conflict=rename', {
      bytes,
      filename: `card.${kind === 'jpeg' ? 'jpg' : kind}`,
    });
    expect(res.status).toBe(201);
    const source = await sharp(bytes).metadata();
    const out = await exported(res.body.id, 'png');
    const meta = await sharp(out.bytes).metadata();
    expect(meta).toMatchObject({ format: 'png', width: source.width, height: source.height });
    expect(out.card.data.name).toBe(kind === 'webp' ? 'Webp Avatar' : 'Jpeg Avatar');
    // JSON exports are unaffected; CharX keeps the original image.
    expect((await svc.download(`/api/v1/characters/${res.body.id}/export?format=json`)).status).toBe(200);
  });
});
