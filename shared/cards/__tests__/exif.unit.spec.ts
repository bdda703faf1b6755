import { describe, expect, test } from '@jest/globals';
import { parseCard, parseJpegCard, parseWebpCard, type CardParseResult, type CardParseSuccess } from '../index.ts';
import { LOSSY_WEBP, buildJpeg, buildTiff, buildWebp, cardJson, latin1, userComment } from './helpers/builders.ts';

function ok(result: CardParseResult): CardParseSuccess {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result;
}

function errorOf(result: CardParseResult) {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

const json = cardJson('Exif Ëlf 🍄');
const byteList = Array.from(Buffer.from(json, 'utf8')).join(',');

const containers = [
  { name: 'WEBP', build: (tiff: Uint8Array | null) => buildWebp(tiff), parse: parseWebpCard, filename: 'c.webp', format: 'webp' },
  {
    name: 'WEBP (Exif header)',
    build: (tiff: Uint8Array | null) => buildWebp(tiff, { exifHeader: true }),
    parse: parseWebpCard,
    filename: 'c.webp',
    format: 'webp',
  },
  { name: 'JPEG', build: (tiff: Uint8Array | null) => buildJpeg(tiff), parse: parseJpegCard, filename: 'c.jpg', format: 'jpeg' },
] as const;

describe.each(containers)('$name EXIF UserComment', ({ build, parse, filename, format }) => {
  test.each([
    ['JSON, no charset prefix', userComment('none', json)],
    ['JSON, ASCII prefix', userComment('ASCII', json)],
    ['JSON, undefined (8 NUL) prefix', userComment('UNDEFINED', json)],
    ['JSON, UNICODE prefix, little-endian UTF-16', userComment('UNICODE-LE', json)],
    ['JSON, UNICODE prefix, big-endian UTF-16', userComment('UNICODE-BE', json)],
    ['decimal byte list (old SillyTavern)', userComment('none', byteList)],
    ['decimal byte list, ASCII prefix', userComment('ASCII', byteList)],
    ['base64', userComment('ASCII', Buffer.from(json).toString('base64'))],
  ])('%s', (_label, comment) => {
    for (const littleEndian of [true, false]) {
      const r = ok(parseCard(build(buildTiff(comment, { littleEndian })), { filename }));
      expect(r.card.data.name).toBe('Exif Ëlf 🍄');
      expect(r.sourceFormat).toBe(format);
      expect(r.avatar?.mime).toBe(`image/${format}`);
    }
  });

  test('UserComment in IFD0 instead of the Exif sub-IFD', () => {
    expect(ok(parse(build(buildTiff(userComment('ASCII', json), { inIfd0: true })))).card.data.name).toBe('Exif Ëlf 🍄');
  });

  test('no EXIF, or EXIF without UserComment, is missing_character_data (image-only on request)', () => {
    expect(errorOf(parse(build(null)))).toMatchObject({ status: 422, code: 'missing_character_data' });
    const noComment = buildTiff(userComment('ASCII', json), { inIfd0: false });
    noComment[28] = 0x01; // retag UserComment as something else
    expect(errorOf(parse(build(noComment))).code).toBe('missing_character_data');
    const r = ok(parse(build(null), { allowImageOnly: true, filename: 'Forest_Spirit.webp' }));
    expect(r.card.data.name).toBe('Forest Spirit');
  });

  test('a UserComment pointing outside the EXIF block is 400 corrupt_image', () => {
    expect(errorOf(parse(build(buildTiff(userComment('ASCII', json), { badOffset: 0xfffff0 })))).code).toBe('corrupt_image');
  });

  test('an invalid TIFF header is 400 corrupt_image', () => {
    const tiff = buildTiff(userComment('ASCII', json));
    tiff[0] = 0x58;
    expect(errorOf(parse(build(tiff))).code).toBe('corrupt_image');
  });

  test('a comment that is not a card is 400 invalid_card_encoding', () => {
    expect(errorOf(parse(build(buildTiff(userComment('ASCII', 'Shot on a phone!')))))).toMatchObject({
      status: 400,
      code: 'invalid_card_encoding',
    });
  });

  test('every truncation is a 4xx result', () => {
    const full = build(buildTiff(userComment('ASCII', json)));
    for (let length = 1; length < full.length; length++) {
      const r = parse(full.subarray(0, length));
      if (!r.ok) expect([400, 413, 415, 422]).toContain(r.error.status);
    }
  });
});

describe('WEBP container', () => {
  test('lossy (VP8) and lossless (VP8L) images without EXIF are image-only candidates', () => {
    expect(errorOf(parseWebpCard(LOSSY_WEBP)).code).toBe('missing_character_data');
    const r = ok(parseCard(LOSSY_WEBP, { filename: 'lossy.webp', allowImageOnly: true }));
    expect(r.avatar).toEqual({ bytes: LOSSY_WEBP, mime: 'image/webp' });
  });

  test('a VP8X without image data is corrupt', () => {
    const webp = buildWebp(null, { width: 2 });
    const noImage = webp.slice(0, 12 + 18);
    new DataView(noImage.buffer).setUint32(4, noImage.length - 8, true);
    expect(errorOf(parseWebpCard(noImage)).detail).toMatch(/no image data/);
  });

  test('UTF-16 UserComment with a byte-order mark', () => {
    const bom = new Uint8Array([...latin1('UNICODE\0'), 0xfe, 0xff, ...userComment('UNICODE-BE', json).subarray(8)]);
    expect(ok(parseWebpCard(buildWebp(buildTiff(bom)))).card.data.name).toBe('Exif Ëlf 🍄');
  });

  test('canvas size above the limit is 422 image_too_large', () => {
    const big = buildWebp(buildTiff(userComment('ASCII', json)), { width: 16000, height: 16000 });
    expect(errorOf(parseWebpCard(big))).toMatchObject({ status: 422, code: 'image_too_large' });
  });

  test('a RIFF size larger than the file is corrupt', () => {
    const webp = buildWebp(buildTiff(userComment('ASCII', json)));
    new DataView(webp.buffer).setUint32(4, webp.length * 2, true);
    expect(errorOf(parseWebpCard(webp)).code).toBe('corrupt_image');
  });

  test('JPEG bytes with a .webp extension are a format mismatch', () => {
    expect(errorOf(parseCard(buildJpeg(null), { filename: 'x.webp' }))).toMatchObject({ status: 400, code: 'format_mismatch' });
  });
});

describe('JPEG container', () => {
  test('frame size above the limit is 422 image_too_large', () => {
    expect(errorOf(parseJpegCard(buildJpeg(null, { width: 60000, height: 60000 }))).code).toBe('image_too_large');
  });

  test('a JPEG without end-of-image marker is corrupt', () => {
    const jpeg = buildJpeg(buildTiff(userComment('ASCII', json)));
    expect(errorOf(parseJpegCard(jpeg.subarray(0, jpeg.length - 2))).code).toBe('corrupt_image');
  });

  test('garbage between segments is corrupt', () => {
    const jpeg = buildJpeg(null);
    const bad = new Uint8Array([...jpeg.subarray(0, 2), ...latin1('xx'), ...jpeg.subarray(2)]);
    expect(errorOf(parseJpegCard(bad)).code).toBe('corrupt_image');
  });
});
