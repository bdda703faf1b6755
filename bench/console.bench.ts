import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startFakeOpenAIServer } from '../test/fake-llm/index.ts';
import { ensureConsoleBuilt, CONSOLE_DIST } from '../test/console/console-build.ts';
import { machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * The web console in a real browser (Debian's chromium) against `npm start`'s service and a local stand-in
 * provider (issue 21's performance targets): the JavaScript of the first load (at most 300 KB gzipped), opening a
 * 10,000-message chat (under a second: its latest page on screen), and Send to the first token on screen (under
 * 50 ms). Baseline in the same run: the same completion requested by a plain HTTP client (time to its first
 * content chunk), i.e. what the service itself takes, so the console's own share is the difference.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const MESSAGES = Number(process.env.BENCH_CHAT_MESSAGES ?? 10_000);

ensureConsoleBuilt();
const jsBytes = readdirSync(path.join(CONSOLE_DIST, 'assets'))
  .filter((f) => f.endsWith('.js'))
  .reduce((sum, f) => sum + gzipSync(readFileSync(path.join(CONSOLE_DIST, 'assets', f))).length, 0);

const upstream = await startFakeOpenAIServer();
upstream.setDefaultReply({ text: 'A quick reply from the stand-in.', textChunks: ['A quick ', 'reply from ', 'the stand-in.'] });
const service = await startService({
  LLM_PROVIDER: 'openai-compatible',
  LLM_BASE_URL: upstream.url,
  LLM_MODEL: 'stand-in',
  MAX_MESSAGES_PER_CHAT: '1000000',
});
const headers = { 'content-type': 'application/json', 'x-api-key': service.key };
const api = async (method: string, urlPath: string, body?: unknown) => {
  const res = await fetch(`${service.url}${urlPath}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (res.status >= 300) throw new Error(`${method} ${urlPath}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string };
};
const character = await api('POST', '/api/v1/characters', { name: 'Bench', first_message: 'Hello.' });
const lines = [JSON.stringify({ user_name: 'User', character_name: 'Bench' })];
for (let i = 0; i < MESSAGES; i++)
  lines.push(JSON.stringify({ name: i % 2 ? 'Bench' : 'User', is_user: i % 2 === 0, mes: `Message ${i}: the lanterns sway in the wind.` }));
const longChat = await api('POST', '/api/v1/character_chats/import', { character_id: character.id, content: lines.join('\n') });
const shortChat = await api('POST', '/api/v1/character_chats', { character_id: character.id });

/** Baseline: POST …/complete with stream, time to the first content chunk, read by a plain client. */
async function apiFirstToken(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${service.url}/api/v1/character_chats/${shortChat.id}/complete`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ mode: 'normal', message: 'Hi there', stream: true }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let first = NaN;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (Number.isNaN(first) && /"content":"[^"]/.test(text)) first = performance.now() - started;
  }
  return first;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
const loadStarted = performance.now();
await page.goto(service.url);
await page.getByLabel('API key').fill(service.key);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByRole('heading', { name: 'Characters' }).waitFor();
const firstLoadMs = performance.now() - loadStarted;

const openMs: number[] = [];
for (let i = 0; i < Math.min(RUNS, 8); i++) {
  await page.goto(`${service.url}/#/library`);
  await page.getByRole('heading', { name: 'Characters' }).waitFor();
  const started = performance.now();
  await page.goto(`${service.url}/#/chats/${longChat.id}`);
  await page.getByText(`Message ${MESSAGES - 1}:`, { exact: false }).waitFor();
  openMs.push(performance.now() - started);
}

await page.goto(`${service.url}/#/chats/${shortChat.id}`);
await page.getByRole('textbox', { name: 'Message' }).waitFor();
const browserFirstToken: number[] = [];
const apiBaseline: number[] = [];
for (let i = 0; i < RUNS; i++) {
  apiBaseline.push(await apiFirstToken());
  await page.getByRole('textbox', { name: 'Message' }).fill(`Hello ${i}`);
  await page.getByRole('button', { name: 'Send' }).waitFor();
  const ms = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const doc = (globalThis as any).document;
        const button = [...doc.querySelectorAll('button')].find((b: any) => b.textContent === 'Send');
        let started = 0;
        const observer = new (globalThis as any).MutationObserver(() => {
          const reply = doc.querySelector('[data-testid="streaming-reply"]');
          if (reply && reply.textContent && reply.textContent !== '…') {
            observer.disconnect();
            resolve(performance.now() - started);
          }
        });
        observer.observe(doc.body, { subtree: true, childList: true, characterData: true });
        started = performance.now();
        button.click();
      }),
  );
  browserFirstToken.push(ms);
  await page.getByTestId('streaming-reply').waitFor({ state: 'detached' });
}
await browser.close();

const result = {
  load: `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
  first_load_js_gzip_bytes: jsBytes,
  first_load_to_library_ms: Math.round(firstLoadMs),
  open_chat_ms: summarize(openMs),
  send_to_first_token_on_screen_ms: summarize(browserFirstToken),
  baseline_api_first_token_ms: summarize(apiBaseline),
};
console.log(machine());
table([
  { measure: 'first load JS (gzip, bytes)', value: jsBytes, target: '≤ 300,000' },
  { measure: `open a ${MESSAGES}-message chat p50 (ms)`, value: result.open_chat_ms.p50, target: '< 1000' },
  { measure: 'Send → first token on screen p50 (ms)', value: result.send_to_first_token_on_screen_ms.p50, target: '< 50' },
  { measure: 'baseline: API first content chunk p50 (ms)', value: result.baseline_api_first_token_ms.p50, target: '' },
]);
console.log(result.load);
writeResult('console', result);
await service.stop();
await upstream.close();
