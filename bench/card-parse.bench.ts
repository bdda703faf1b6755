/**
 * Card import/export speed on ~1 MB card PNGs.
 *
 *   node bench/card-parse.bench.ts            (Node 24: ./node_modules/.bin/node bench/card-parse.bench.ts)
 *
 * Scenarios (built in memory from the Seraphina fixture):
 *  - "1 MB image":  the fixture's pixels re-encoded with stored (uncompressed) deflate in 64 KiB IDAT chunks
 *                   (~0.97 MB of image data, 15 CRC-checked chunks), with its real ccv3 + chara card (11 KB JSON).
 *  - "heavy card":  the original fixture image (0.5 MB) with a card padded to ~0.15 MB of JSON (30k-character
 *                   description, 100-entry lorebook), written as ccv3 + chara chunks (base64, twice) → ~1 MB file.
 * Each is parsed with `parseCard` (format detection, every chunk CRC, base64 + UTF-8 + JSON decoding, normalisation,
 * limits, schema check, avatar without card chunks) and exported back with `exportCard(..., 'png')`.
 * Results: a table on stdout and bench/results/card-parse.json. Target: parse p50 < 5 ms.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { cardFromBasicFields, exportCard, parseCard, type CanonicalCard, type CardImage } from '../shared/cards/index.ts';
import { PNG_SIGNATURE, concatBytes, encodePngChunk, readPng } from '../shared/cards/png-chunks.ts';
import { DEFAULT_CARD_LIMITS } from '../shared/cards/limits.ts';
import { copyBytes } from '../shared/cards/bytes.ts';
import { writeResult } from './bench-kit.ts';

const FIXTURE = path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png');
const WARMUP = 100;
const ITERATIONS = 1000;

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function measure(run: () => void): { p50: number; p95: number; p99: number; mean: number; n: number } {
  for (let i = 0; i < WARMUP; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    p50: round(percentile(samples, 50)),
    p95: round(percentile(samples, 95)),
    p99: round(percentile(samples, 99)),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    n: samples.length,
  };
}

/** The fixture's image with its pixel data re-deflated at level 0 and split into 64 KiB IDAT chunks. */
function bigImage(fixture: Uint8Array): Uint8Array {
  const info = readPng(fixture, DEFAULT_CARD_LIMITS);
  const idat = concatBytes(info.chunks.filter((c) => c.type === 'IDAT').map((c) => fixture.subarray(c.dataStart, c.dataStart + c.length)));
  const stored = zlib.deflateSync(zlib.inflateSync(idat), { level: 0 });
  const parts: Uint8Array[] = [PNG_SIGNATURE];
  const ihdr = info.chunks[0]!;
  parts.push(fixture.subarray(ihdr.start, ihdr.end));
  for (let offset = 0; offset < stored.length; offset += 65536) parts.push(encodePngChunk('IDAT', stored.subarray(offset, offset + 65536)));
  parts.push(encodePngChunk('IEND', new Uint8Array(0)));
  return concatBytes(parts);
}

function heavyCard(card: CanonicalCard): CanonicalCard {
  const heavy = cardFromBasicFields(
    { description: `${card.data.description}\n\n${'Lore of the forest glade. '.repeat(1200)}`.slice(0, 30_000) },
    card,
  );
  const entry = card.data.character_book!.entries[0]!;
  heavy.data.character_book = {
    ...card.data.character_book!,
    entries: Array.from({ length: 100 }, (_, i) => ({
      ...entry,
      id: i,
      keys: [`key${i}`, `alias${i}`],
      content: `${entry.content} (${i})`.slice(0, 800),
    })),
  };
  return heavy;
}

function main(): void {
  const fixture = new Uint8Array(readFileSync(FIXTURE));
  const imported = parseCard(fixture, { filename: 'Seraphina.png' });
  if (!imported.ok) throw new Error(imported.error.detail);

  const scenarios: Array<{ name: string; avatar: CardImage; card: CanonicalCard }> = [
    { name: '1 MB image, Seraphina card', avatar: { bytes: bigImage(fixture), mime: 'image/png' }, card: imported.card },
    { name: '0.5 MB image, 0.15 MB card', avatar: imported.avatar!, card: heavyCard(imported.card) },
  ];

  const rows: Array<Record<string, string | number>> = [];
  const results: Record<string, unknown>[] = [];
  for (const scenario of scenarios) {
    const png = exportCard(scenario.card, 'png', { avatar: scenario.avatar }).bytes;
    const check = parseCard(png, { filename: 'bench.png' });
    if (!check.ok) throw new Error(`${scenario.name}: ${check.error.detail}`);
    const cardJsonBytes = Buffer.byteLength(JSON.stringify(check.card));
    const parse = measure(() => {
      const r = parseCard(png, { filename: 'bench.png', contentType: 'image/png' });
      if (!r.ok) throw new Error(r.error.detail);
    });
    const exportPng = measure(() => {
      exportCard(check.card, 'png', { avatar: check.avatar });
    });
    // Breakdown: the container walk alone, and the avatar copy (the PNG without its card chunks) alone.
    const chunkWalk = measure(() => {
      readPng(png, DEFAULT_CARD_LIMITS);
    });
    const avatarCopy = measure(() => {
      copyBytes(png, 0, check.avatar!.bytes.length);
    });
    for (const [operation, stats] of [
      ['parseCard', parse],
      ['  of which: chunk walk + CRCs', chunkWalk],
      ['  of which: avatar copy', avatarCopy],
      ['exportCard png', exportPng],
    ] as const) {
      rows.push({
        scenario: scenario.name,
        'file bytes': png.length,
        'card JSON bytes': cardJsonBytes,
        operation,
        'p50 ms': stats.p50,
        'p95 ms': stats.p95,
        'p99 ms': stats.p99,
        'mean ms': stats.mean,
      });
    }
    results.push({ scenario: scenario.name, fileBytes: png.length, cardJsonBytes, parse, chunkWalk, avatarCopy, exportPng });
  }

  console.table(rows);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  writeResult('card-parse', { warmup: WARMUP, iterations: ITERATIONS, target: 'parse p50 < 5 ms', results });
  console.log(`machine: ${machine}`);
  const worst = Math.max(...results.map((r) => (r.parse as { p50: number }).p50));
  console.log(`parse p50 (worst scenario): ${worst} ms — target < 5 ms: ${worst < 5 ? 'met' : 'NOT met'}`);
}

main();
