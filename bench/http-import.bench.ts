import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exportCard, parseCard } from '../shared/cards/index.ts';
import { machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * End-to-end card import over HTTP (multipart upload -> parse -> blobs -> name reservation, character and, inline,
 * its read-model row in one append -> response) against the embedded default, sequential requests (issue 16: p50
 * at most 20 ms). Two copies of the service, requests alternating between them: the characters projection written
 * by the append's own statement (`INLINE_PROJECTIONS=true`, the default) and the earlier path as the same-run
 * baseline (`INLINE_PROJECTIONS=false`: wait for the projector, read the row). Also in the same run: the pure parse
 * of the same file, and GET of the imported character.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const file = new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));
const MODES = [
  { mode: 'inline', env: { INLINE_PROJECTIONS: 'true' } },
  { mode: 'projector wait', env: { INLINE_PROJECTIONS: 'false' } },
] as const;
const services = [];
for (const { mode, env } of MODES) services.push({ mode, ...(await startService(env)) });
// Distinct names (as a real library of cards has): the same card re-exported under ITERATIONS + 10 names.
const parsed = parseCard(file, { filename: 'Seraphina.png' });
if (!parsed.ok) throw new Error('fixture did not parse');
const variants = Array.from(
  { length: ITERATIONS + 10 },
  (_, i) => exportCard({ ...parsed.card, data: { ...parsed.card.data, name: `Seraphina ${i}` } }, 'png', { avatar: parsed.avatar }).bytes,
);

const parse: number[] = [];
for (let i = 0; i < ITERATIONS; i++) {
  const t = performance.now();
  parseCard(file, { filename: 'Seraphina.png' });
  parse.push(performance.now() - t);
}

const upload = async (service: { url: string; key: string }, n: number) => {
  const form = new FormData();
  form.append('file', new Blob([variants[n]! as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'Seraphina.png');
  const res = await fetch(`${service.url}/api/v1/characters/import`, { method: 'POST', headers: { 'X-API-KEY': service.key }, body: form });
  const body = (await res.json()) as { id: string };
  if (res.status !== 201) throw new Error(`import answered ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
};
for (const s of services) for (let i = 0; i < 10; i++) await upload(s, ITERATIONS + i); // warm-up

const imports = services.map((): number[] => []);
const reads = services.map((): number[] => []);
for (let i = 0; i < ITERATIONS; i++) {
  for (const [k, s] of services.entries()) {
    let t = performance.now();
    const id = await upload(s, i);
    imports[k]!.push(performance.now() - t);
    t = performance.now();
    await (await fetch(`${s.url}/api/v1/characters/${id}`, { headers: { 'X-API-KEY': s.key } })).arrayBuffer();
    reads[k]!.push(performance.now() - t);
  }
}
for (const s of services) await s.stop();

const result = {
  machine: machine(),
  file: { name: 'Seraphina.png', bytes: file.byteLength },
  parseMs: summarize(parse),
  importMs: Object.fromEntries(services.map((s, k) => [s.mode, summarize(imports[k]!)])),
  getMs: Object.fromEntries(services.map((s, k) => [s.mode, summarize(reads[k]!)])),
  targets: { importP50Ms: 20, met: summarize(imports[0]!).p50 <= 20 },
};
table([
  { measure: 'parseCard (baseline, in process)', ...result.parseMs },
  ...services.flatMap((s, k) => [
    { measure: `POST /api/v1/characters/import, ${s.mode}`, ...summarize(imports[k]!) },
    { measure: `GET /api/v1/characters/{id}, ${s.mode}`, ...summarize(reads[k]!) },
  ]),
]);
console.log(
  `target (import p50 <= 20 ms, inline) ${result.targets.met ? 'met' : 'NOT met'}; load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
writeResult('http-import', result);
