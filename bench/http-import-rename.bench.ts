import { cardFromBasicFields, exportCard } from '../shared/cards/index.ts';
import { machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * on_conflict=rename as copies pile up: the same JSON card imported COPIES times over HTTP against `npm start`'s
 * embedded default, sequential requests; the time of the copies around the 1st, 200th and 1,000th. Baseline in
 * the same run: importing the same card under a name nobody has (every tenth request). Constant time means the
 * three windows and the baseline are alike.
 */
const COPIES = Number(process.env.BENCH_COPIES ?? 1000);
const WINDOW = 10;
const service = await startService({ RATE_LIMITS_ENABLED: 'false' });
const card = (name: string) =>
  exportCard(cardFromBasicFields({ name, description: 'A copy of a copy.', first_message: 'Hello.' }), 'json')
    .bytes as Uint8Array<ArrayBuffer>;

const upload = async (name: string) => {
  const form = new FormData();
  form.append('file', new Blob([card(name)], { type: 'application/json' }), 'card.json');
  const t = performance.now();
  const res = await fetch(`${service.url}/api/v1/characters/import?on_conflict=rename`, {
    method: 'POST',
    headers: { 'X-API-KEY': service.key },
    body: form,
  });
  const body = (await res.json()) as { name: string };
  if (res.status !== 201) throw new Error(`import answered ${res.status}: ${JSON.stringify(body)}`);
  return { ms: performance.now() - t, name: body.name };
};

for (let i = 0; i < 10; i++) await upload(`Warm-up ${i}`);

const copies: number[] = [];
const distinct: number[] = [];
for (let i = 0; i < COPIES; i++) {
  const copy = await upload('Echo');
  copies.push(copy.ms);
  if (i + 1 === COPIES && copy.name !== `Echo (${COPIES})`) throw new Error(`the last copy is "${copy.name}"`);
  if (i % 10 === 0) distinct.push((await upload(`Unique ${i}`)).ms);
}
await service.stop();

// copies[0] is the original; copies[k] is the k-th renamed copy, `Echo (k + 1)`.
const around = (nth: number) => {
  const start = Math.max(1, Math.min(nth - WINDOW / 2, COPIES - WINDOW));
  return summarize(copies.slice(start, start + WINDOW));
};
const result = {
  machine: machine(),
  copies: COPIES,
  distinctNameMs: summarize(distinct),
  firstCopiesMs: around(1),
  copy200Ms: around(Math.min(200, COPIES)),
  copy1000Ms: around(Math.min(1000, COPIES)),
};
table([
  { measure: 'import under a free name (baseline)', ...result.distinctNameMs },
  { measure: `rename, copies 2-${WINDOW + 1}`, ...result.firstCopiesMs },
  { measure: `rename, around the ${Math.min(200, COPIES)}th copy`, ...result.copy200Ms },
  ...(COPIES >= 1000 ? [{ measure: 'rename, around the 1000th copy', ...result.copy1000Ms }] : []),
]);
writeResult('http-import-rename', result);
