import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exportCard, parseCard } from '../shared/cards/index.ts';
import { machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * End-to-end card import over HTTP (multipart upload -> parse -> blobs -> name reservation -> events ->
 * projection -> response) against the embedded default, sequential requests, p50 target < 50 ms.
 * Baseline in the same run: the pure parse of the same file, and GET of the imported character.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const file = new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));
const service = await startService();
// Distinct names (as a real library of cards has): the same card re-exported under ITERATIONS + 10 names.
const parsed = parseCard(file, { filename: 'Seraphina.png' });
if (!parsed.ok) throw new Error('fixture did not parse');
const variants = Array.from(
  { length: ITERATIONS + 10 },
  (_, i) => exportCard({ ...parsed.card, data: { ...parsed.card.data, name: `Seraphina ${i}` } }, 'png', { avatar: parsed.avatar }).bytes,
);
let next = 0;

const parse: number[] = [];
for (let i = 0; i < ITERATIONS; i++) {
  const t = performance.now();
  parseCard(file, { filename: 'Seraphina.png' });
  parse.push(performance.now() - t);
}

const upload = async () => {
  const form = new FormData();
  form.append('file', new Blob([variants[next++]! as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'Seraphina.png');
  const res = await fetch(`${service.url}/api/v1/characters/import`, { method: 'POST', headers: { 'X-API-KEY': service.key }, body: form });
  const body = (await res.json()) as { id: string };
  if (res.status !== 201) throw new Error(`import answered ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
};
for (let i = 0; i < 10; i++) await upload(); // warm-up

const imports: number[] = [];
const reads: number[] = [];
for (let i = 0; i < ITERATIONS; i++) {
  let t = performance.now();
  const id = await upload();
  imports.push(performance.now() - t);
  t = performance.now();
  await (await fetch(`${service.url}/api/v1/characters/${id}`, { headers: { 'X-API-KEY': service.key } })).arrayBuffer();
  reads.push(performance.now() - t);
}
await service.stop();

const result = {
  machine: machine(),
  file: { name: 'Seraphina.png', bytes: file.byteLength },
  parseMs: summarize(parse),
  importMs: summarize(imports),
  getMs: summarize(reads),
  targets: { importP50Ms: 50, met: summarize(imports).p50 < 50 },
};
table([
  { measure: 'parseCard (baseline, in process)', ...result.parseMs },
  { measure: 'POST /api/v1/characters/import', ...result.importMs },
  { measure: 'GET /api/v1/characters/{id}', ...result.getMs },
]);
writeResult('http-import', result);
