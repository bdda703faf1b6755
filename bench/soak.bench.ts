import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { exportCard, parseCard } from '../shared/cards/index.ts';
import { machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * Soak: SOAK_REQUESTS (default 50,000) mixed requests against `npm start`'s embedded default (a child process,
 * durable embedded PostgreSQL), SOAK_CONCURRENCY (default 8) clients, with the service's memory sampled every
 * second. Mix: card imports (real fixture cards re-exported under distinct names) 2%, message sends 25%, reads
 * (a character, a page of a conversation, the character list) 55%, searches (ranked character search, message
 * full-text search) 18%; a new chat every 500 sends (MAX_MESSAGES_PER_CHAT stays at its default).
 *
 * Verdict (the issue's target): the service process's resident memory grows less than 10% over the second half
 * (median RSS of the last fifth of the run against the median from 40% to 60%), and no request fails
 * apart from intended refusals (there are none in this mix: every answer must be a 2xx). PostgreSQL's memory
 * (the sum of its processes' private memory; shared buffers are not counted) is reported beside it.
 * `npm run bench -- soak` (opt-in: it takes minutes).
 */
const TOTAL = Number(process.env.SOAK_REQUESTS ?? 50_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 8);
const SENDS_PER_CHAT = 500;

const fixtures = path.resolve(process.cwd(), 'test/fixtures/cards');
const sources = ['CodingSensei.png', 'Seraphina.png', 'FluxTheCat.png'].map((file) => {
  const parsed = parseCard(new Uint8Array(readFileSync(path.join(fixtures, file))), { filename: file });
  if (!parsed.ok) throw new Error(`fixture ${file} did not parse`);
  return parsed;
});
const words = ['forest', 'lantern', 'river', 'dragon', 'harbor', 'winter', 'garden', 'storm', 'castle', 'meadow'];

function statusKiB(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The postmaster of the service's embedded PostgreSQL and its children (backends, checkpointer, ...). */
function postgresPids(dataDir: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(path.join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return [];
  }
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

interface Sample {
  at: number;
  done: number;
  serviceRssMiB: number;
  serviceHeapishMiB: number;
  postgresPrivateMiB: number;
  postgresProcesses: number;
}

const service = await startService({ LOG_LEVEL: 'warn' });
const headers = { 'x-api-key': service.key };
const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

const samples: Sample[] = [];
let done = 0;
const started = performance.now();
const sample = () => {
  const pg = postgresPids(service.dataDir);
  samples.push({
    at: Math.round((performance.now() - started) / 100) / 10,
    done,
    serviceRssMiB: mib(statusKiB(service.pid, 'VmRSS')),
    serviceHeapishMiB: mib(statusKiB(service.pid, 'RssAnon')),
    postgresPrivateMiB: mib(pg.reduce((sum, pid) => sum + statusKiB(pid, 'RssAnon'), 0)),
    postgresProcesses: pg.length,
  });
};
const sampler = setInterval(sample, 1000);

async function api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${service.url}${urlPath}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

// Seed: one character and its first chat (not counted).
const host = await api('POST', '/api/v1/characters', {
  name: 'Soak host',
  first_message: 'Welcome to the soak.',
  description: 'the forest keeper',
});
if (host.status !== 201) throw new Error(`seed answered ${host.status}`);
const characterIds: string[] = [host.json.id];
const chats: string[] = [];
let sends = 0;
let imports = 0;

const kinds = ['import', 'send', 'read_character', 'read_messages', 'list_characters', 'search_characters', 'search_messages'] as const;
type Kind = (typeof kinds)[number] | 'create_chat';
const latency = new Map<Kind, number[]>();
const failures = new Map<string, number>();
const refusals = new Map<string, number>();

function pick(i: number): Kind {
  const r = (i * 7919) % 100; // deterministic spread over the run
  if (r < 2) return 'import';
  if (r < 27) return 'send';
  if (r < 52) return 'read_character';
  if (r < 70) return 'read_messages';
  if (r < 82) return 'list_characters';
  if (r < 91) return 'search_characters';
  return 'search_messages';
}

async function currentChat(): Promise<{ chatId: string; created: boolean }> {
  const index = Math.floor(sends / SENDS_PER_CHAT);
  if (chats[index]) return { chatId: chats[index]!, created: false };
  const res = await api('POST', '/api/v1/character_chats', { character_id: host.json.id });
  record('create_chat', 0, res.status);
  chats[index] ??= res.json.id;
  return { chatId: chats[index]!, created: true };
}

function record(kind: Kind, ms: number, status: number) {
  if (status >= 200 && status < 300) {
    if (ms > 0) {
      const list = latency.get(kind) ?? [];
      list.push(ms);
      latency.set(kind, list);
    }
  } else failures.set(`${kind} ${status}`, (failures.get(`${kind} ${status}`) ?? 0) + 1);
}

async function one(i: number): Promise<void> {
  const kind = pick(i);
  const t = performance.now();
  let status: number;
  const word = words[i % words.length]!;
  if (kind === 'import') {
    const source = sources[imports % sources.length]!;
    const name = `Soak ${imports++} ${source.card.data.name}`;
    const bytes = exportCard(
      { ...source.card, data: { ...source.card.data, name, description: `${source.card.data.description} ${word}` } },
      'png',
      source.avatar ? { avatar: source.avatar } : {},
    ).bytes;
    const form = new FormData();
    form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'card.png');
    const res = await fetch(`${service.url}/api/v1/characters/import`, { method: 'POST', headers, body: form });
    const json = (await res.json()) as { id: string };
    status = res.status;
    if (status === 201) characterIds.push(json.id);
  } else if (kind === 'send') {
    const { chatId } = await currentChat();
    sends++;
    status = (
      await api('POST', `/api/v1/character_messages/chats/${chatId}/messages`, {
        sender: i % 2 ? 'user' : 'assistant',
        content: `message ${i}: the ${word} is quiet tonight, and the lanterns sway in the wind.`,
      })
    ).status;
  } else if (kind === 'read_character') {
    status = (await api('GET', `/api/v1/characters/${characterIds[i % characterIds.length]}`)).status;
  } else if (kind === 'read_messages') {
    const chatId = chats[chats.length - 1] ?? (await currentChat()).chatId;
    status = (await api('GET', `/api/v1/character_messages/chats/${chatId}/messages?limit=50&order=desc`)).status;
  } else if (kind === 'list_characters') {
    status = (await api('GET', `/api/v1/characters?limit=20&offset=${(i * 13) % 200}`)).status;
  } else if (kind === 'search_characters') {
    status = (await api('GET', `/api/v1/characters?q=${word}&limit=10`)).status;
  } else {
    const chatId = chats[i % Math.max(1, chats.length)] ?? (await currentChat()).chatId;
    status = (await api('GET', `/api/v1/character_messages/chats/${chatId}/messages/search?q=${word}`)).status;
  }
  record(kind, performance.now() - t, status);
}

let next = 0;
const progress: Record<string, unknown>[] = [];
const step = Math.max(1, Math.floor(TOTAL / 10));
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < TOTAL) {
      const i = next++;
      try {
        await one(i);
      } catch (err) {
        failures.set(`${pick(i)} ${(err as Error).message}`, (failures.get(`${pick(i)} ${(err as Error).message}`) ?? 0) + 1);
      }
      done++;
      if (done % step === 0) {
        sample();
        const last = samples[samples.length - 1]!;
        const seconds = (performance.now() - started) / 1000;
        const row = {
          requests: done,
          seconds: Math.round(seconds),
          'req/s': Math.round(done / seconds),
          'service RSS MiB': last.serviceRssMiB,
          'service anon MiB': last.serviceHeapishMiB,
          'PostgreSQL private MiB': last.postgresPrivateMiB,
          errors: [...failures.values()].reduce((a, b) => a + b, 0),
        };
        progress.push(row);
        console.log(JSON.stringify(row));
      }
    }
  }),
);
clearInterval(sampler);
sample();
const seconds = (performance.now() - started) / 1000;
await service.stop();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const window = (from: number, to: number) => samples.filter((s) => s.done >= TOTAL * from && s.done <= TOTAL * to);
// Wide windows: V8's heap grows and shrinks in a saw-tooth of several tens of MiB, and a narrow window lands on
// one phase of it.
const atHalf = median(window(0.4, 0.6).map((s) => s.serviceRssMiB));
const atEnd = median(window(0.8, 1).map((s) => s.serviceRssMiB));
const peak = (from: number, to: number) => Math.max(...window(from, to).map((s) => s.serviceRssMiB));
const growthPercent = Math.round(((atEnd - atHalf) / atHalf) * 1000) / 10;
const pgAtHalf = median(window(0.4, 0.6).map((s) => s.postgresPrivateMiB));
const pgAtEnd = median(window(0.8, 1).map((s) => s.postgresPrivateMiB));
const errors = [...failures.values()].reduce((a, b) => a + b, 0);
const memoryOk = growthPercent < 10;
const errorsOk = errors === 0;

table(progress);
table([...latency.entries()].map(([kind, ms]) => ({ kind, ...summarize(ms) })));
table([
  { measure: 'service RSS from 40% to 60% of the run (MiB, median)', value: atHalf },
  { measure: 'service RSS over the last fifth (MiB, median)', value: atEnd },
  { measure: 'service RSS peak, first half / second half (MiB)', value: `${peak(0, 0.5)} / ${peak(0.5, 1)}` },
  { measure: 'growth over the second half', value: `${growthPercent}% (target < 10%: ${memoryOk ? 'met' : 'NOT met'})` },
  { measure: 'PostgreSQL private memory, half-way / end (MiB)', value: `${pgAtHalf} / ${pgAtEnd}` },
  { measure: 'requests, seconds, req/s', value: `${done}, ${Math.round(seconds)}, ${Math.round(done / seconds)}` },
  {
    measure: 'errors (non-2xx or failed requests)',
    value: `${errors}${errors ? ` ${JSON.stringify(Object.fromEntries(failures))}` : ''} (target 0: ${errorsOk ? 'met' : 'NOT met'})`,
  },
  { measure: 'intended refusals', value: JSON.stringify(Object.fromEntries(refusals)) },
  { measure: 'imports, sends, chats', value: `${imports}, ${sends}, ${chats.length}` },
]);
console.log(`soak verdict: ${memoryOk && errorsOk ? 'PASS' : 'FAIL'}`);
writeResult('soak', {
  machine: machine(),
  requests: done,
  concurrency: CONCURRENCY,
  seconds,
  growthPercent,
  rssAtHalfMiB: atHalf,
  rssAtEndMiB: atEnd,
  rssPeakMiB: { firstHalf: peak(0, 0.5), secondHalf: peak(0.5, 1) },
  postgresPrivateMiB: { half: pgAtHalf, end: pgAtEnd },
  errors: Object.fromEntries(failures),
  latency: Object.fromEntries([...latency.entries()].map(([k, v]) => [k, summarize(v)])),
  progress,
  samples,
  verdict: memoryOk && errorsOk ? 'pass' : 'fail',
});
if (!(memoryOk && errorsOk)) process.exitCode = 1;
