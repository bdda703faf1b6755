import { readFileSync } from 'node:fs';
import path from 'node:path';
import { machine, startService, summarize, table, writeResult } from './bench-kit.ts';
import { startFakeOpenAIServer } from '../test/fake-llm/index.ts';

/**
 * Completions through the whole path (HTTP -> BullMQ job on PostgreSQL -> worker -> provider -> in-process relay
 * -> SSE) against `npm start`'s embedded default, with a local fake OpenAI-compatible upstream:
 * 1. time to first token through our API vs straight to the fake upstream, same run, interleaved; the API both
 *    with the embedded fast path (the default: the job starts on this process while it is queued) and with it
 *    off (COMPLETIONS_LOCAL_START=false: the worker waits for the queue to hand the job over);
 * 2. 200 concurrent streams of 200 numbered tokens each: every token arrives, in order;
 * 3. the OpenAI surface (`/v1/chat/completions`, OpenAI's stream grammar): the TTFT it adds over the upstream
 *    directly, and chunks per second through one long stream against the upstream's own rate, same run.
 */
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 200);
const TOKENS = 200;
const STREAM_CHUNKS = Number(process.env.BENCH_STREAM_CHUNKS ?? 20_000);

const upstream = await startFakeOpenAIServer();
upstream.setDefaultReply({ text: 'Hello there, traveler. The forest is quiet tonight.' });
const service = await startService({
  LLM_PROVIDER: 'openai-compatible',
  LLM_BASE_URL: upstream.url,
  LLM_MODEL: 'bench-model',
  WORKER_CONCURRENCY: String(Math.max(CONCURRENT + 16, 64)),
});
const handoff = await startService({
  LLM_PROVIDER: 'openai-compatible',
  LLM_BASE_URL: upstream.url,
  LLM_MODEL: 'bench-model',
  COMPLETIONS_LOCAL_START: 'false',
});
const headers = { 'content-type': 'application/json', 'x-api-key': service.key };

/** Milliseconds from sending the request to the first content delta; then reads the stream to the end. */
async function timeToFirstToken(
  url: string,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<{ ttft: number; text: string }> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { ...headers, ...extraHeaders }, body: JSON.stringify(body) });
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let ttft = NaN;
  let text = '';
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('');
      if (data === '' || data === '[DONE]') continue;
      const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> };
      const content = chunk.choices?.map((c) => c.delta?.content ?? '').join('') ?? '';
      if (content !== '' && Number.isNaN(ttft)) ttft = performance.now() - started;
      text += content;
    }
  }
  return { ttft, text };
}

const direct = () =>
  timeToFirstToken(`${upstream.url}/chat/completions`, { model: 'bench-model', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
const proxied = () =>
  timeToFirstToken(`${service.url}/api/v1/chat/completions`, { stream: true, messages: [{ role: 'user', content: 'Hi' }] });
const openAI = () =>
  timeToFirstToken(`${service.url}/v1/chat/completions`, { model: '', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
const handedOff = () =>
  timeToFirstToken(
    `${handoff.url}/api/v1/chat/completions`,
    { stream: true, messages: [{ role: 'user', content: 'Hi' }] },
    { 'x-api-key': handoff.key },
  );

// A character chat (Seraphina with her Eldoria lorebook) for the character path.
const form = new FormData();
form.append(
  'file',
  new Blob([readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png'))], { type: 'image/png' }),
  'Seraphina.png',
);
const imported = (await (
  await fetch(`${service.url}/api/v1/characters/import`, { method: 'POST', headers: { 'x-api-key': service.key }, body: form })
).json()) as { id: string };
const chat = (await (
  await fetch(`${service.url}/api/v1/character_chats`, { method: 'POST', headers, body: JSON.stringify({ character_id: imported.id }) })
).json()) as { id: string };
const character = () =>
  timeToFirstToken(`${service.url}/api/v1/chat/completions`, {
    stream: true,
    character_id: imported.id,
    conversation_id: chat.id,
    save_to_db: false,
    messages: [{ role: 'user', content: 'Tell me about the shadowfang near the glade.' }],
  });

for (let i = 0; i < 30; i++) {
  await direct();
  await openAI();
  await proxied();
  await handedOff();
  await character();
}
const samples = { direct: [] as number[], openai: [] as number[], api: [] as number[], handoff: [] as number[], character: [] as number[] };
for (let i = 0; i < SAMPLES; i++) {
  samples.direct.push((await direct()).ttft);
  samples.openai.push((await openAI()).ttft);
  samples.api.push((await proxied()).ttft);
  samples.handoff.push((await handedOff()).ttft);
  samples.character.push((await character()).ttft);
}
const ttft = {
  direct: summarize(samples.direct),
  openai: summarize(samples.openai),
  api: summarize(samples.api),
  handoff: summarize(samples.handoff),
  character: summarize(samples.character),
};
const addedHandoffP50 = Math.round((ttft.handoff.p50 - ttft.direct.p50) * 1000) / 1000;
const addedP50 = Math.round((ttft.api.p50 - ttft.direct.p50) * 1000) / 1000;
const addedOpenAIP50 = Math.round((ttft.openai.p50 - ttft.direct.p50) * 1000) / 1000;

// ---- one long stream: chunks per second ---------------------------------------------------------------------
/** Chunks per second from the first content chunk to the end of one stream (every chunk counted, text checked). */
async function chunksPerSecond(url: string, body: unknown, expectedText: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let first = NaN;
  let chunks = 0;
  let text = '';
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer
        .slice(0, cut)
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('');
      buffer = buffer.slice(cut + 2);
      if (data === '' || data === '[DONE]') continue;
      const content = (JSON.parse(data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '';
      if (content === '') continue;
      if (Number.isNaN(first)) first = performance.now();
      chunks += 1;
      text += content;
    }
  }
  const seconds = (performance.now() - first) / 1000;
  if (text !== expectedText) throw new Error(`${url}: the stream lost or reordered chunks`);
  return Math.round(chunks / seconds);
}
const pieces = Array.from({ length: STREAM_CHUNKS }, (_, i) => `w${i} `);
upstream.setDefaultReply({ text: pieces.join(''), textChunks: pieces });
const longBody = { model: 'bench-model', stream: true, messages: [{ role: 'user', content: 'Talk for a long time' }] };
const rates = { direct: [] as number[], openai: [] as number[] };
for (let i = 0; i < 3; i++) {
  rates.direct.push(await chunksPerSecond(`${upstream.url}/chat/completions`, longBody, pieces.join('')));
  rates.openai.push(await chunksPerSecond(`${service.url}/v1/chat/completions`, { ...longBody, model: '' }, pieces.join('')));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stream = { chunks: STREAM_CHUNKS, directPerSecond: median(rates.direct), openaiPerSecond: median(rates.openai) };
const addedCharacterP50 = Math.round((ttft.character.p50 - ttft.direct.p50) * 1000) / 1000;

// ---- concurrent streams ------------------------------------------------------------------------------------
const tokens = Array.from({ length: TOKENS }, (_, i) => `t${String(i).padStart(3, '0')} `);
const expected = tokens.join('');
upstream.setDefaultReply({ text: expected, textChunks: tokens, delayMs: 2 });
const startedAll = performance.now();
const results = await Promise.all(Array.from({ length: CONCURRENT }, () => proxied()));
const wallMs = performance.now() - startedAll;
let complete = 0;
let lost = 0;
let reordered = 0;
for (const r of results) {
  if (r.text === expected) {
    complete += 1;
    continue;
  }
  const got = r.text.trim().split(' ');
  lost += TOKENS - got.length;
  for (let i = 1; i < got.length; i++) if (got[i]! <= got[i - 1]!) reordered += 1;
}
const concurrency = {
  streams: CONCURRENT,
  tokensPerStream: TOKENS,
  complete,
  lostTokens: lost,
  reorderedTokens: reordered,
  wallMs: Math.round(wallMs),
  ttft: summarize(results.map((r) => r.ttft)),
};

await service.stop();
await handoff.stop();
await upstream.close();

const result = {
  machine: machine(),
  samples: SAMPLES,
  ttftMs: ttft,
  addedP50Ms: addedP50,
  addedOpenAIP50Ms: addedOpenAIP50,
  stream,
  addedCharacterP50Ms: addedCharacterP50,
  addedHandoffP50Ms: addedHandoffP50,
  concurrency,
  targets: {
    addedP50Ms: 15,
    met: addedP50 < 15 && complete === CONCURRENT && lost === 0 && reordered === 0,
    openai: { addedP50Ms: 5, chunksPerSecond: 5000, met: addedOpenAIP50 <= 5 && stream.openaiPerSecond >= 5000 },
  },
};
table([
  { measure: 'TTFT straight to the fake upstream', ...ttft.direct },
  { measure: 'TTFT through the API (proxy, embedded fast path)', ...ttft.api },
  { measure: 'TTFT through /v1 (OpenAI surface, default model)', ...ttft.openai },
  { measure: 'TTFT through the API (proxy, queue hand-off)', ...ttft.handoff },
  { measure: 'TTFT through the API (Seraphina + lorebook)', ...ttft.character },
]);
table([
  {
    streams: concurrency.streams,
    complete,
    lost,
    reordered,
    'wall ms': concurrency.wallMs,
    'ttft p50': concurrency.ttft.p50,
    'ttft p99': concurrency.ttft.p99,
  },
]);
console.log(
  `added at p50: ${addedP50} ms (proxy), ${addedCharacterP50} ms (character), ${addedHandoffP50} ms (proxy, queue hand-off); target < 15 ms: ${result.targets.met ? 'met' : 'NOT met'}`,
);
console.log(
  `OpenAI surface: ${addedOpenAIP50} ms added at p50; one stream of ${STREAM_CHUNKS} chunks: ${stream.openaiPerSecond} chunks/s through /v1, ${stream.directPerSecond} chunks/s straight from the upstream; target <= 5 ms and >= 5000 chunks/s: ${result.targets.openai.met ? 'met' : 'NOT met'}`,
);
writeResult('completions', result);
