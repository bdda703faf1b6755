/**
 * Group turn prompt assembly: one speaker's prompt in a group of 5 members with 5 world books, against a
 * single-character turn with one book (the baseline), measured in the same run.
 *
 *   ./node_modules/.bin/node bench/group-prompt.bench.ts         (from the repo root, Node 24)
 *
 * Data (deterministic, seeded): 5 cards of ~1,500 characters (description, personality, scenario, examples);
 * 5 books of 200 entries each (3 keys, 40–90 words of content); a 60-message chat (~30,000 characters) where
 * members speak in turn and mention ~2% of the keys. The group turn is what the worker does per speaker: the
 * speaker's card joined with the others (`append`, the costlier mode; `swap` is measured too), the history as
 * named turns, the group nudge, all 5 books scanned (a cached index per book, as the CPU pool keeps them), cl100k
 * token counting, 8k context. The baseline: one card, one book, the same chat without names.
 * p50/p95 over 200 runs after 20 warm-up runs. Output: a table, bench/results/group-prompt.json (git-ignored), and
 * the lines for BENCHMARKS.md on stdout: a bench never edits a tracked file.
 */
import os from 'node:os';
import { summarize, writeResult, machine } from './bench-kit.ts';
import { cardFromBasicFields, type CanonicalCard } from '../shared/cards/index.ts';
import { DEFAULT_GROUP_NUDGE, groupSpeakerCard } from '../shared/groups/group-card.ts';
import { assemblePrompt, type PromptHistoryMessage, type PromptInput } from '../shared/prompt/index.ts';
import { preloadTokenizer } from '../shared/tokenizer/index.ts';
import { createSeededRandom, WorldInfoIndexCache, type WorldInfoBookInput, type WorldInfoEntry } from '../shared/worldinfo/index.ts';

const MEMBERS = 5;
const ENTRIES_PER_BOOK = 200;
const MESSAGES = 60;
const WARMUP = 20;
const RUNS = 200;

const rnd = createSeededRandom(20261207);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
const WORDS = 'the a of and to in old river stone silver ember vale keep tower road night storm song blade crown oath shadow light'.split(
  ' ',
);
const sentence = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ') + '.';
const term = (book: number, i: number) => `${['Kael', 'Mor', 'Wen', 'Thas', 'Ryn'][book]}${i}x`;

function book(b: number): WorldInfoBookInput {
  const entries: WorldInfoEntry[] = [];
  for (let i = 0; i < ENTRIES_PER_BOOK; i++) {
    const words = 40 + Math.floor(rnd() * 50);
    entries.push({
      uid: i,
      keys: [term(b, i), `${term(b, i)}a`, `${term(b, i)}b`],
      content: `${term(b, i)}: ${sentence(words)}`,
      order: 100 + (i % 50),
      position: i % 10 === 0 ? 4 : 0,
    });
  }
  return { id: `book-${b}`, name: `Book ${b}`, entries, source: b === 0 ? 'character' : 'chat', version: 1 };
}

const NAMES = ['Aldric', 'Brena', 'Corvin', 'Delia', 'Edric'];
const cards: CanonicalCard[] = NAMES.map((name) =>
  cardFromBasicFields({
    name,
    description: `{{char}} ${sentence(120)}`,
    personality: sentence(30),
    scenario: sentence(40),
    message_example: `<START>\n{{user}}: ${sentence(12)}\n{{char}}: ${sentence(30)}`,
    system_prompt: 'You are {{char}}.',
  }),
);
const books = Array.from({ length: MEMBERS }, (_, b) => book(b));

function chat(named: boolean): PromptHistoryMessage[] {
  return Array.from({ length: MESSAGES }, (_, i): PromptHistoryMessage => {
    const mention = rnd() < 0.4 ? ` Tell me of ${term(Math.floor(rnd() * MEMBERS), Math.floor(rnd() * ENTRIES_PER_BOOK))}.` : '';
    const text = `${sentence(80)}${mention}`;
    if (i % 2 === 0) return { id: `m${i}`, role: 'user', content: text };
    return { id: `m${i}`, role: 'assistant', content: text, ...(named ? { name: NAMES[(i >> 1) % MEMBERS]! } : {}) };
  });
}
const groupHistory = chat(true);
const soloHistory = chat(false);

let turnNo = 0;
const base = (
  character: PromptInput['character'],
  history: PromptHistoryMessage[],
  bookList: WorldInfoBookInput[],
  cache: WorldInfoIndexCache,
) =>
  ({
    character,
    persona: { name: 'Ann' },
    history,
    // A new user message every run (as every turn has), the history as the token cache has seen it before.
    userTurn: { content: `What now, turn ${turnNo++}? Tell me of ${term(1, turnNo % ENTRIES_PER_BOOK)}.` },
    chat: { chatId: 'bench' },
    worldInfo: { books: bookList, dryRun: true, indexCache: cache },
    model: { name: 'gpt-4o', tokenizer: 'openai-cl100k', contextSize: 8192, replyReserve: 512 },
    random: createSeededRandom(1),
    clock: () => new Date('2026-12-07T12:00:00Z'),
  }) satisfies PromptInput;

const members = cards.map((card, i) => ({ id: `c${i}`, enabled: true, card }));
const cases: Record<string, () => unknown> = {};
const soloCache = new WorldInfoIndexCache();
cases['single character, 1 book (baseline)'] = () => assemblePrompt(base(cards[0]!, soloHistory, [books[0]!], soloCache));
for (const mode of ['swap', 'append'] as const) {
  const cache = new WorldInfoIndexCache();
  cases[`group of ${MEMBERS}, ${MEMBERS} books, ${mode}`] = () => {
    const speaker = `c${Math.floor(rnd() * MEMBERS)}`;
    const card = groupSpeakerCard({ mode, members, speakerId: speaker, joinPrefix: '', joinSuffix: '' });
    return assemblePrompt({
      ...base(card, groupHistory, books, cache),
      prompts: { groupNudge: DEFAULT_GROUP_NUDGE },
      options: { names: 'content' },
    });
  };
}

await preloadTokenizer('openai-cl100k');
const rows: Record<string, unknown>[] = [];
for (const [name, run] of Object.entries(cases)) {
  for (let i = 0; i < WARMUP; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    run();
    samples.push(performance.now() - t);
  }
  rows.push({ case: name, ...summarize(samples) });
}
console.table(rows);
writeResult('group-prompt', rows);
const load = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
console.log(`\n## Group turn prompt assembly\n\nMachine: ${machine()}; load average ${load}.\n`);
console.log('| case | p50 ms | p95 ms |\n|---|---|---|');
for (const r of rows) console.log(`| ${r.case} | ${r.p50} | ${r.p95} |`);
