import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { AppError } from '../../../shared/errors.ts';
import { DEFAULT_ENTRY } from '../../../shared/dictionaries/index.ts';
import type { WorldInfoBookInput, WorldInfoEntry } from '../../../shared/worldinfo/index.ts';
import { seraphinaCard } from '../../../shared/prompt/__tests__/helpers/fixtures.ts';
import { createCpuPool } from '../cpu-pool.ts';
import { INLINE_LIMITS } from '../cpu-task-costs.ts';

/**
 * The pool's threads (real worker threads loading the TypeScript task table) give what the same call gives inline:
 * lorebooks packed in shared memory, random sources rebuilt from their seed, errors with their status and code.
 */
const pooled = createCpuPool({ threads: 1, taskTimeoutMs: 60_000 });
const inline = createCpuPool({ threads: 0, taskTimeoutMs: 60_000 });
afterAll(async () => {
  await pooled.close();
});

const entries: WorldInfoEntry[] = Array.from({ length: INLINE_LIMITS.worldInfoEntries + 50 }, (_, i) => ({
  uid: i,
  keys: i % 10 === 0 ? [`/ember${i}|ash${i}/i`] : [`ember${i}`],
  content: `Entry ${i} mentions ember${(i * 7) % 250}.`,
  order: i % 17,
  ...(i % 3 === 0 ? { probability: 50, useProbability: true } : {}),
}));
const book = (version: number): WorldInfoBookInput => ({ id: 'embers', name: 'Embers', source: 'global', version, entries });
const messages = Array.from({ length: 20 }, (_, i) => ({
  role: 'user' as const,
  name: 'User',
  content: `I see ember${i * 3} and ASH${i * 10} here.`,
}));

describe('the CPU pool', () => {
  test('a lorebook scan on a thread (book packed once per version) equals the scan inline', async () => {
    const input = { books: [book(1)], messages, characterName: 'C', settings: { scanDepth: 20 }, seed: 7, dryRun: true };
    const onThread = await pooled.run('worldInfo', input, 'u');
    expect(pooled.stats().pooled).toBe(1);
    expect(onThread).toEqual(await inline.run('worldInfo', input, 'u'));
    expect(onThread.activated.length).toBeGreaterThan(5);
    // Again with the book cached on the thread, and with a new version of it.
    expect(await pooled.run('worldInfo', input, 'u')).toEqual(onThread);
    const edited = { ...input, books: [{ ...book(2), entries: entries.map((e) => ({ ...e, content: `${e.content} (v2)` })) }] };
    expect(await pooled.run('worldInfo', edited, 'u')).toEqual(await inline.run('worldInfo', edited, 'u'));
  }, 60_000);

  test('a budgeted dictionary run on a thread equals the run inline (rolls from the same seed)', async () => {
    const entry = (pattern: string, replacement: string, probability: number) => ({
      entryId: pattern,
      entry: { ...DEFAULT_ENTRY, timed_effects: { ...DEFAULT_ENTRY.timed_effects }, pattern, replacement, probability },
    });
    const dictionaries = [
      {
        id: 'd',
        name: 'd',
        entries: [entry('ember', 'glowing coal', 1), ...Array.from({ length: 8 }, (_, i) => entry(`coal${i}`, 'ash', 0.5))],
      },
    ];
    const input = {
      text: `${'ember '.repeat(2000)} coal0 coal1 coal2 coal3 coal4 coal5 coal6 coal7`,
      dictionaries,
      tokenBudget: 3000,
      tokenizer: 'openai-cl100k' as const,
      random: { kind: 'seed' as const, seed: 11 },
    };
    const onThread = await pooled.run('dictionaries', input, 'u');
    expect(onThread).toEqual(await inline.run('dictionaries', input, 'u'));
    expect(onThread.tokenBudgetExceeded).toBe(true);
    expect(onThread.replacements).toBeGreaterThan(100);
  }, 60_000);

  test('a card parsed on a thread equals the card parsed inline', async () => {
    const bytes = new Uint8Array(readFileSync(path.resolve(process.cwd(), 'test/fixtures/cards/Seraphina.png')));
    expect(bytes.byteLength).toBeGreaterThan(INLINE_LIMITS.cardBytes);
    const onThread = await pooled.run('parseCard', { bytes, options: { filename: 'Seraphina.png' } }, 'u');
    expect(onThread.ok).toBe(true);
    expect(onThread).toEqual(await inline.run('parseCard', { bytes, options: { filename: 'Seraphina.png' } }, 'u'));
  }, 60_000);

  test('an AppError thrown on a thread comes back as an AppError with its status, code and details', async () => {
    const history = Array.from({ length: 40 }, (_, i) => ({ role: 'user' as const, content: `message ${i} `.repeat(100) }));
    const input = {
      character: seraphinaCard(),
      persona: { name: 'User' },
      history,
      userTurn: { content: 'hello' },
      chat: { chatId: 'c' },
      model: { name: 'm', tokenizer: 'openai-cl100k' as const, contextSize: 300, replyReserve: 100 },
    };
    const failure = await pooled.run('assemblePrompt', input, 'u').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ status: 400, code: 'prompt_exceeds_context', extra: { budget_tokens: 200 } });
  }, 60_000);

  test("one user's heavy tasks take at most half the threads: another user's task does not queue behind them", async () => {
    const pool = createCpuPool({ threads: 2, taskTimeoutMs: 60_000 });
    try {
      const pingPong = [
        {
          id: 'p',
          name: 'p',
          entries: ['a>bb', 'bb>a'].map((r) => {
            const [pattern, replacement] = r.split('>') as [string, string];
            return { entryId: r, entry: { ...DEFAULT_ENTRY, timed_effects: { ...DEFAULT_ENTRY.timed_effects }, pattern, replacement } };
          }),
        },
      ];
      const task = (text: string, maxIterations: number) => ({
        text,
        dictionaries: pingPong,
        maxIterations,
        tokenBudget: 10_000_000,
        tokenizer: 'openai-cl100k' as const,
        random: { kind: 'unseeded' as const },
      });
      // Both threads started and warm (the comparison is about the work, not the start-up).
      await Promise.all([pool.run('dictionaries', task('a', 1), 'w1'), pool.run('dictionaries', task('a', 1), 'w2')]);
      const finished: string[] = [];
      // Seconds of budget recounts each (a 2.6 KB text whose replacements undo each other for 20 passes).
      const heavy = [1, 2].map((i) =>
        pool.run('dictionaries', task('a '.repeat(1300), 20), 'alice').then(() => finished.push(`alice ${i}`)),
      );
      await new Promise((r) => setTimeout(r, 50));
      const light = pool.run('dictionaries', task('a a', 2), 'bob').then(() => finished.push('bob'));
      await Promise.all([...heavy, light]);
      expect(finished[0]).toBe('bob');
      expect(finished).toHaveLength(3);
    } finally {
      await pool.close();
    }
  }, 120_000);
});

describe('the CPU pool gives memory back', () => {
  test('no thread starts at boot; a thread started for work exits after CPU_POOL_IDLE_TIMEOUT_MS idle', async () => {
    const pool = createCpuPool({ threads: 1, taskTimeoutMs: 60_000, idleTimeoutMs: 300 });
    try {
      pool.start();
      expect(pool.stats().liveThreads).toBe(0);
      const input = { books: [book(1)], messages, characterName: 'C', settings: { scanDepth: 20 }, seed: 7, dryRun: true };
      await pool.run('worldInfo', input, 'u');
      expect(pool.stats().liveThreads).toBe(1);
      const deadline = Date.now() + 10_000;
      while (pool.stats().liveThreads > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(pool.stats().liveThreads).toBe(0);
      // Work after that starts a thread again.
      expect((await pool.run('worldInfo', input, 'u')).activated.length).toBeGreaterThan(5);
    } finally {
      await pool.close();
    }
  }, 60_000);

  test('CPU_POOL_MIN_THREADS keeps threads started at boot', async () => {
    const pool = createCpuPool({ threads: 1, taskTimeoutMs: 60_000, minThreads: 1 });
    try {
      pool.start();
      const deadline = Date.now() + 10_000;
      while (pool.stats().liveThreads < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(pool.stats().liveThreads).toBe(1);
      expect(pool.cacheBooks).toBe(16);
    } finally {
      await pool.close();
    }
  }, 30_000);
});
