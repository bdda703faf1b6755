/**
 * The lorebook engine over HTTP: `POST /api/v1/characters/world-books/process-context` against the embedded default,
 * with a 10,000-entry book (3 keys each, imported through `POST .../world-books/import`) and a 50-message,
 * ~25,000-character chat sent as `messages`, scan depth 50, recursion on, `diagnostics: "relevant"`.
 * Sequential requests after a warm-up (the first call builds the book's index, cached per book version).
 * Baseline in the same run: the same `runWorldInfo` call in this process (index cached), so the difference is the
 * HTTP, auth, validation, read-model and JSON cost.
 *
 *   ./node_modules/.bin/node bench/http-process-context.bench.ts      (BENCH_ITERATIONS, default 200)
 */
import { createSeededRandom, importLorebook, runWorldInfo, WorldInfoIndexCache, type ChatMessageInput } from '../shared/worldinfo/index.ts';
import { machine, startService, summarize, table, writeResult } from './bench-kit.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const ENTRIES = 10_000;
const rnd = createSeededRandom(7);
const SYLLABLES = [
  'ka',
  'el',
  'thas',
  'mor',
  'wen',
  'dra',
  'ri',
  'on',
  'sil',
  'va',
  'lin',
  'or',
  'eth',
  'ba',
  'rak',
  'zu',
  'mi',
  'an',
  'gor',
  'ly',
];
const FILLER =
  'the a of and to in is was that it for on with as his her they at be this from have or by one had not but what all were when'.split(' ');
const word = () => Array.from({ length: 3 + Math.floor(rnd() * 2) }, () => SYLLABLES[Math.floor(rnd() * SYLLABLES.length)]).join('');
const filler = (n: number) => Array.from({ length: n }, () => FILLER[Math.floor(rnd() * FILLER.length)]).join(' ');

const keys = Array.from({ length: ENTRIES }, () => [word(), word(), `${word()} ${word()}`]);
const file = {
  entries: Object.fromEntries(
    keys.map((k, uid) => [
      uid,
      {
        uid,
        key: k,
        keysecondary: [],
        content: `${filler(30)} ${keys[(uid * 7) % ENTRIES]![0]} ${filler(20)}`,
        order: 100,
        position: 0,
        disable: false,
      },
    ]),
  ),
};
const messages: ChatMessageInput[] = Array.from({ length: 50 }, (_, i) => {
  const mentions = Array.from({ length: 4 }, () => keys[Math.floor(rnd() * ENTRIES)]![0]).join(' ');
  return { role: i % 2 ? 'assistant' : 'user', name: i % 2 ? 'Narrator' : 'User', content: `${filler(105)} ${mentions} ${filler(10)}` };
});
const settings = { scan_depth: 50, recursive: true, context_size: 8192, budget_percent: 25 };

const service = await startService();
const headers = { 'X-API-KEY': service.key, 'content-type': 'application/json' };
const imported = await fetch(`${service.url}/api/v1/characters/world-books/import?name=Bench`, {
  method: 'POST',
  headers,
  body: JSON.stringify(file),
});
const book = (await imported.json()) as { id: string; entry_count: number };
if (imported.status !== 201) throw new Error(`import answered ${imported.status}`);

const body = JSON.stringify({ messages, world_book_ids: [book.id], include_global: false, settings, diagnostics: 'relevant' });
const call = async () => {
  const res = await fetch(`${service.url}/api/v1/characters/world-books/process-context`, { method: 'POST', headers, body });
  const out = (await res.json()) as { activated: unknown[] };
  if (res.status !== 200) throw new Error(`process-context answered ${res.status}`);
  return out;
};
let t = performance.now();
const first = await call();
const firstMs = performance.now() - t;
for (let i = 0; i < 10; i++) await call();
const http: number[] = [];
for (let i = 0; i < ITERATIONS; i++) {
  t = performance.now();
  await call();
  http.push(performance.now() - t);
}
await service.stop();

const local = importLorebook(file, { name: 'Bench' });
const cache = new WorldInfoIndexCache();
const input = {
  books: [{ id: book.id, name: 'Bench', entries: local.entries, source: 'global' as const, version: 1 }],
  messages,
  characterName: 'Narrator',
  settings: { scanDepth: 50, recursive: true, contextSize: 8192, budgetPercent: 25 },
  dryRun: true,
  indexCache: cache,
};
for (let i = 0; i < 10; i++) runWorldInfo(input);
const engine: number[] = [];
for (let i = 0; i < ITERATIONS; i++) {
  t = performance.now();
  runWorldInfo(input);
  engine.push(performance.now() - t);
}

const result = {
  machine: machine(),
  entries: book.entry_count,
  chatCharacters: messages.reduce((n, m) => n + m.content.length, 0),
  activated: first.activated.length,
  firstCallMs: Math.round(firstMs * 10) / 10,
  httpMs: summarize(http),
  engineMs: summarize(engine),
};
table([
  { measure: 'runWorldInfo in process (baseline, index cached)', ...result.engineMs },
  { measure: 'POST .../process-context (index cached)', ...result.httpMs },
  { measure: 'first call (builds the index)', p50: result.firstCallMs },
]);
console.log(`${result.entries} entries, ${result.chatCharacters} characters of chat, ${result.activated} entries activated`);
writeResult('http-process-context', result);
