/**
 * Lorebook engine speed: indexed engine vs a SillyTavern-style entry-by-entry baseline.
 *
 *   ./node_modules/.bin/node bench/worldinfo.bench.ts         (from the repo root, Node 24)
 *
 * Scenario (deterministic, seeded):
 *  - one book of 10,000 entries, 3 keys each (30,000 keys): invented names and multi-word phrases
 *    ("Order of the Silver Vale", "Kaelthas", "ember moss", ...), a few keys shared between entries, 20 entries
 *    with regex keys; contents of 40–90 words that mention other lore terms (so recursion has work to do);
 *  - a 50-message chat (~25,000 characters) that mentions the keys of ~2% of the entries;
 *  - settings: scan depth 50 (the whole chat), recursion on, whole words, case-insensitive, budget 25% of an
 *    8192-token context, cl100k token counting (with its LRU cache, as in a running server).
 * Measured:
 *  - index build (once per book version, then cached);
 *  - the engine (`runWorldInfo`, index cached): p50/p95 over 200 runs after 20 warm-up runs;
 *  - the baseline (`strategy: 'naive'`): every pass looks at every entry and searches every key in the entry's
 *    scan text, lower-casing the text for every key like SillyTavern's `matchKeys` (same rules and results,
 *    checked below): p50/p95 over 5 runs after 1 warm-up.
 * Output: a table, bench/results/worldinfo.json, and the "## Lorebook engine" section of BENCHMARKS.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { preloadTokenizer } from '../shared/tokenizer/index.ts';
import { buildBookIndex, createSeededRandom, runWorldInfo } from '../shared/worldinfo/index.ts';
import type { ChatMessageInput, WorldInfoEntry, WorldInfoInput } from '../shared/worldinfo/index.ts';

const ENTRIES = 10_000;
const MESSAGES = 50;
const TARGET_CHARS = 25_000;
const MATCH_FRACTION = 0.02;
const ENGINE_WARMUP = 20;
const ENGINE_RUNS = 200;
const BASELINE_WARMUP = 1;
const BASELINE_RUNS = 5;

const rnd = createSeededRandom(20241018);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

const SYLLABLES = ['ka', 'el', 'thas', 'mor', 'wen', 'dra', 'ri', 'on', 'sil', 'va', 'lin', 'or', 'eth', 'ba', 'rak', 'zu', 'mi',
  'an', 'gor', 'ly', 'fen', 'dar', 'is', 'tor', 'bel', 'nar', 'shi', 'qua', 'vel', 'ost', 'ir', 'um', 'ha', 'lo', 'ren', 'tis'];
const NOUNS = ['vale', 'spire', 'moss', 'blade', 'crown', 'river', 'keep', 'forge', 'grove', 'tower', 'harbor', 'pass', 'wyrm',
  'order', 'circle', 'ember', 'frost', 'veil', 'gate', 'hollow', 'shard', 'lantern', 'thorn', 'marsh', 'citadel', 'rune'];
const ADJECTIVES = ['silver', 'ashen', 'hollow', 'crimson', 'sunken', 'gilded', 'whispering', 'iron', 'pale', 'verdant', 'broken',
  'eternal', 'obsidian', 'amber', 'frozen', 'wild'];
const FILLER = ('the a of and to in is was that it for on with as his her they at be this from I have or by one had not but what ' +
  'all were when we there can an your which their said if do will each about how up out them then she many some so these would ' +
  'other into has more two like him see time could no make than first been its who now people my made over did down only way ' +
  'find use may water long little very after words called just where most know get through back much before go good new write ' +
  'our used me man too any day same right look think also around another came come work three word must because does part even ' +
  'place well such here take why things help put years different away again off went old number great tell men say small every ' +
  'found still between name should home big give air line set own under read last never us left end along while might next sound ' +
  'below saw something thought both few those always looked show large often together asked house world going want school important')
  .split(' ');

function inventName(): string {
  const n = 2 + Math.floor(rnd() * 2);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(SYLLABLES);
  return cap(s);
}

/** Distinct lore terms: names, "adjective noun", "Order of the Adjective Noun", "Name's noun". */
function loreTerms(count: number): string[] {
  const terms = new Set<string>();
  while (terms.size < count) {
    const r = rnd();
    if (r < 0.45) terms.add(inventName());
    else if (r < 0.75) terms.add(`${pick(ADJECTIVES)} ${pick(NOUNS)}`);
    else if (r < 0.88) terms.add(`${cap(pick(NOUNS))} of the ${cap(pick(ADJECTIVES))} ${cap(pick(NOUNS))}`);
    else terms.add(`${inventName()} ${pick(NOUNS)}`);
  }
  return [...terms];
}

function fillerSentence(words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(pick(FILLER));
  return `${cap(out.join(' '))}.`;
}

function buildBook(): { entries: WorldInfoEntry[]; terms: string[] } {
  const terms = loreTerms(ENTRIES * 3);
  const entries: WorldInfoEntry[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    // Mostly own terms; ~3% of entries share a key with another entry.
    const keys = [terms[i * 3] as string, terms[i * 3 + 1] as string, rnd() < 0.03 ? pick(terms) : (terms[i * 3 + 2] as string)];
    const parts: string[] = [];
    const sentences = 4 + Math.floor(rnd() * 5);
    for (let s = 0; s < sentences; s++) {
      let sentence = fillerSentence(8 + Math.floor(rnd() * 8));
      if (rnd() < 0.12) sentence = sentence.replace(/\.$/, ` near ${pick(terms)}.`);
      parts.push(sentence);
    }
    const entry: WorldInfoEntry = {
      uid: i,
      keys: i % 500 === 7 ? [`/\\b${(keys[0] as string).slice(0, 4)}\\w*\\s+(?:rises|falls)\\b/i`, keys[1] as string] : keys,
      content: `${keys[0]}: ${parts.join(' ')}`,
      order: 100 + (i % 50),
      selective: true,
      selectiveLogic: 0,
      position: i % 10 === 0 ? 4 : 0,
    };
    if (i % 40 === 0) entry.secondaryKeys = [pick(terms)];
    entries.push(entry);
  }
  return { entries, terms };
}

function buildChat(entries: WorldInfoEntry[]): ChatMessageInput[] {
  const mentioned = new Set<number>();
  while (mentioned.size < Math.round(ENTRIES * MATCH_FRACTION)) mentioned.add(Math.floor(rnd() * ENTRIES));
  const mentions = [...mentioned].map((i) => (entries[i] as WorldInfoEntry).keys.find((k) => !k.startsWith('/')) as string);
  const perMessage = TARGET_CHARS / MESSAGES;
  const messages: ChatMessageInput[] = [];
  let m = 0;
  for (let i = 0; i < MESSAGES; i++) {
    const user = i % 2 === 0;
    let text = '';
    while (text.length < perMessage - 60) {
      text += `${fillerSentence(6 + Math.floor(rnd() * 10))} `;
      if (m < mentions.length && rnd() < 0.5) text += `Tell me about ${mentions[m++]}. `;
    }
    messages.push({ name: user ? 'User' : 'Seraphina', content: text.trim(), role: user ? 'user' : 'assistant' });
  }
  return messages;
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function measure(run: () => void, warmup: number, runs: number) {
  for (let i = 0; i < warmup; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: runs, p50: r(percentile(samples, 50)), p95: r(percentile(samples, 95)), min: r(samples[0] as number), max: r(samples[samples.length - 1] as number) };
}

function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

function main(): void {
  preloadTokenizer('openai-cl100k');
  const { entries } = buildBook();
  const messages = buildChat(entries);
  const chars = messages.reduce((n, m) => n + m.content.length, 0);

  const buildSamples: number[] = [];
  let index = buildBookIndex(entries);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    index = buildBookIndex(entries);
    buildSamples.push(performance.now() - t0);
  }
  buildSamples.sort((a, b) => a - b);

  const input = (strategy: 'indexed' | 'naive'): WorldInfoInput => ({
    books: [{ id: 'bench', name: 'Bench', source: 'character', entries, index }],
    messages,
    characterName: 'Seraphina',
    settings: { scanDepth: MESSAGES, recursive: true, contextSize: 8192, budgetPercent: 25, matchWholeWords: true },
    tokenizer: 'openai-cl100k',
    random: createSeededRandom(1),
    strategy,
  });

  const engineResult = runWorldInfo(input('indexed'));
  const baselineResult = runWorldInfo(input('naive'));
  const same =
    JSON.stringify(engineResult.activated.map((a) => a.entryKey)) === JSON.stringify(baselineResult.activated.map((a) => a.entryKey)) &&
    JSON.stringify(engineResult.injections) === JSON.stringify(baselineResult.injections);
  if (!same) throw new Error('indexed engine and baseline disagree');
  const candidates = engineResult.diagnostics.filter((d) => d.reason !== 'no_match' && d.reason !== 'no_keys').length;

  const engine = measure(() => runWorldInfo(input('indexed')), ENGINE_WARMUP, ENGINE_RUNS);
  const baseline = measure(() => runWorldInfo(input('naive')), BASELINE_WARMUP, BASELINE_RUNS);
  const speedup = Math.round((baseline.p50 / engine.p50) * 10) / 10;
  const indexBuildMs = Math.round((buildSamples[1] as number) * 10) / 10;

  const scenario = {
    entries: ENTRIES,
    keys: entries.reduce((n, e) => n + e.keys.length + (e.secondaryKeys?.length ?? 0), 0),
    messages: MESSAGES,
    scanChars: chars,
    activated: engineResult.activated.length,
    entriesConsidered: candidates,
    passes: engineResult.passes,
    tokensUsed: engineResult.tokensUsed,
    budget: engineResult.budget,
    automatonNodes: index.automaton.nodeCount,
  };
  console.log(`Scenario: ${JSON.stringify(scenario)}`);
  console.table([
    { measure: 'index build (once per book version)', p50_ms: indexBuildMs, p95_ms: '', runs: 3 },
    { measure: 'engine (indexed, index cached)', p50_ms: engine.p50, p95_ms: engine.p95, runs: engine.n },
    { measure: 'baseline (entry by entry, SillyTavern-style)', p50_ms: baseline.p50, p95_ms: baseline.p95, runs: baseline.n },
    { measure: 'speed-up (baseline p50 / engine p50)', p50_ms: `${speedup}×`, p95_ms: '', runs: '' },
  ]);
  const targetMet = engine.p50 < 10 && speedup >= 20;
  console.log(`Targets: engine p50 < 10 ms: ${engine.p50 < 10 ? 'yes' : 'NO'}; ≥ 20× faster than the baseline: ${speedup >= 20 ? 'yes' : 'NO'}`);

  const result = { scenario, indexBuildMs, engine, baseline, speedup, targetMet };
  const dir = path.join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'worldinfo.json'), JSON.stringify({ name: 'worldinfo', machine: machine(), at: new Date().toISOString(), result }, null, 2));

  const section = [
    '## Lorebook engine',
    '',
    `Machine: ${machine()} (${os.cpus().length} cores). Command: \`./node_modules/.bin/node bench/worldinfo.bench.ts\` (from the repo root).`,
    '',
    `Scenario: ${ENTRIES.toLocaleString('en')} entries with 3 keys each (${scenario.keys.toLocaleString('en')} keys incl. secondary; names and`,
    `multi-word phrases, 20 regex keys), a ${MESSAGES}-message chat of ${chars.toLocaleString('en')} characters mentioning ~2% of the entries,`,
    'scan depth 50, recursion on, whole words, budget 25% of 8192 tokens, cl100k counting. Same activations checked between engine and baseline.',
    `Per run: ${scenario.activated} entries activated in ${scenario.passes} passes (${scenario.tokensUsed}/${scenario.budget} tokens), ${scenario.entriesConsidered} entries looked at.`,
    '',
    '| measure | p50 (ms) | p95 (ms) | runs |',
    '|---|---:|---:|---:|',
    `| index build (once per book version, cached) | ${indexBuildMs} | – | 3 |`,
    `| engine, indexed (Aho–Corasick, index cached) | ${engine.p50} | ${engine.p95} | ${engine.n} |`,
    `| baseline, entry by entry (SillyTavern-style) | ${baseline.p50} | ${baseline.p95} | ${baseline.n} |`,
    `| speed-up (baseline p50 / engine p50) | ${speedup}× | | |`,
    '',
    `Targets: engine p50 < 10 ms (${engine.p50 < 10 ? 'met' : 'NOT met'}); at least 20× faster than the baseline (${speedup >= 20 ? 'met' : 'NOT met'}).`,
    'Raw numbers: `bench/results/worldinfo.json`.',
    '',
  ].join('\n');
  appendSection(section);
}

/** Replaces (or appends) the "## Lorebook engine" section of BENCHMARKS.md, keeping the other sections. */
function appendSection(section: string): void {
  const file = path.join(process.cwd(), 'BENCHMARKS.md');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmarks\n\n';
  }
  const start = text.indexOf('## Lorebook engine');
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 1);
    text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : '');
  } else {
    text = `${text.replace(/\s*$/, '')}\n\n${section}`;
  }
  writeFileSync(file, text);
}

main();
