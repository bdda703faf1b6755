/**
 * No single request stalls other users: against `npm start`'s embedded default, one client sends the worst input
 * we could construct to each CPU-heavy route, one request after another (HOSTILE_CONCURRENCY, default 1) for
 * PHASE_SECONDS (default 5; a phase lasts until its last request has answered), while another client sends
 * `GET /health` and a small GET (`GET /api/v1/characters/{id}`) one after the other, 20 ms apart. The table gives
 * the other client's latencies per phase, and what the hostile requests answered and how long they took.
 *
 * The hostile inputs:
 * - process-context, the issue's: a lorebook of 1,000 regex keys with no literal to look for first (each one runs
 *   over the whole text) and 900 KB of text;
 * - process-context under the cap: the same book, 30 KB of text (regex keys × text just below WORLD_INFO_MAX_SCAN_WORK);
 * - dictionary `/process`: 156 KB of text, 78,000 growing replacements, a token budget (the issue's);
 * - dictionary `/process`, budget recounts: 2.6 KB, two entries undoing each other for 20 passes, a token budget
 *   (every replacement of a text under 4 KB recounts it whole);
 * - prepare: a 156 KB user turn and a 2M-token context (nothing is cut early), the character with the regex lorebook
 *   and a dictionary with `default_token_budget` (78,000 growing replacements, then the lorebook scans the result);
 * - card import: an 8.2 MB JSON card with 4.1 million values (refused as too complex, after parsing).
 *
 * Before/after: run it from a checkout of the code to measure (it starts that checkout's `services/all-in-one/main.ts`):
 *   ./node_modules/.bin/node bench/hostile-load.bench.ts
 *   (cd ../checkout-of-main && ./node_modules/.bin/node /path/to/this/bench/hostile-load.bench.ts)
 */
import { machine, startService, summarize, table, writeResult } from './bench-kit.ts';

const PHASE_MS = Number(process.env.PHASE_SECONDS ?? 5) * 1000;
const CONCURRENCY = Number(process.env.HOSTILE_CONCURRENCY ?? 1);
const REQUEST_TIMEOUT_MS = 120_000;

const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor'.split(' ');
const prose = (chars: number) => {
  let text = '';
  for (let i = 0; text.length < chars; i++) text += `${WORDS[i % WORDS.length]} `;
  return text;
};
const regexBook = {
  entries: Object.fromEntries(
    Array.from({ length: 1000 }, (_, uid) => [
      uid,
      {
        uid,
        key: [`/[a-z]{${1 + (uid % 20)},${21 + Math.floor(uid / 20)}}\\d[a-z]/`],
        keysecondary: [],
        content: `entry ${uid}`,
        order: 100,
        position: 0,
        disable: false,
      },
    ]),
  ),
};
const heavyCard = new TextEncoder().encode(
  `{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"Heavy","description":"","personality":"","scenario":"","first_mes":"","mes_example":"","creator_notes":"","system_prompt":"","post_history_instructions":"","alternate_greetings":[],"tags":[],"creator":"","character_version":"","extensions":{"x":[${Array(4_100_000).fill('0').join(',')}]}}}`,
);

const service = await startService({ LOG_LEVEL: 'error' });
process.on('uncaughtException', (err) => {
  console.error(err);
  void service.stop().finally(() => process.exit(1));
});
const headers = { 'X-API-KEY': service.key, 'content-type': 'application/json' };
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
};
const created = async (path: string, body: unknown) => {
  const r = await post(path, body);
  if (r.status !== 201 && r.status !== 200) throw new Error(`${path} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
};

// ---- setup -------------------------------------------------------------------------------------------------------
const bystander = (await created('/api/v1/characters', { name: 'Bystander' })).id as string;
const book = (await created('/api/v1/characters/world-books/import?name=Regexes', regexBook)).id as string;
const grow = (await created('/api/v1/chat/dictionaries', { name: 'Grow', entries: [{ pattern: 'a', replacement: 'bb' }] })).id as string;
const pingPong = (
  await created('/api/v1/chat/dictionaries', {
    name: 'Ping-pong',
    entries: [
      { pattern: 'a', replacement: 'bb' },
      { pattern: 'bb', replacement: 'a' },
    ],
  })
).id as string;
const budgeted = (
  await created('/api/v1/chat/dictionaries', {
    name: 'Budgeted',
    default_token_budget: 10_000_000,
    entries: [{ pattern: 'a', replacement: 'bb' }],
  })
).id as string;
const hostileCharacter = (await created('/api/v1/characters', { name: 'Hostile' })).id as string;
await created(`/api/v1/characters/${hostileCharacter}/world-books`, { world_book_id: book });
await created(`/api/v1/characters/${hostileCharacter}/chat-dictionaries`, { dictionary_id: budgeted, apply_to: 'input' });
const chat = (await created('/api/v1/character_chats', { character_id: hostileCharacter })).id as string;

const importCard = async () => {
  const form = new FormData();
  form.append('file', new Blob([heavyCard], { type: 'application/json' }), 'heavy.json');
  const res = await fetch(`${service.url}/api/v1/characters/import`, {
    method: 'POST',
    headers: { 'X-API-KEY': service.key },
    body: form,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
};

const phases: Array<{ name: string; send: (() => Promise<{ status: number; body: any }>) | null }> = [
  { name: 'quiet (no hostile requests)', send: null },
  {
    name: 'process-context: 1,000 regex keys × 900 KB',
    send: () =>
      post('/api/v1/characters/world-books/process-context', { text: prose(900_000), world_book_ids: [book], include_global: false }),
  },
  {
    name: 'process-context: 1,000 regex keys × 30 KB (under the cap)',
    send: () =>
      post('/api/v1/characters/world-books/process-context', { text: prose(30_000), world_book_ids: [book], include_global: false }),
  },
  {
    name: 'dictionary /process: 156 KB, 78,000 growing replacements, budget',
    send: () => post('/api/v1/chat/dictionaries/process', { text: 'a '.repeat(78_000), dictionary_ids: [grow], token_budget: 10_000_000 }),
  },
  {
    name: 'dictionary /process: 2.6 KB, 20 passes of budget recounts',
    send: () =>
      post('/api/v1/chat/dictionaries/process', {
        text: 'a '.repeat(1300),
        dictionary_ids: [pingPong],
        token_budget: 10_000_000,
        max_iterations: 20,
      }),
  },
  {
    name: 'prepare: 156 KB turn, regex lorebook, budgeted dictionary',
    send: () => post(`/api/v1/character_chats/${chat}/prepare`, { message: 'a '.repeat(78_000), context_size: 2_000_000 }),
  },
  { name: 'card import: 8.2 MB JSON, 4.1 M values', send: importCard },
];

const rows: Record<string, unknown>[] = [];
const raw: Record<string, unknown>[] = [];
for (const phase of phases) {
  const health: number[] = [];
  const small: number[] = [];
  const probeErrors: Array<number | string> = [];
  const hostileMs: number[] = [];
  const hostileStatuses: Record<string, number> = {};
  let running = true;
  const prober = (async () => {
    while (running) {
      for (const [path, into] of [
        ['/health', health],
        [`/api/v1/characters/${bystander}`, small],
      ] as const) {
        const t = performance.now();
        let status: number | string;
        try {
          const res = await fetch(`${service.url}${path}`, {
            headers: { 'X-API-KEY': service.key },
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          await res.arrayBuffer();
          status = res.status;
        } catch (err) {
          // A keep-alive connection the stalled server closed as the request went out (ECONNRESET), or a timeout.
          status = ((err as Error).cause as { code?: string } | undefined)?.code ?? (err as Error).name;
        }
        into.push(performance.now() - t);
        if (status !== 200) probeErrors.push(status);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  if (phase.send) {
    const send = phase.send;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() - started < PHASE_MS) {
          const t = performance.now();
          let status: string;
          try {
            const res = await send();
            status = `${res.status}${res.status >= 400 && res.body?.code ? ` ${res.body.code}` : ''}`;
          } catch (err) {
            status = (err as Error).name === 'TimeoutError' ? 'client timeout' : 'error';
          }
          hostileMs.push(performance.now() - t);
          hostileStatuses[status] = (hostileStatuses[status] ?? 0) + 1;
        }
      }),
    );
  } else {
    await new Promise((r) => setTimeout(r, PHASE_MS));
  }
  running = false;
  await prober;
  process.stderr.write(
    `${phase.name}: ${Math.round(performance.now() - started)} ms, hostile ${JSON.stringify(hostileStatuses)}, ${health.length} probes\n`,
  );
  const h = summarize(health);
  const s = summarize(small);
  const hs = summarize(hostileMs);
  rows.push({
    phase: phase.name,
    'hostile answers':
      Object.entries(hostileStatuses)
        .map(([k, v]) => `${v}× ${k}`)
        .join(', ') || '–',
    'hostile p50 ms': hostileMs.length ? Math.round(hs.p50) : '–',
    'phase s': Math.round((performance.now() - started) / 100) / 10,
    'health p50': Math.round(h.p50 * 10) / 10,
    'health p99': Math.round(h.p99 * 10) / 10,
    'health max': Math.round(h.max),
    'GET p50': Math.round(s.p50 * 10) / 10,
    'GET p99': Math.round(s.p99 * 10) / 10,
    'GET max': Math.round(s.max),
    'probe errors': probeErrors.length ? `${probeErrors.length} (${[...new Set(probeErrors)].join(', ')})` : 0,
  });
  raw.push({ phase: phase.name, health: h, small: s, hostile: { ...hs, statuses: hostileStatuses }, probeErrors });
}
await service.stop();

table(rows);
const result = { machine: machine(), phaseMs: PHASE_MS, concurrency: CONCURRENCY, phases: raw };
writeResult('hostile-load', result);
console.log(JSON.stringify(result.machine));
