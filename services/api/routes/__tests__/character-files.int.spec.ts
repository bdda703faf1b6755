import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { exportCard, parseCard, cardFromBasicFields } from '../../../../shared/cards/index.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { buildJpeg, buildTiff, buildWebp, cardJson, userComment } from '../../../../shared/cards/__tests__/helpers/builders.ts';

const fixtures = path.resolve(process.cwd(), 'test/fixtures/cards');
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(fixtures, name)));

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ env: { CARD_MAX_FILE_BYTES: '700000' } });
});
afterAll(async () => {
  await svc?.close();
});

const importFile = (bytes: Uint8Array, filename: string, query = '', field = 'file') =>
  svc.upload(`/api/v1/characters/import${query}`, { bytes, filename, field });

describe('character import and export over HTTP', () => {
  const expected = [
    {
      file: 'Seraphina.png',
      name: 'Seraphina',
      first: '*You wake with a start, recalling the ev',
      alternates: 0,
      tags: [] as string[],
      book: true,
      dialect: 'v3',
    },
    {
      file: 'CodingSensei.png',
      name: 'Coding Sensei',
      first: '"Hello world!"',
      alternates: 0,
      tags: ['coding', 'utility', 'assistant'],
      book: false,
      dialect: 'v2',
    },
    {
      file: 'FluxTheCat.png',
      name: 'Flux the Cat',
      first: 'One day you got yourself a cat since it ',
      alternates: 0,
      tags: [],
      book: false,
      dialect: 'v2',
    },
  ];

  test.each(expected)('fixture $file imports with its exact values and its image', async (x) => {
    const res = await importFile(fixture(x.file), x.file, '', x.file === 'Seraphina.png' ? 'character_file' : 'file');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: x.name,
      tags: x.tags,
      has_character_book: x.book,
      import: { format: 'png', dialect: x.dialect, replaced: false },
    });
    expect(res.body.first_message.startsWith(x.first)).toBe(true);
    expect(res.body.alternate_greetings).toHaveLength(x.alternates);
    expect(res.body.image).toMatchObject({ mime: 'image/png', url: `/api/v1/characters/${res.body.id}/image` });
    const image = await svc.download(res.body.image.url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('etag')).toBe(res.body.image.etag);
    expect([...image.bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect((await svc.download(res.body.image.url, { headers: { 'If-None-Match': res.body.image.etag } })).status).toBe(304);
    if (x.book) {
      const full = await svc.request('GET', `/api/v1/characters/${res.body.id}?include_card=true`);
      expect(full.body.card.data.character_book.entries).toHaveLength(4);
      expect(full.body.card.data.character_book.name).toBe('Eldoria');
    }
  });

  test('an image without card data is a 422, or an image-only character when asked', async () => {
    const before = await svc.runtime.eventStore.headPosition();
    const res = await importFile(fixture('no-card-metadata.png'), 'no-card-metadata.png');
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('missing_character_data');
    expect(res.body.detail).toContain('allow_image_only=true'); // says how to import it anyway
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
    const allowed = await importFile(fixture('no-card-metadata.png'), 'no-card-metadata.png', '?allow_image_only=true');
    expect(allowed.status).toBe(201);
    expect(allowed.body.name).toBe('no card metadata'); // named after the file
    expect(allowed.body.image.mime).toBe('image/png');
  });

  test('hostile and wrong files are clear 4xx problems and store nothing', async () => {
    const before = await svc.runtime.eventStore.headPosition();
    const png = fixture('CodingSensei.png');
    const cases: Array<[Uint8Array, string, number, string]> = [
      [png, 'card.json', 400, 'format_mismatch'],
      [new Uint8Array(800_000).fill(65), 'big.json', 413, 'file_too_large'],
      [new Uint8Array(0), 'empty.png', 400, 'empty_file'],
      [png.slice(0, 5000), 'truncated.png', 400, 'corrupt_image'],
      [
        (() => {
          const b = png.slice();
          b[40] = b[40]! ^ 0xff;
          return b;
        })(),
        'crc.png',
        400,
        'corrupt_image',
      ],
      [new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), 'bad.json', 400, 'invalid_utf8'],
      [new TextEncoder().encode('{"name": "x", '), 'broken.json', 400, 'invalid_json'],
      [new TextEncoder().encode('['.repeat(5000) + ']'.repeat(5000)), 'deep.json', 422, 'json_too_deep'],
      [new TextEncoder().encode('GIF89a\x01\x00\x01\x00'), 'x.gif', 415, 'unsupported_format'],
    ];
    for (const [bytes, filename, status, code] of cases) {
      const res = await importFile(bytes, filename);
      expect({ filename, status: res.status, code: res.body.code }).toEqual({ filename, status, code });
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
    const noFile = await svc.request('POST', '/api/v1/characters/import', { body: { name: 'x' } });
    expect(noFile.status).toBe(415);
    const wrongField = await svc.upload('/api/v1/characters/import', { bytes: png, filename: 'a.png', field: 'avatar' });
    expect(wrongField.status).toBe(400);
    expect(await svc.runtime.eventStore.headPosition()).toBe(before);
  });

  test('every text format imports: V1, V2, V3, hybrid and Pygmalion JSON, YAML, Markdown', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const files: Array<[string, string, Record<string, unknown>]> = [
      [
        'v1.json',
        JSON.stringify({ name: 'V1 Card', description: 'd1', personality: 'p', scenario: 's', first_mes: 'hi', mes_example: '' }),
        { name: 'V1 Card', description: 'd1' },
      ],
      [
        'v2.json',
        JSON.stringify({
          spec: 'chara_card_v2',
          spec_version: '2.0',
          data: {
            name: 'V2 Card',
            description: 'd2',
            personality: '',
            scenario: '',
            first_mes: 'hello',
            mes_example: '',
            creator_notes: '',
            system_prompt: 'sys',
            post_history_instructions: '',
            alternate_greetings: ['a', 'b'],
            tags: ['T'],
            creator: 'me',
            character_version: '1',
            extensions: { x: 1 },
          },
        }),
        { name: 'V2 Card', system_prompt: 'sys', alternate_greetings: ['a', 'b'], creator: 'me' },
      ],
      [
        'v3.json',
        JSON.stringify({
          spec: 'chara_card_v3',
          spec_version: '3.0',
          data: {
            name: 'V3 Card',
            description: '',
            personality: '',
            scenario: '',
            first_mes: 'yo',
            mes_example: '',
            creator_notes: '',
            system_prompt: '',
            post_history_instructions: '',
            alternate_greetings: [],
            tags: [],
            creator: '',
            character_version: '',
            extensions: {},
            nickname: 'Vee',
            group_only_greetings: ['g'],
          },
        }),
        { name: 'V3 Card', nickname: 'Vee' },
      ],
      [
        'pyg.json',
        JSON.stringify({
          char_name: 'Pyg Card',
          char_persona: 'persona',
          char_greeting: 'greet',
          world_scenario: 'world',
          example_dialogue: 'ex',
        }),
        { name: 'Pyg Card', description: 'persona', first_message: 'greet', scenario: 'world', message_example: 'ex' },
      ],
      [
        'ooba.yaml',
        'name: Yaml Card\ncontext: A yaml context\ngreeting: Hi from yaml\nexample_dialogue: "{{user}}: hi"\n',
        { name: 'Yaml Card', first_message: 'Hi from yaml' },
      ],
      [
        'card.md',
        '# Markdown Card\n\n## Personality\nCurious\n\n## First message\nHello from markdown\n\n## Alternate greetings\n### One\nAlt one\n### Two\nAlt two\n\n## Tags\n- mystery, noir\n',
        {
          name: 'Markdown Card',
          personality: 'Curious',
          first_message: 'Hello from markdown',
          alternate_greetings: ['Alt one', 'Alt two'],
          tags: ['mystery', 'noir'],
        },
      ],
      [
        'card.txt',
        'Name: Text Card\nScenario: A rainy city\nFirst message: Hi from text\n',
        { name: 'Text Card', scenario: 'A rainy city', first_message: 'Hi from text' },
      ],
    ];
    for (const [filename, text, fields] of files) {
      const res = await importFile(enc(text), filename);
      expect({ filename, status: res.status }).toEqual({ filename, status: 201 });
      expect(res.body).toMatchObject(fields);
    }
  });

  test('WEBP and JPEG cards import from EXIF UserComment (JSON, and the old byte-list form)', async () => {
    const json = cardJson('Webp Card');
    const webp = buildWebp(buildTiff(userComment('ASCII', json)));
    const res = await importFile(webp, 'card.webp');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Webp Card', import: { format: 'webp' }, image: { mime: 'image/webp' } });
    const byteList = [...new TextEncoder().encode(cardJson('Jpeg Card'))].join(',');
    const jpeg = buildJpeg(buildTiff(userComment('UNDEFINED', byteList)));
    const jres = await importFile(jpeg, 'card.jpg');
    expect(jres.status).toBe(201);
    expect(jres.body).toMatchObject({ name: 'Jpeg Card', import: { format: 'jpeg' }, image: { mime: 'image/jpeg' } });
  });

  test('names are unique per user: 409 with the existing id, rename gives "Name (2)", overwrite makes a new version', async () => {
    const card = (description: string) =>
      new TextEncoder().encode(
        JSON.stringify({
          spec: 'chara_card_v2',
          spec_version: '2.0',
          data: { name: 'Twin', description, personality: '', scenario: '', first_mes: '', mes_example: '' },
        }),
      );
    const first = await importFile(card('one'), 'twin.json');
    expect(first.status).toBe(201);
    const again = await importFile(card('two'), 'twin.json');
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'name_conflict', existing_id: first.body.id });
    const renamed = await importFile(card('two'), 'twin.json', '?on_conflict=rename');
    expect(renamed.status).toBe(201);
    expect(renamed.body).toMatchObject({ name: 'Twin (2)', import: { renamed_from: 'Twin' } });
    const over = await importFile(card('three'), 'twin.json', '?on_conflict=overwrite');
    expect(over.status).toBe(200);
    expect(over.body).toMatchObject({ id: first.body.id, version: 2, description: 'three', import: { replaced: true } });
    const created = await svc.request('POST', '/api/v1/characters', { body: { name: 'twin' } });
    expect(created.status).toBe(409); // case-insensitive
    // Two concurrent imports of one new name: exactly one wins.
    const race = await Promise.all(
      Array.from({ length: 6 }, () =>
        importFile(new TextEncoder().encode(JSON.stringify({ name: 'Racer', description: 'r' })), 'racer.json'),
      ),
    );
    expect(race.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });

  test('round trip per format: export, delete, re-import gives back the same card, unknown fields included', async () => {
    for (const format of ['png', 'json', 'v2', 'charx'] as const) {
      const imported = await importFile(fixture('Seraphina.png'), 'Seraphina.png', '?on_conflict=overwrite');
      expect([200, 201]).toContain(imported.status);
      const id = imported.body.id;
      const original = (await svc.request('GET', `/api/v1/characters/${id}?include_card=true`)).body.card;
      const exported = await svc.download(`/api/v1/characters/${id}/export?format=${format}`);
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-disposition')).toContain(`Seraphina.${format === 'v2' ? 'json' : format}`);
      expect((await svc.request('DELETE', `/api/v1/characters/${id}`)).status).toBe(200);
      const again = await importFile(exported.bytes, `Seraphina.${format === 'v2' ? 'json' : format}`);
      expect({ format, status: again.status }).toEqual({ format, status: 201 });
      const card = (await svc.request('GET', `/api/v1/characters/${again.body.id}?include_card=true`)).body.card;
      if (format === 'v2') {
        // V2 has no place for V3-only keys beyond data itself; the data and extras survive.
        expect(card.data).toEqual(original.data);
      } else {
        expect(card).toEqual(original);
      }
      expect((await svc.request('DELETE', `/api/v1/characters/${again.body.id}`)).status).toBe(200);
    }
    const png = await importFile(fixture('Seraphina.png'), 'Seraphina.png', '?on_conflict=overwrite');
    const exported = await svc.download(`/api/v1/characters/${png.body.id}/export?format=png`);
    const parsed = parseCard(exported.bytes, { filename: 'x.png' });
    expect(parsed.ok && parsed.source.dialect).toBe('v3'); // ccv3 wins; a chara chunk is there too
    expect(Buffer.from(exported.bytes).includes(Buffer.from('tEXtchara'))).toBe(true);
  });

  test('CharX imports with its main icon as the avatar and keeps other assets', async () => {
    const card = cardFromBasicFields({ name: 'Boxed', description: 'in a box' });
    card.data.assets = [
      { type: 'icon', uri: 'embeded://assets/icon/main.png', name: 'main', ext: 'png' },
      { type: 'emotion', uri: 'embeded://assets/emotion/happy.png', name: 'happy', ext: 'png' },
    ];
    const icon = fixture('FluxTheCat.png');
    const happy = fixture('no-card-metadata.png');
    const charx = exportCard(card, 'charx', {
      avatar: { bytes: icon, mime: 'image/png' },
      assets: [
        {
          path: 'assets/emotion/happy.png',
          uri: 'embeded://assets/emotion/happy.png',
          type: 'emotion',
          name: 'happy',
          ext: 'png',
          mime: 'image/png',
          bytes: happy,
        },
      ],
    });
    const res = await importFile(charx.bytes, 'boxed.charx');
    expect(res.status).toBe(201);
    expect(res.body.import.format).toBe('charx');
    expect(res.body.image.size).toBe(icon.byteLength);
    const assets = await svc.request('GET', `/api/v1/characters/${res.body.id}/assets`);
    const happyAsset = assets.body.items.find((a: { name: string }) => a.name === 'happy');
    expect(happyAsset).toMatchObject({ type: 'emotion', mime: 'image/png', size: happy.byteLength });
    const bytes = await svc.download(happyAsset.url);
    expect(Buffer.from(bytes.bytes).equals(Buffer.from(happy))).toBe(true);
  });
});
