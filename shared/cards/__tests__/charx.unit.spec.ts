import { unzipSync, zipSync } from 'fflate';
import { describe, expect, test } from '@jest/globals';
import { CHARX_EXPORT_META, exportCard, parseCard, parseCharxCard, type CardParseResult, type CardParseSuccess } from '../index.ts';
import { buildPng, buildRawZip, buildWebp, buildZip64, rawEntry, utf8 } from './helpers/builders.ts';

function ok(result: CardParseResult): CardParseSuccess {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result;
}

function errorOf(result: CardParseResult) {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

const icon = buildPng();
const happy = buildWebp(null);

function v3Card(assets: unknown[] | undefined, extra: Record<string, unknown> = {}) {
  return {
    spec: 'chara_card_v3',
    spec_version: '3.0',
    data: { name: 'Risu', first_mes: 'hello', ...(assets ? { assets } : {}), ...extra },
  };
}

const ASSETS = [
  { type: 'icon', uri: 'embeded://assets/icon/images/main.png', name: 'main', ext: 'png' },
  { type: 'emotion', uri: 'embedded://assets/emotion/images/happy.webp', name: 'happy', ext: 'webp' },
  { type: 'background', uri: '__asset:assets/background/images/bg.png', name: 'main', ext: 'png' },
  { type: 'x_remote', uri: 'https://example.org/x.png', name: 'remote', ext: 'png' },
];

function charx(files: Record<string, Uint8Array>): Uint8Array {
  return zipSync(files);
}

describe('CharX import', () => {
  test('card.json, main icon as avatar, other assets with their reference info', () => {
    const bytes = charx({
      'card.json': utf8(JSON.stringify(v3Card(ASSETS))),
      'assets/icon/images/main.png': icon,
      'assets/emotion/images/happy.webp': happy,
      'assets/background/images/bg.png': icon,
      'module.risum': Uint8Array.of(1, 2, 3),
      '__MACOSX/._card.json': Uint8Array.of(0),
    });
    const r = ok(parseCard(bytes, { filename: 'risu.charx' }));
    expect(r.sourceFormat).toBe('charx');
    expect(r.card.data.name).toBe('Risu');
    expect(r.card.data.assets).toEqual(ASSETS);
    expect(r.avatar).toEqual({ bytes: icon, mime: 'image/png' });
    expect(r.assets.map(({ bytes: _bytes, ...rest }) => rest)).toEqual([
      {
        path: 'assets/emotion/images/happy.webp',
        uri: 'embedded://assets/emotion/images/happy.webp',
        type: 'emotion',
        name: 'happy',
        ext: 'webp',
        mime: 'image/webp',
      },
      {
        path: 'assets/background/images/bg.png',
        uri: '__asset:assets/background/images/bg.png',
        type: 'background',
        name: 'main',
        ext: 'png',
        mime: 'image/png',
      },
      { path: 'module.risum', uri: null, type: null, name: null, ext: 'risum', mime: 'application/octet-stream' },
    ]);
    expect(r.warnings).toEqual([]);
  });

  test('a missing referenced file is a warning, not an error', () => {
    const r = ok(parseCharxCard(charx({ 'card.json': utf8(JSON.stringify(v3Card(ASSETS))) })));
    expect(r.avatar).toBeUndefined();
    expect(r.warnings.filter((w) => /not in the file/.test(w))).toHaveLength(3);
  });

  test('card.json inside a single folder is accepted with a warning', () => {
    const r = ok(
      parseCharxCard(
        charx({ 'Risu/card.json': utf8(JSON.stringify(v3Card(ASSETS.slice(0, 1)))), 'Risu/assets/icon/images/main.png': icon }),
      ),
    );
    expect(r.avatar?.bytes).toEqual(icon);
    expect(r.warnings.join()).toMatch(/folder "Risu\/"/);
  });

  test('no card.json is 422 missing_card_json; a broken card.json is invalid_json', () => {
    expect(errorOf(parseCharxCard(charx({ 'other.json': utf8('{}') })))).toMatchObject({ status: 422, code: 'missing_card_json' });
    expect(errorOf(parseCharxCard(charx({ 'card.json': utf8('{') })))).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  test('an exported CharX of a card without an icon entry shows the avatar to other apps and restores the card on import', () => {
    const original = ok(parseCard(utf8(JSON.stringify(v3Card(undefined))), { filename: 'c.json' }));
    const exported = exportCard(original.card, 'charx', { avatar: { bytes: icon, mime: 'image/png' } });
    const r = ok(parseCard(exported.bytes, { filename: 'c.charx' }));
    expect(r.card).toEqual(original.card);
    expect(r.avatar).toEqual({ bytes: icon, mime: 'image/png' });
    expect(r.assets).toEqual([]);
    // If another app edits the asset list, the recorded original is not forced back.
    const edited = ok(
      parseCharxCard(
        rezip(exported.bytes, (entries) => {
          const card = JSON.parse(Buffer.from(entries['card.json']!).toString()) as { data: { assets: unknown[] } };
          card.data.assets.push({ type: 'emotion', uri: 'ccdefault:', name: 'sad', ext: 'png' });
          entries['card.json'] = utf8(JSON.stringify(card));
        }),
      ),
    );
    expect(edited.card.data.assets).toHaveLength(2);
    expect(edited.avatar?.bytes).toEqual(icon);
  });

  test('a ccdefault: main icon is replaced by the avatar on export and restored on import', () => {
    const original = ok(
      parseCard(utf8(JSON.stringify(v3Card([{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }]))), { filename: 'c.json' }),
    );
    const exported = exportCard(original.card, 'charx', { avatar: { bytes: happy, mime: 'image/webp' } });
    const r = ok(parseCard(exported.bytes, { filename: 'c.charx' }));
    expect(r.card).toEqual(original.card);
    expect(r.avatar).toEqual({ bytes: happy, mime: 'image/webp' });
    expect(unzipNames(exported.bytes)).toEqual(['card.json', CHARX_EXPORT_META, 'assets/icon/images/main.webp']);
  });
});

function unzipNames(bytes: Uint8Array): string[] {
  const names: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 0; p + 30 < bytes.length && view.getUint32(p, true) === 0x04034b50;) {
    const nameLength = view.getUint16(p + 26, true);
    names.push(Buffer.from(bytes.subarray(p + 30, p + 30 + nameLength)).toString());
    p += 30 + nameLength + view.getUint16(p + 28, true) + view.getUint32(p + 18, true);
  }
  return names;
}

function rezip(bytes: Uint8Array, edit: (entries: Record<string, Uint8Array>) => void): Uint8Array {
  const entries = unzipSync(bytes);
  edit(entries);
  return zipSync(entries);
}

describe('CharX zip-bomb and path guards', () => {
  const card = utf8(JSON.stringify(v3Card(undefined)));

  test('path traversal, absolute paths and drive letters are 400 unsafe_archive_path', () => {
    for (const name of ['../evil.png', 'assets/../../evil', '/etc/passwd', 'C:/x.png', 'a\\..\\..\\b']) {
      const zip = buildRawZip([rawEntry('card.json', card), rawEntry(name, Uint8Array.of(1))]);
      expect(errorOf(parseCharxCard(zip))).toMatchObject({ status: 400, code: 'unsafe_archive_path' });
    }
  });

  test('too many entries is 422 (checked before reading them)', () => {
    const zip = buildRawZip([rawEntry('card.json', card)], { declaredCount: 60000 });
    expect(errorOf(parseCharxCard(zip))).toMatchObject({ status: 422, code: 'too_many_entries' });
    const many = buildRawZip([rawEntry('card.json', card), ...Array.from({ length: 30 }, (_, i) => rawEntry(`f${i}`, Uint8Array.of(i)))]);
    expect(errorOf(parseCharxCard(many, { limits: { maxArchiveEntries: 10 } })).code).toBe('too_many_entries');
  });

  test('declared sizes above the limits are 413 archive_too_large', () => {
    const huge = { ...rawEntry('big.bin', Uint8Array.of(1)), uncompressedSize: 2_000_000_000 };
    expect(errorOf(parseCharxCard(buildRawZip([rawEntry('card.json', card), huge])))).toMatchObject({
      status: 413,
      code: 'archive_too_large',
    });
    const parts = Array.from({ length: 5 }, (_, i) => ({ ...rawEntry(`p${i}`, new Uint8Array(1000), 0) }));
    expect(
      errorOf(parseCharxCard(buildRawZip([rawEntry('card.json', card), ...parts]), { limits: { maxArchiveUncompressedBytes: 3000 } })).code,
    ).toBe('archive_too_large');
  });

  test('a high compression ratio on a large entry is 422 suspicious_compression_ratio', () => {
    const zeros = rawEntry('zeros.bin', new Uint8Array(4 * 1024 * 1024));
    expect(errorOf(parseCharxCard(buildRawZip([rawEntry('card.json', card), zeros])))).toMatchObject({
      status: 422,
      code: 'suspicious_compression_ratio',
    });
  });

  test('an entry that lies about its size is caught without inflating it fully', () => {
    const real = new Uint8Array(8 * 1024 * 1024);
    const liar = { ...rawEntry('liar.bin', real), uncompressedSize: 1000 };
    const started = performance.now();
    expect(errorOf(parseCharxCard(buildRawZip([rawEntry('card.json', card), liar])))).toMatchObject({
      status: 400,
      code: 'corrupt_archive',
      detail: expect.stringMatching(/declared 1000/),
    });
    expect(performance.now() - started).toBeLessThan(500);
    const short = { ...rawEntry('short.bin', new Uint8Array(10)), uncompressedSize: 20 };
    expect(errorOf(parseCharxCard(buildRawZip([rawEntry('card.json', card), short]))).detail).toMatch(/instead of the declared 20/);
  });

  test('CRC mismatch, encryption, unknown methods, duplicates', () => {
    expect(errorOf(parseCharxCard(buildRawZip([{ ...rawEntry('card.json', card), crc: 1 }]))).detail).toMatch(/CRC/);
    expect(
      errorOf(parseCharxCard(buildRawZip([rawEntry('card.json', card), { ...rawEntry('x', Uint8Array.of(1)), flags: 1 }]))),
    ).toMatchObject({ status: 422, code: 'encrypted_archive' });
    expect(
      errorOf(parseCharxCard(buildRawZip([rawEntry('card.json', card), { ...rawEntry('x', Uint8Array.of(1)), method: 12 }]))),
    ).toMatchObject({ code: 'unsupported_compression' });
    expect(
      errorOf(
        parseCharxCard(buildRawZip([rawEntry('card.json', card), rawEntry('a/x', Uint8Array.of(1)), rawEntry('a//x', Uint8Array.of(2))])),
      ).detail,
    ).toMatch(/more than once/);
  });

  test('ZIP64 archives are read; their sizes go through the same guards', () => {
    const zip64 = buildZip64([rawEntry('card.json', card), rawEntry('assets/icon/images/main.png', icon, 0)]);
    const r = ok(parseCharxCard(zip64));
    expect(r.card.data.name).toBe('Risu');
    expect(r.assets.map((a) => a.path)).toEqual(['assets/icon/images/main.png']);
    const huge = buildZip64([rawEntry('card.json', card), { ...rawEntry('big', Uint8Array.of(1)), uncompressedSize: 2 ** 40 }]);
    expect(errorOf(parseCharxCard(huge)).code).toBe('archive_too_large');
    const impossible = buildZip64([
      rawEntry('card.json', card),
      { ...rawEntry('big', Uint8Array.of(1)), uncompressedSize: Number.MAX_SAFE_INTEGER },
    ]);
    const view = new DataView(impossible.buffer);
    const at = Buffer.from(impossible).lastIndexOf(Buffer.from('big')) + 3 + 4;
    view.setBigUint64(at, 2n ** 63n, true);
    expect(errorOf(parseCharxCard(impossible)).code).toBe('corrupt_archive');
  });

  test('truncated archives are 400 corrupt_archive', () => {
    const zip = charx({ 'card.json': card, 'assets/icon/images/main.png': icon });
    for (const length of [10, 100, zip.length - 30, zip.length - 1]) {
      const r = parseCharxCard(zip.subarray(0, length));
      expect(r.ok ? null : r.error.code).toBe('corrupt_archive');
    }
  });

  test('card.json above the card size limit is 413 card_too_large', () => {
    const big = utf8(JSON.stringify(v3Card(undefined, { description: 'x'.repeat(5000) })));
    expect(errorOf(parseCharxCard(charx({ 'card.json': big }), { limits: { maxCardJsonBytes: 1000 } }))).toMatchObject({
      status: 413,
      code: 'card_too_large',
    });
  });
});
