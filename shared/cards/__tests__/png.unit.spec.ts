import zlib from 'node:zlib';
import { describe, expect, test } from '@jest/globals';
import { parseCard, parsePngCard, type CardParseResult, type CardParseSuccess } from '../index.ts';
import { concatBytes, encodePngChunk, readPng } from '../png-chunks.ts';
import { DEFAULT_CARD_LIMITS } from '../limits.ts';
import { base64, buildPng, cardJson, iTXt, latin1, readFixture, tEXt, zTXt } from './helpers/builders.ts';

function ok(result: CardParseResult): CardParseSuccess {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result;
}

function errorOf(result: CardParseResult) {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

describe('PNG text chunks', () => {
  test('tEXt "chara" with base64 JSON', () => {
    const r = ok(parsePngCard(buildPng([tEXt('chara', base64(cardJson('Alice')))])));
    expect(r.card.data.name).toBe('Alice');
    expect(r.source.dialect).toBe('v2');
  });

  test('keyword is case-insensitive', () => {
    expect(ok(parsePngCard(buildPng([tEXt('Chara', base64(cardJson('Bob')))]))).card.data.name).toBe('Bob');
    expect(ok(parsePngCard(buildPng([tEXt('CCV3', base64(cardJson('Cy')))]))).card.data.name).toBe('Cy');
  });

  test('ccv3 wins over chara whatever the order', () => {
    const v3 = JSON.stringify({ spec: 'chara_card_v3', spec_version: '3.0', data: { name: 'Three', first_mes: 'v3' } });
    for (const chunks of [
      [tEXt('chara', base64(cardJson('Two'))), tEXt('ccv3', base64(v3))],
      [tEXt('ccv3', base64(v3)), tEXt('chara', base64(cardJson('Two')))],
    ]) {
      const r = ok(parsePngCard(buildPng(chunks)));
      expect(r.card.data.name).toBe('Three');
      expect(r.source.spec).toBe('chara_card_v3');
    }
  });

  test('a broken ccv3 chunk falls back to chara with a warning', () => {
    const r = ok(parsePngCard(buildPng([tEXt('ccv3', base64('{"spec": broken')), tEXt('chara', base64(cardJson('Fallback')))])));
    expect(r.card.data.name).toBe('Fallback');
    expect(r.warnings.join()).toMatch(/ccv3 chunk could not be read/);
  });

  test('zTXt, iTXt uncompressed and iTXt compressed are read', () => {
    expect(ok(parsePngCard(buildPng([zTXt('chara', base64(cardJson('Zed')))]))).card.data.name).toBe('Zed');
    expect(ok(parsePngCard(buildPng([iTXt('chara', base64(cardJson('Ivy')), false)]))).card.data.name).toBe('Ivy');
    expect(ok(parsePngCard(buildPng([iTXt('ccv3', base64(cardJson('Ida')), true)]))).card.data.name).toBe('Ida');
  });

  test('raw JSON (not base64) in the chunk is accepted, UTF-8 included', () => {
    const r = ok(parsePngCard(buildPng([iTXt('chara', cardJson('Zoë 🌲'), false)])));
    expect(r.card.data.name).toBe('Zoë 🌲');
  });

  test('unicode survives base64 of UTF-8', () => {
    expect(ok(parsePngCard(buildPng([tEXt('chara', base64(cardJson('夜桜 — ✨')))]))).card.data.name).toBe('夜桜 — ✨');
  });

  test('a chunk that is neither base64 nor JSON is 400 invalid_card_encoding', () => {
    expect(errorOf(parsePngCard(buildPng([tEXt('chara', 'not base64 at all!')])))).toMatchObject({
      status: 400,
      code: 'invalid_card_encoding',
    });
  });

  test('base64 of invalid UTF-8 is 400 invalid_card_encoding', () => {
    const bad = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64');
    expect(errorOf(parsePngCard(buildPng([tEXt('chara', bad)])))).toMatchObject({ status: 400, code: 'invalid_card_encoding' });
  });

  test('base64 of invalid JSON is 400 invalid_json', () => {
    expect(errorOf(parsePngCard(buildPng([tEXt('chara', base64('{"name": '))])))).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  test('an image without card chunks is 422 missing_character_data, or image-only on request', () => {
    const png = buildPng([tEXt('Comment', 'hello')]);
    expect(errorOf(parsePngCard(png))).toMatchObject({ status: 422, code: 'missing_character_data' });
    const r = ok(parsePngCard(png, { allowImageOnly: true, filename: 'my_cool-char.card.png' }));
    expect(r.card.data.name).toBe('my cool char');
    const anonymous = ok(parsePngCard(png, { allowImageOnly: true }));
    expect(anonymous.card.data.name).toBe('Imported Character');
  });

  test('legacy chara-ext-asset_ chunks become assets matched with data.assets', () => {
    const card = cardJson('Asset', {
      assets: [
        { type: 'emotion', uri: '__asset:happy.png', name: 'happy', ext: 'png' },
        { type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' },
      ],
    });
    const image = buildPng();
    const r = ok(
      parsePngCard(
        buildPng([
          tEXt('chara', base64(card)),
          tEXt('chara-ext-asset_:happy.png', Buffer.from(image).toString('base64')),
          tEXt('chara-ext-asset_:unreferenced.bin', Buffer.from([1, 2, 3]).toString('base64')),
        ]),
      ),
    );
    expect(r.assets).toHaveLength(2);
    expect(r.assets[0]).toMatchObject({
      path: 'happy.png',
      uri: '__asset:happy.png',
      type: 'emotion',
      name: 'happy',
      ext: 'png',
      mime: 'image/png',
    });
    expect(Buffer.compare(Buffer.from(r.assets[0]!.bytes), Buffer.from(image))).toBe(0);
    expect(r.assets[1]).toMatchObject({ path: 'unreferenced.bin', uri: null, type: null, name: null, ext: 'bin' });
    // The asset chunks are not part of the avatar.
    expect(readPng(r.avatar!.bytes, DEFAULT_CARD_LIMITS).chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  test('APNG (acTL before IDAT) is reported as apng and keeps its animation chunks in the avatar', () => {
    const actl = encodePngChunk('acTL', Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0));
    const r = ok(parseCard(buildPng([tEXt('chara', base64(cardJson('Anim')))], { before: [actl] }), { filename: 'a.png' }));
    expect(r.sourceFormat).toBe('apng');
    expect(readPng(r.avatar!.bytes, DEFAULT_CARD_LIMITS).chunks.map((c) => c.type)).toEqual(['IHDR', 'acTL', 'IDAT', 'IEND']);
  });

  test('bytes after IEND are ignored with a warning', () => {
    const png = concatBytes([buildPng([tEXt('chara', base64(cardJson('Tail')))]), latin1('garbage')]);
    const r = ok(parsePngCard(png));
    expect(r.warnings.join()).toMatch(/after IEND/);
  });
});

describe('PNG structure guards', () => {
  const good = buildPng([tEXt('chara', base64(cardJson('Guard')))]);

  test('a bad CRC anywhere is 400 corrupt_image', () => {
    for (const offset of [8 + 8 + 2, 8 + 25 + 10, good.length - 20]) {
      const bad = good.slice();
      bad[offset] = bad[offset]! ^ 0xff;
      expect(errorOf(parsePngCard(bad))).toMatchObject({ status: 400, code: 'corrupt_image' });
    }
  });

  test('a bad CRC in a real fixture IDAT is detected', () => {
    const bytes = readFixture('CodingSensei.png');
    bytes[100_000] = bytes[100_000]! ^ 0x01;
    expect(errorOf(parseCard(bytes, { filename: 'x.png' }))).toMatchObject({
      status: 400,
      code: 'corrupt_image',
      detail: expect.stringMatching(/IDAT.*CRC/),
    });
  });

  test('truncation at every length is 400 corrupt_image (never a card, never a throw)', () => {
    for (let length = 1; length < good.length; length++) {
      const r = parsePngCard(good.subarray(0, length));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('corrupt_image');
    }
  });

  test('declared dimensions above the limit are 422 image_too_large', () => {
    const huge = buildPng([tEXt('chara', base64(cardJson('Big')))], { width: 100_000, height: 100_000 });
    expect(errorOf(parsePngCard(huge))).toMatchObject({ status: 422, code: 'image_too_large' });
    const wide = buildPng([tEXt('chara', base64(cardJson('Wide')))], { width: 8192, height: 8192 });
    expect(errorOf(parsePngCard(wide))).toMatchObject({ code: 'image_too_large' }); // 67 MP > 50 MP
    expect(ok(parsePngCard(wide, { limits: { maxImagePixels: 8192 * 8192 } })).card.data.name).toBe('Wide');
  });

  test('zero dimensions, missing IDAT, IHDR not first are corrupt', () => {
    expect(errorOf(parsePngCard(buildPng([], { width: 0 }))).code).toBe('corrupt_image');
    const ihdrOnly = readPng(good, DEFAULT_CARD_LIMITS).chunks;
    const noIdat = concatBytes([good.subarray(0, ihdrOnly[0]!.end), good.subarray(ihdrOnly[2]!.start)]);
    expect(errorOf(parsePngCard(noIdat)).detail).toMatch(/no IDAT/);
    const timeFirst = concatBytes([good.subarray(0, 8), encodePngChunk('tIME', new Uint8Array(7)), good.subarray(8)]);
    expect(errorOf(parsePngCard(timeFirst)).detail).toMatch(/IHDR/);
  });

  test('too many chunks is 422 too_many_chunks', () => {
    const many = Array.from({ length: 50 }, () => encodePngChunk('tIME', new Uint8Array(7)));
    expect(errorOf(parsePngCard(buildPng(many), { limits: { maxImageChunks: 20 } }))).toMatchObject({
      status: 422,
      code: 'too_many_chunks',
    });
  });

  test('a text chunk above the limit is 413 metadata_too_large', () => {
    const big = buildPng([tEXt('chara', base64(cardJson('Big', { description: 'x'.repeat(5000) })))]);
    expect(errorOf(parsePngCard(big, { limits: { maxTextChunkBytes: 1000 } }))).toMatchObject({ status: 413, code: 'metadata_too_large' });
    expect(errorOf(parsePngCard(big, { limits: { maxTotalTextBytes: 1000 } }))).toMatchObject({ status: 413, code: 'metadata_too_large' });
  });

  test('a zTXt bomb stops at the limit', () => {
    const bomb = encodePngChunk(
      'zTXt',
      concatBytes([latin1('chara'), Uint8Array.of(0, 0), new Uint8Array(zlib.deflateSync(new Uint8Array(16 * 1024 * 1024)))]),
    );
    const started = performance.now();
    expect(errorOf(parsePngCard(buildPng([bomb])))).toMatchObject({ status: 413, code: 'metadata_too_large' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test('a non-PNG given to the PNG parser is corrupt_image; through parseCard it is a format mismatch', () => {
    expect(errorOf(parsePngCard(latin1('hello world'))).code).toBe('corrupt_image');
    expect(errorOf(parseCard(latin1('{"name":"x"}'), { filename: 'x.png' }))).toMatchObject({ status: 400, code: 'format_mismatch' });
  });
});
