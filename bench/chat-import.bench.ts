import os from 'node:os';
import { benchPostgres, machine, startService, summarize, table, writeResult } from './bench-kit.ts';

/**
 * Bulk in (issue 16, item 3): a 10,000-message SillyTavern chat (JSONL) imported over HTTP from `npm start`'s
 * service on a durable embedded PostgreSQL, answered once the chat is readable.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);

export function sillyTavernJsonl(messages: number): string {
  const lines = [JSON.stringify({ user_name: 'You', character_name: 'Bench', create_date: '2024-01-01@12h00m00s', chat_metadata: {} })];
  for (let i = 0; i < messages; i++) {
    const user = i % 2 === 1;
    lines.push(
      JSON.stringify({
        name: user ? 'You' : 'Bench',
        is_user: user,
        is_system: false,
        send_date: '2024-01-01T12:00:00.000Z',
        mes: `Message ${i}: ${'the forest is quiet tonight, and the lanterns sway in the wind. '.repeat(3)}`,
        extra: {},
      }),
    );
  }
  return lines.join('\n');
}

const database = await benchPostgres();
const service = await startService({ DATABASE_URL: database.url, MAX_MESSAGES_PER_CHAT: '1000000', READ_YOUR_WRITES_TIMEOUT_MS: '60000' });
const headers = { 'content-type': 'application/json', 'x-api-key': service.key };
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${service.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text;
};
const character = JSON.parse(await api('POST', '/api/v1/characters', { name: 'Bench', first_message: 'Hello.' })) as { id: string };
const content = sillyTavernJsonl(MESSAGES);
const samples: number[] = [];
for (let i = 0; i < ITERATIONS + 1; i++) {
  const t = performance.now();
  await api('POST', '/api/v1/character_chats/import', { character_id: character.id, content });
  if (i > 0) samples.push(performance.now() - t);
}
const result = { messages: MESSAGES, bytes: content.length, http: summarize(samples), load: os.loadavg() };
table([{ messages: MESSAGES, ...result.http }]);
console.log(
  machine(),
  'load',
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' '),
);
writeResult('chat-import', result);
await service.stop();
await database.cleanup();
