/**
 * Robustness: any bytes — random, or mutations of real cards (flipped bytes, truncations, spliced and re-ordered
 * chunks, CRC-fixed edits inside chunks, edits inside archives) — give a card or a 4xx result. Never a throw, never a
 * hang, never the unexpected-error fallback.
 */
import zlib from 'node:zlib';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { unzipSync, zipSync } from 'fflate';
import {
  exportCard,
  parseCard,
  parseCharxCard,
  parseJpegCard,
  parseJsonCard,
  parseMarkdownCard,
  parsePlainTextCard,
  parsePngCard,
  parseWebpCard,
  parseYamlCard,
  type CardParseOptions,
  type CardParseResult,
} from '../index.ts';
import { concatBytes, encodePngChunk, readPng } from '../png-chunks.ts';
import { DEFAULT_CARD_LIMITS } from '../limits.ts';
import {
  base64,
  buildJpeg,
  buildPng,
  buildTiff,
  buildWebp,
  cardJson,
  iTXt,
  readFixture,
  tEXt,
  userComment,
  utf8,
  zTXt,
} from './helpers/builders.ts';

type Parser = (bytes: Uint8Array, options?: CardParseOptions) => CardParseResult;

const STATUSES = new Set([400, 413, 415, 422]);
const MAX_MS_PER_INPUT = 1500;

/** Runs a parser and checks the contract; returns the result for extra assertions. */
function check(parse: Parser, bytes: Uint8Array, options?: CardParseOptions): CardParseResult {
  const started = performance.now();
  let result: CardParseResult;
  try {
    result = parse(bytes, options);
  } catch (error) {
    throw new Error(`parser threw: ${String(error)}`);
  }
  const elapsed = performance.now() - started;
  if (elapsed > MAX_MS_PER_INPUT) throw new Error(`parser took ${elapsed.toFixed(0)} ms`);
  if (result.ok) {
    expect(result.card.spec).toBe('chara_card_v3');
    expect(typeof result.card.data.name).toBe('string');
  } else {
    if (!STATUSES.has(result.error.status) || typeof result.error.code !== 'string' || result.error.detail === '') {
      throw new Error(`bad error result ${JSON.stringify(result.error)}`);
    }
    if (result.error.code === 'unparseable_card') throw new Error(`unexpected error fallback: ${result.error.detail}`);
  }
  return result;
}

const FILENAMES = [
  undefined,
  'x.png',
  'x.apng',
  'x.webp',
  'x.jpg',
  'x.charx',
  'x.zip',
  'x.json',
  'x.yaml',
  'x.md',
  'x.txt',
  'x.gif',
  'x.exe',
];

/** Mutations of a byte string: flips, overwrites, truncation, insertion, deletion, duplication of a slice. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const position = fc.nat({ max: Math.max(0, base.length - 1) });
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: position }),
    fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 256 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let bytes: Uint8Array = base.slice();
    for (const e of edits) {
      const at = Math.min(e.at, Math.max(0, bytes.length - 1));
      switch (e.kind) {
        case 'flip':
          if (bytes.length) bytes[at] = bytes[at]! ^ e.mask;
          break;
        case 'set':
          if (bytes.length) bytes[at] = e.value;
          break;
        case 'truncate':
          bytes = bytes.slice(0, at);
          break;
        case 'insert':
          bytes = concatBytes([bytes.subarray(0, at), e.bytes, bytes.subarray(at)]);
          break;
        case 'delete':
          bytes = concatBytes([bytes.subarray(0, at), bytes.subarray(at + e.length)]);
          break;
        case 'duplicate':
          bytes = concatBytes([bytes.subarray(0, at + e.length), bytes.subarray(at, at + e.length), bytes.subarray(at + e.length)]);
          break;
      }
    }
    return bytes;
  });
}

describe('random bytes', () => {
  test('parseCard with every declared type', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(...FILENAMES), fc.boolean(), (bytes, filename, allowImageOnly) => {
        check(parseCard, bytes, { filename, allowImageOnly });
      }),
      { numRuns: 1000 },
    );
  });

  test('random bodies behind each magic number', () => {
    const magics = [
      Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
      utf8('RIFF\x20\x00\x00\x00WEBP'),
      Uint8Array.of(0xff, 0xd8, 0xff),
      Uint8Array.of(0x50, 0x4b, 0x03, 0x04),
      Uint8Array.of(0x50, 0x4b, 0x05, 0x06),
      utf8('{"spec":"chara_card_v3","data":'),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 1024 }), (magic, body) => {
        check(parseCard, concatBytes([magic, body]));
      }),
      { numRuns: 1000 },
    );
  });

  test('every specific parser on random bytes', () => {
    const parsers: Parser[] = [
      parsePngCard,
      parseWebpCard,
      parseJpegCard,
      parseCharxCard,
      parseJsonCard,
      parseYamlCard,
      parseMarkdownCard,
      parsePlainTextCard,
    ];
    fc.assert(
      fc.property(fc.constantFrom(...parsers), fc.uint8Array({ maxLength: 1024 }), (parse, bytes) => {
        check(parse, bytes);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('mutations of real card files', () => {
  const smallPng = buildPng([
    tEXt('chara', base64(cardJson('Mutant'))),
    zTXt('ccv3', base64(cardJson('Mutant3'))),
    iTXt('Comment', 'hello', true),
    tEXt('chara-ext-asset_:a.png', Buffer.from(buildPng()).toString('base64')),
  ]);

  test('small PNG card: byte-level mutations', () => {
    fc.assert(
      fc.property(mutated(smallPng), (bytes) => void check(parseCard, bytes, { filename: 'm.png' })),
      { numRuns: 1000 },
    );
  });

  test('small PNG card: chunks spliced, dropped, duplicated and re-ordered (CRCs valid)', () => {
    const chunks = readPng(smallPng, DEFAULT_CARD_LIMITS).chunks.map((c) => smallPng.slice(c.start, c.end));
    const pool = [...chunks, readFixture('Seraphina.png').slice(8 + 25 + 12 + 511505, 8 + 25 + 12 + 511505 + 20170)];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pool), { maxLength: 10 }), (picked) => {
        check(parseCard, concatBytes([smallPng.subarray(0, 8), ...picked]), { filename: 'm.png' });
      }),
      { numRuns: 500 },
    );
  });

  test('small PNG card: edits inside a chunk with the CRC recomputed', () => {
    const info = readPng(smallPng, DEFAULT_CARD_LIMITS);
    fc.assert(
      fc.property(fc.nat({ max: info.chunks.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 512 }), (index, data) => {
        const chunk = info.chunks[index]!;
        const original = smallPng.subarray(chunk.dataStart, chunk.dataStart + chunk.length);
        const edited = concatBytes([original.subarray(0, Math.min(original.length, 8)), data]);
        const replaced = concatBytes([smallPng.subarray(0, chunk.start), encodePngChunk(chunk.type, edited), smallPng.subarray(chunk.end)]);
        check(parseCard, replaced, { filename: 'm.png' });
      }),
      { numRuns: 500 },
    );
  });

  test('card JSON inside a valid PNG: mutated text', () => {
    const json = cardJson('Jason', { alternate_greetings: ['a', 'b'], character_book: { entries: [{ keys: ['k'], content: 'c' }] } });
    fc.assert(
      fc.property(mutated(utf8(json)), fc.boolean(), (payload, encode) => {
        const text = encode ? Buffer.from(payload).toString('base64') : Buffer.from(payload).toString('latin1');
        check(parseCard, buildPng([tEXt('ccv3', text)]), { filename: 'j.png' });
      }),
      { numRuns: 1000 },
    );
  });

  test('real fixture (Seraphina.png): byte-level mutations', () => {
    const seraphina = readFixture('Seraphina.png');
    fc.assert(
      fc.property(mutated(seraphina), (bytes) => void check(parseCard, bytes, { filename: 's.png' })),
      { numRuns: 150 },
    );
  });

  test('WEBP and JPEG EXIF cards: byte-level mutations', () => {
    const tiff = buildTiff(userComment('UNICODE-LE', cardJson('Exif')));
    const webp = buildWebp(tiff);
    const jpeg = buildJpeg(buildTiff(userComment('none', Array.from(utf8(cardJson('Bytes'))).join(','))));
    fc.assert(
      fc.property(fc.oneof(mutated(webp), mutated(jpeg)), fc.constantFrom(undefined, 'x.webp', 'x.jpg'), (bytes, filename) => {
        check(parseCard, bytes, { filename });
      }),
      { numRuns: 1000 },
    );
  });

  test('TIFF blocks: random and mutated EXIF inside a valid WEBP', () => {
    const tiff = buildTiff(userComment('ASCII', cardJson('Tiff')), { littleEndian: false });
    fc.assert(
      fc.property(fc.oneof(mutated(tiff), fc.uint8Array({ maxLength: 256 })), (block) => void check(parseWebpCard, buildWebp(block))),
      { numRuns: 1000 },
    );
  });

  test('CharX: byte-level mutations of the archive', () => {
    const card = parseJsonCard(
      utf8(cardJson('Zippy', { assets: [{ type: 'icon', uri: 'embeded://assets/icon/images/main.png', name: 'main', ext: 'png' }] })),
    );
    if (!card.ok) throw new Error('setup');
    const charx = exportCard(card.card, 'charx', { avatar: { bytes: buildPng(), mime: 'image/png' } }).bytes;
    fc.assert(
      fc.property(mutated(charx), (bytes) => void check(parseCard, bytes, { filename: 'z.charx' })),
      { numRuns: 1000 },
    );
  });

  test('CharX: mutated card.json and entry names inside a valid archive', () => {
    const json = utf8(
      JSON.stringify({
        spec: 'chara_card_v3',
        spec_version: '3.0',
        data: { name: 'Z', assets: [{ type: 'icon', uri: 'embeded://a/b.png', name: 'main', ext: 'png' }] },
      }),
    );
    fc.assert(
      fc.property(mutated(json), fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), (cardBytes, names) => {
        const files: Record<string, Uint8Array> = { 'card.json': cardBytes, 'a/b.png': buildPng() };
        for (const name of names) files[name || 'x'] = Uint8Array.of(1);
        let zip: Uint8Array;
        try {
          zip = zipSync(files);
        } catch {
          return;
        }
        const result = check(parseCharxCard, zip);
        if (result.ok) expect(unzipSync(zip)['card.json']).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });
});

describe('text formats', () => {
  test('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => void check(parseJsonCard, utf8(JSON.stringify(value) ?? 'null'))),
      { numRuns: 1000 },
    );
  });

  test('arbitrary objects that look like cards', () => {
    const looksLikeCard = fc.record(
      {
        spec: fc.constantFrom('chara_card_v2', 'chara_card_v3', 'lorebook_v3', 'other'),
        spec_version: fc.oneof(fc.string(), fc.double(), fc.constant(null)),
        data: fc.oneof(
          fc.dictionary(
            fc.constantFrom(
              'name',
              'tags',
              'alternate_greetings',
              'extensions',
              'character_book',
              'assets',
              'creation_date',
              'nickname',
              'source',
              'first_mes',
            ),
            fc.jsonValue({ maxDepth: 3 }),
          ),
          fc.jsonValue(),
        ),
        name: fc.jsonValue({ maxDepth: 1 }),
        char_name: fc.jsonValue({ maxDepth: 1 }),
        context: fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(looksLikeCard, (value) => void check(parseJsonCard, utf8(JSON.stringify(value)), { filename: 'maybe.json' })),
      { numRuns: 1000 },
    );
  });

  test('YAML, Markdown and plain text from arbitrary strings', () => {
    const pieces = fc.constantFrom(
      '# Title\n',
      '## Description\n',
      '## Alternate greetings\n',
      '### one\n',
      '```\n',
      'Name: x\n',
      'Tags: a, b\n',
      'name: y\n',
      'context: c\n',
      '&a [*a]\n',
      '- item\n',
      ': :\n',
      '\t',
      '{',
      '\u0000',
      '🌲',
    );
    const textArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(fc.oneof(pieces, fc.string({ maxLength: 20 })), { maxLength: 30 }).map((p) => p.join('')),
    );
    const parsers: Parser[] = [parseYamlCard, parseMarkdownCard, parsePlainTextCard, parseCard];
    fc.assert(
      fc.property(
        textArb,
        fc.constantFrom(...parsers),
        fc.constantFrom('n.yaml', 'n.md', 'n.txt', undefined),
        (text, parse, filename) => void check(parse, utf8(text), { filename }),
      ),
      {
        numRuns: 1000,
      },
    );
  });

  test('mutations of a YAML card', () => {
    const yaml = utf8('name: Aqua\ncontext: |\n  goddess\ngreeting: hi\nexample_dialogue: "x"\nanchors: &a [1, 2]\nrefs: [*a, *a]\n');
    fc.assert(
      fc.property(mutated(yaml), (bytes) => void check(parseYamlCard, bytes, { filename: 'y.yaml' })),
      { numRuns: 1000 },
    );
  });
});

describe('compressed payload bombs stay bounded', () => {
  test('iTXt and zTXt bombs inside otherwise valid PNGs', () => {
    const bomb = new Uint8Array(zlib.deflateSync(new Uint8Array(20 * 1024 * 1024)));
    for (const type of ['zTXt', 'iTXt'] as const) {
      const head = type === 'zTXt' ? Uint8Array.of(0, 0) : Uint8Array.of(0, 1, 0, 0, 0);
      const chunk = encodePngChunk(type, concatBytes([utf8('ccv3'), head, bomb]));
      const result = check(parseCard, buildPng([chunk]), { filename: 'b.png' });
      expect(result.ok ? null : result.error.code).toBe('metadata_too_large');
    }
  });
});
