import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  exportCard,
  parseCard,
  parseJsonCard,
  toV3Json,
  type CardAsset,
  type CardExportFormat,
  type CardImage,
  type CardParseResult,
  type CardParseSuccess,
} from '../index.ts';
import { PLACEHOLDER_PNG } from '../png-card.ts';
import { isTextChunk, readPng, readTextKeyword, readTextPayload } from '../png-chunks.ts';
import { DEFAULT_CARD_LIMITS } from '../limits.ts';
import { getOwn } from '../json-value.ts';
import { cardDocument, text } from './helpers/arbitraries.ts';
import { buildPng, buildWebp, readFixture, utf8 } from './helpers/builders.ts';

const FORMATS: readonly CardExportFormat[] = ['json', 'v2', 'png', 'charx'];

function ok(result: CardParseResult): CardParseSuccess {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result;
}

function reimport(first: CardParseSuccess, format: CardExportFormat, assets: readonly CardAsset[] = first.assets): CardParseSuccess {
  const exported = exportCard(first.card, format, { avatar: first.avatar, assets });
  return ok(parseCard(exported.bytes, { filename: `card.${exported.extension}` }));
}

function expectSameImage(actual: CardImage | undefined, expected: CardImage | undefined): void {
  expect(actual?.mime).toBe(expected?.mime);
  expect(actual && expected && Buffer.compare(Buffer.from(actual.bytes), Buffer.from(expected.bytes))).toBe(0);
}

const stripBytes = (assets: readonly CardAsset[]) => assets.map((a) => ({ ...a, bytes: Buffer.from(a.bytes).toString('base64') }));

describe('lossless round trip of the fixtures', () => {
  test.each(['Seraphina.png', 'CodingSensei.png', 'FluxTheCat.png'])('%s → every format → import gives the same card', (name) => {
    const first = ok(parseCard(readFixture(name), { filename: name }));
    for (const format of FORMATS) {
      const second = reimport(first, format);
      expect(second.card).toEqual(first.card);
      expect(second.warnings).toEqual([]);
      if (format === 'png' || format === 'charx') expectSameImage(second.avatar, first.avatar);
      // Exporting the re-imported card gives the same bytes: export is deterministic and import is a fixed point.
      expect(
        Buffer.compare(
          Buffer.from(exportCard(second.card, format, { avatar: second.avatar }).bytes),
          Buffer.from(exportCard(first.card, format, { avatar: first.avatar }).bytes),
        ),
      ).toBe(0);
    }
  });

  test('no-card-metadata.png imported image-only survives every format', () => {
    const first = ok(parseCard(readFixture('no-card-metadata.png'), { filename: 'no-card-metadata.png', allowImageOnly: true }));
    for (const format of FORMATS) expect(reimport(first, format).card).toEqual(first.card);
  });

  test('PNG export writes both ccv3 (V3) and chara (V2) chunks and replaces old ones', () => {
    const first = ok(parseCard(readFixture('Seraphina.png'), { filename: 'Seraphina.png' }));
    const png = exportCard(first.card, 'png', { avatar: { bytes: readFixture('Seraphina.png'), mime: 'image/png' } }).bytes;
    const chunks = readPng(png, DEFAULT_CARD_LIMITS).chunks;
    expect(chunks.map((c) => `${c.type}:${isTextChunk(c) ? readTextKeyword(png, c) : ''}`)).toEqual([
      'IHDR:',
      'IDAT:',
      'tEXt:chara',
      'tEXt:ccv3',
      'IEND:',
    ]);
    const payload = (i: number) =>
      JSON.parse(
        Buffer.from(
          Buffer.from(readTextPayload(png, chunks[i]!, readTextKeyword(png, chunks[i]!)!, 1e9)).toString('latin1'),
          'base64',
        ).toString('utf8'),
      ) as Record<string, unknown>;
    expect(payload(2)).toMatchObject({ spec: 'chara_card_v2', spec_version: '2.0', name: 'Seraphina', data: { name: 'Seraphina' } });
    expect(payload(3)).toMatchObject({ spec: 'chara_card_v3', spec_version: '3.0', name: 'Seraphina', data: { name: 'Seraphina' } });
  });

  test('PNG export without an avatar uses a valid 1×1 PNG; a non-PNG avatar is refused', () => {
    const first = ok(parseJsonCard(utf8('{"name":"NoPic"}')));
    const png = exportCard(first.card, 'png');
    const again = ok(parseCard(png.bytes, { filename: 'x.png' }));
    expect(again.card).toEqual(first.card);
    expect(again.avatar?.bytes).toEqual(PLACEHOLDER_PNG);
    expect(() => exportCard(first.card, 'png', { avatar: { bytes: buildWebp(null), mime: 'image/webp' } })).toThrow(
      expect.objectContaining({ name: 'CardExportError', status: 422, code: 'avatar_not_png' }),
    );
  });
});

describe('lossless round trip (property)', () => {
  test('generated cards (all dialects, unknown fields, unicode) survive json, v2, png and charx', () => {
    fc.assert(
      fc.property(cardDocument, (generated) => {
        const json = JSON.stringify(generated);
        // What the file says (JSON has no -0, so compare against the parsed text, not the generated object).
        const doc = JSON.parse(json) as Record<string, unknown>;
        const first = ok(parseJsonCard(utf8(json)));
        // Nothing of the source is lost on import: every top-level and data key comes back out with its value.
        const exported = toV3Json(first.card);
        for (const key of Object.keys(doc)) {
          if (key !== 'spec' && key !== 'spec_version' && key !== 'data') expect([key, getOwn(exported, key)]).toEqual([key, doc[key]]);
        }
        const sourceData = doc.data as Record<string, unknown> | undefined;
        for (const key of Object.keys(sourceData ?? {}))
          expect([key, getOwn(exported.data as Record<string, unknown>, key)]).toEqual([key, sourceData![key]]);
        expect(first.warnings).toEqual([]);
        for (const format of FORMATS) {
          const second = reimport(first, format);
          expect(second.card).toEqual(first.card);
          expect(JSON.stringify(second.card)).toBe(JSON.stringify(first.card));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('assets and avatar survive png and charx', () => {
    const assetArb = fc.record({
      folder: fc.constantFrom('emotion', 'background', 'other'),
      file: fc.stringMatching(/^[a-z0-9_]{1,12}$/),
      bytes: fc.uint8Array({ minLength: 0, maxLength: 64 }),
      referenced: fc.boolean(),
      label: text,
    });
    fc.assert(
      fc.property(
        cardDocument,
        fc.uniqueArray(assetArb, { maxLength: 4, selector: (a) => `${a.folder}/${a.file}` }),
        fc.boolean(),
        (doc, specs, webpAvatar) => {
          const base = ok(parseJsonCard(utf8(JSON.stringify(doc))));
          const refs = specs
            .filter((s) => s.referenced)
            .map((s) => ({ type: s.folder, uri: `embeded://assets/${s.folder}/${s.file}.bin`, name: s.label, ext: 'bin' }));
          const card = {
            ...base.card,
            data: { ...base.card.data, assets: [...(base.card.data.assets ?? []).filter((a) => !a.uri.startsWith('embeded://')), ...refs] },
          };
          const assets: CardAsset[] = specs.map((s) => {
            const uri = s.referenced ? `embeded://assets/${s.folder}/${s.file}.bin` : null;
            return {
              path: `assets/${s.folder}/${s.file}.bin`,
              uri,
              type: uri ? s.folder : null,
              name: uri ? s.label : null,
              ext: 'bin',
              mime: 'application/octet-stream',
              bytes: s.bytes,
            };
          });
          const avatar = webpAvatar ? { bytes: buildWebp(null), mime: 'image/webp' } : { bytes: buildPng(), mime: 'image/png' };
          const first = ok(parseCard(exportCard(card, 'charx', { avatar, assets }).bytes, { filename: 'a.charx' }));
          expect(first.card).toEqual(ok(parseJsonCard(exportCard(card, 'json').bytes)).card);
          expectSameImage(first.avatar, avatar);
          expect(stripBytes(first.assets)).toEqual(stripBytes(assets));
          for (const format of webpAvatar ? (['charx'] as const) : (['png', 'charx'] as const)) {
            const second = reimport(first, format);
            expect(second.card).toEqual(first.card);
            expectSameImage(second.avatar, first.avatar);
            expect(stripBytes(second.assets)).toEqual(stripBytes(first.assets));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
