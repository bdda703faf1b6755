/**
 * Lorebook engine speed: indexed engine vs a SillyTavern-style entry-by-entry baseline.
 *
 *   ./node_modules/.bin/node bench/worldinfo.bench.ts         (from the repo root, Node 24)
 *
 * Data (deterministic, seeded):
 *  - one book of 10,000 entries, 3 keys each (30,000 keys): invented names and multi-word phrases
 *    ("Order of the Silver Vale", "Kaelthas", "ember moss", ...), a few keys shared between entries, 20 entries
 *    with case-insensitive regex keys, 250 with secondary keys; contents of 40–90 words that mention other lore terms
 *    (so recursion has work to do);
 *  - a 50-message chat (~25,000 characters) that mentions the keys of ~2% of the entries.
 * Settings: scan depth 50 (the whole chat), recursion on, whole words, case-insensitive, budget 25% of the context,
 * cl100k token counting (with its LRU cache, as in a running server). Two contexts:
 *  - 8k tokens (the target scenario): the budget fills in the first pass;
 *  - 128k tokens: ~400 entries fit, so the recursion pass scans ~150k characters of entry contents.
 * Measured per context:
 *  - the engine (`runWorldInfo`, index built once and cached), cold (every text new) and per turn (the 49 older
 *    messages seen on earlier turns, the newest one new): p50/p95 over 200 runs after 20 warm-up runs;
 *  - the baseline (`strategy: 'naive'`): every pass looks at every entry and searches every key in the entry's
 *    scan text, lower-casing the text for every key like SillyTavern's `matchKeys` (same rules and results, checked);
 *  - the index build.
 * Output: a table, bench/results/worldinfo.json (git-ignored), and the "## Lorebook engine" section for BENCHMARKS.md
 * printed on stdout: a bench never edits a tracked file; paste it by hand with the machine's load.
 */
import os from 'node:os';
import { writeResult } from './bench-kit.ts';
import path from 'node:path';
import { preloadTokenizer } from '../shared/tokenizer/index.ts';
import { buildBookIndex, clearKeyOccurrenceCache, createSeededRandom, runWorldInfo } from '../shared/worldinfo/index.ts';
import type { ChatMessageInput, CompatibilityMode, WorldInfoEntry, WorldInfoInput } from '../shared/worldinfo/index.ts';

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
  'fen',
  'dar',
  'is',
  'tor',
  'bel',
  'nar',
  'shi',
  'qua',
  'vel',
  'ost',
  'ir',
  'um',
  'ha',
  'lo',
  'ren',
  'tis',
];
const NOUNS = [
  'vale',
  'spire',
  'moss',
  'blade',
  'crown',
  'river',
  'keep',
  'forge',
  'grove',
  'tower',
  'harbor',
  'pass',
  'wyrm',
  'order',
  'circle',
  'ember',
  'frost',
  'veil',
  'gate',
  'hollow',
  'shard',
  'lantern',
  'thorn',
  'marsh',
  'citadel',
  'rune',
];
const ADJECTIVES = [
  'silver',
  'ashen',
  'hollow',
  'crimson',
  'sunken',
  'gilded',
  'whispering',
  'iron',
  'pale',
  'verdant',
  'broken',
  'eternal',
  'obsidian',
  'amber',
  'frozen',
  'wild',
];
const FILLER = (
  'the a of and to in is was that it for on with as his her they at be this from I have or by one had not but what ' +
  'all were when we there can an your which their said if do will each about how up out them then she many some so these would ' +
  'other into has more two like him see time could no make than first been its who now people my made over did down only way ' +
  'find use may water long little very after words called just where most know get through back much before go good new write ' +
  'our used me man too any day same right look think also around another came come work three word must because does part even ' +
  'place well such here take why things help put years different away again off went old number great tell men say small every ' +
  'found still between name should home big give air line set own under read last never us left end along while might next sound ' +
  'below saw something thought both few those always looked show large often together asked house world going want school important'
).split(' ');

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

function chatMessage(i: number, mentions: string[], cursor: { m: number }, length: number): ChatMessageInput {
  const user = i % 2 === 0;
  let text = '';
  while (text.length < length - 60) {
    text += `${fillerSentence(6 + Math.floor(rnd() * 10))} `;
    if (cursor.m < mentions.length && rnd() < 0.5) text += `Tell me about ${mentions[cursor.m++]}. `;
  }
  return { name: user ? 'User' : 'Seraphina', content: text.trim(), role: user ? 'user' : 'assistant' };
}

/** The 50-message chat, and a pool of different newest messages (one per measured turn). */
function buildChat(entries: WorldInfoEntry[], poolSize: number): { messages: ChatMessageInput[]; pool: ChatMessageInput[] } {
  const mentioned = new Set<number>();
  while (mentioned.size < Math.round(ENTRIES * MATCH_FRACTION)) mentioned.add(Math.floor(rnd() * ENTRIES));
  const mentions = [...mentioned].map((i) => (entries[i] as WorldInfoEntry).keys.find((k) => !k.startsWith('/')) as string);
  const perMessage = TARGET_CHARS / MESSAGES;
  const cursor = { m: 0 };
  const messages: ChatMessageInput[] = [];
  for (let i = 0; i < MESSAGES; i++) messages.push(chatMessage(i, mentions, cursor, perMessage));
  const pool: ChatMessageInput[] = [];
  for (let i = 0; i < poolSize; i++)
    pool.push(chatMessage(MESSAGES - 1, [...mentions].sort(() => rnd() - 0.5).slice(0, 3), { m: 0 }, perMessage));
  return { messages, pool };
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

interface Stats {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  /** p50 of the process CPU time per run (user + system): less sensitive to other load on the machine. */
  cpuP50: number;
}

/** Runs `before(i)` (not timed) then `run(i)` (timed), `warmup` + `runs` times. */
function measure(run: (i: number) => void, warmup: number, runs: number, before: (i: number) => void = () => {}): Stats {
  for (let i = 0; i < warmup; i++) {
    before(i);
    run(i);
  }
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    before(warmup + i);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run(warmup + i);
    samples.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: runs,
    p50: r(percentile(samples, 50)),
    p95: r(percentile(samples, 95)),
    min: r(samples[0] as number),
    max: r(samples[samples.length - 1] as number),
    cpuP50: r(percentile(cpu, 50)),
  };
}

/**
 * Like `measure` for several variants at once, run in turns (A, B, A, B, ...), so that load from elsewhere on the
 * machine falls on every variant alike.
 */
function measureInterleaved(variants: ReadonlyArray<() => void>, warmup: number, runs: number, before: () => void): Stats[] {
  const results = variants.map(() => ({ samples: [] as number[], cpu: [] as number[] }));
  for (let i = 0; i < warmup + runs; i++) {
    variants.forEach((run, v) => {
      before();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      run();
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (i < warmup) return;
      results[v]!.samples.push(ms);
      results[v]!.cpu.push((c.user + c.system) / 1000);
    });
  }
  const r = (x: number) => Math.round(x * 100) / 100;
  return results.map(({ samples, cpu }) => {
    samples.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    return {
      n: runs,
      p50: r(percentile(samples, 50)),
      p95: r(percentile(samples, 95)),
      min: r(samples[0] as number),
      max: r(samples[samples.length - 1] as number),
      cpuP50: r(percentile(cpu, 50)),
    };
  });
}

function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

interface ScenarioResult {
  label: string;
  contextSize: number;
  activated: number;
  passes: number;
  tokensUsed: number;
  budget: number;
  considered: number;
  cold: Stats;
  turn: Stats;
  baseline: Stats;
  speedup: number;
  /** Cold scans in both compatibility modes, interleaved; `ratio` = sillytavern p50 / corrected p50. */
  modes: { sillytavern: Stats; corrected: Stats; ratio: number; cpuRatio: number; sameActivations: boolean };
}

function main(): void {
  preloadTokenizer('openai-cl100k');
  const { entries } = buildBook();
  const { messages, pool } = buildChat(entries, ENGINE_WARMUP + ENGINE_RUNS);
  const chars = messages.reduce((n, m) => n + m.content.length, 0);

  const buildSamples: number[] = [];
  let index = buildBookIndex(entries);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    index = buildBookIndex(entries);
    buildSamples.push(performance.now() - t0);
  }
  buildSamples.sort((a, b) => a - b);
  const indexBuildMs = Math.round((buildSamples[1] as number) * 10) / 10;

  const runScenario = (label: string, contextSize: number, baselineRuns: number): ScenarioResult => {
    const input = (
      strategy: 'indexed' | 'naive',
      chat: ChatMessageInput[] = messages,
      compatibility: CompatibilityMode = 'sillytavern',
    ): WorldInfoInput => ({
      books: [{ id: 'bench', name: 'Bench', source: 'character', entries, index }],
      messages: chat,
      characterName: 'Seraphina',
      settings: { scanDepth: MESSAGES, recursive: true, contextSize, budgetPercent: 25, matchWholeWords: true, compatibility },
      tokenizer: 'openai-cl100k',
      random: createSeededRandom(1),
      strategy,
    });
    const engineResult = runWorldInfo(input('indexed'));
    const baselineResult = runWorldInfo(input('naive'));
    const same =
      JSON.stringify(engineResult.activated.map((a) => a.entryKey)) === JSON.stringify(baselineResult.activated.map((a) => a.entryKey)) &&
      JSON.stringify(engineResult.injections) === JSON.stringify(baselineResult.injections);
    if (!same) throw new Error(`${label}: indexed engine and baseline disagree`);
    // Cold: no text has been seen before (the per-text occurrence cache is emptied before every run).
    const cold = measure(
      () => runWorldInfo(input('indexed')),
      ENGINE_WARMUP,
      ENGINE_RUNS,
      () => clearKeyOccurrenceCache(index),
    );
    // Per turn: the 49 older messages were scanned on earlier turns; the newest message is new every run.
    const chatForTurn = (i: number) => [...messages.slice(1), pool[i % pool.length] as ChatMessageInput];
    const turn = measure((i) => runWorldInfo(input('indexed', chatForTurn(i))), ENGINE_WARMUP, ENGINE_RUNS);
    const baseline = measure(() => runWorldInfo(input('naive')), BASELINE_WARMUP, baselineRuns);
    const correctedResult = runWorldInfo(input('indexed', messages, 'corrected'));
    const [stMode, correctedMode] = measureInterleaved(
      [() => runWorldInfo(input('indexed', messages, 'sillytavern')), () => runWorldInfo(input('indexed', messages, 'corrected'))],
      ENGINE_WARMUP,
      ENGINE_RUNS,
      () => clearKeyOccurrenceCache(index),
    ) as [Stats, Stats];
    return {
      label,
      contextSize,
      activated: engineResult.activated.length,
      passes: engineResult.passes,
      tokensUsed: engineResult.tokensUsed,
      budget: engineResult.budget,
      considered: engineResult.diagnostics.filter((d) => d.reason !== 'no_match' && d.reason !== 'no_keys').length,
      cold,
      turn,
      baseline,
      speedup: Math.round((baseline.p50 / cold.p50) * 10) / 10,
      modes: {
        sillytavern: stMode,
        corrected: correctedMode,
        ratio: Math.round((stMode.p50 / correctedMode.p50) * 1000) / 1000,
        cpuRatio: Math.round((stMode.cpuP50 / correctedMode.cpuP50) * 1000) / 1000,
        sameActivations:
          JSON.stringify(engineResult.activated.map((a) => a.entryKey)) ===
          JSON.stringify(correctedResult.activated.map((a) => a.entryKey)),
      },
    };
  };

  const main = runScenario('8k context', 8192, BASELINE_RUNS);
  const deep = runScenario('128k context', 131072, 3);
  const scenarios = [main, deep];

  const scenario = {
    entries: ENTRIES,
    keys: entries.reduce((n, e) => n + e.keys.length + (e.secondaryKeys?.length ?? 0), 0),
    regexKeys: entries.reduce((n, e) => n + e.keys.filter((k) => k.startsWith('/')).length, 0),
    messages: MESSAGES,
    scanChars: chars,
    automatonNodes: index.automaton.nodeCount,
  };
  console.log(`Scenario: ${JSON.stringify(scenario)}`);
  const rows: Record<string, unknown>[] = [
    { measure: 'index build (once per book version)', p50_ms: indexBuildMs, p95_ms: '', cpu_p50_ms: '', runs: 3 },
  ];
  for (const r of scenarios) {
    console.log(
      `${r.label}: ${r.activated} activated in ${r.passes} pass(es), ${r.tokensUsed}/${r.budget} tokens, ${r.considered} entries looked at`,
    );
    rows.push(
      { measure: `${r.label}: engine, cold`, p50_ms: r.cold.p50, p95_ms: r.cold.p95, cpu_p50_ms: r.cold.cpuP50, runs: r.cold.n },
      { measure: `${r.label}: engine, per turn`, p50_ms: r.turn.p50, p95_ms: r.turn.p95, cpu_p50_ms: r.turn.cpuP50, runs: r.turn.n },
      {
        measure: `${r.label}: baseline`,
        p50_ms: r.baseline.p50,
        p95_ms: r.baseline.p95,
        cpu_p50_ms: r.baseline.cpuP50,
        runs: r.baseline.n,
      },
      { measure: `${r.label}: speed-up (baseline / cold)`, p50_ms: `${r.speedup}×`, p95_ms: '', cpu_p50_ms: '', runs: '' },
      {
        measure: `${r.label}: sillytavern mode, cold (interleaved)`,
        p50_ms: r.modes.sillytavern.p50,
        p95_ms: r.modes.sillytavern.p95,
        cpu_p50_ms: r.modes.sillytavern.cpuP50,
        runs: r.modes.sillytavern.n,
      },
      {
        measure: `${r.label}: corrected mode, cold (interleaved)`,
        p50_ms: r.modes.corrected.p50,
        p95_ms: r.modes.corrected.p95,
        cpu_p50_ms: r.modes.corrected.cpuP50,
        runs: r.modes.corrected.n,
      },
      {
        measure: `${r.label}: sillytavern / corrected`,
        p50_ms: `${r.modes.ratio}×`,
        p95_ms: '',
        cpu_p50_ms: `${r.modes.cpuRatio}×`,
        runs: '',
      },
    );
  }
  console.table(rows);
  const loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(`Load average after the run: ${loadAverage.join(' / ')} (1/5/15 min) on ${os.cpus().length} cores`);
  const targetMet = main.cold.p50 < 10 && main.speedup >= 20;
  console.log(
    `Targets (8k context): engine p50 < 10 ms: ${main.cold.p50 < 10 ? 'yes' : 'NO'}; ≥ 20× faster than the baseline: ${main.speedup >= 20 ? 'yes' : 'NO'}`,
  );

  const result = { scenario, indexBuildMs, scenarios, targetMet, loadAverage };
  writeResult('worldinfo', result);

  const describe = (r: ScenarioResult) =>
    `${r.label} (budget ${r.budget} tokens): ${r.activated} entries activated in ${r.passes} pass${r.passes === 1 ? '' : 'es'} (${r.tokensUsed} tokens; the budget ends the scan), ${r.considered} of ${ENTRIES.toLocaleString('en')} entries looked at.`;
  const tableRows = scenarios.flatMap((r) => [
    `| ${r.label}: engine, cold (all text new; index cached) | ${r.cold.p50} | ${r.cold.p95} | ${r.cold.cpuP50} | ${r.cold.n} |`,
    `| ${r.label}: engine, per turn (only the newest message new) | ${r.turn.p50} | ${r.turn.p95} | ${r.turn.cpuP50} | ${r.turn.n} |`,
    `| ${r.label}: baseline, entry by entry (SillyTavern-style) | ${r.baseline.p50} | ${r.baseline.p95} | ${r.baseline.cpuP50} | ${r.baseline.n} |`,
    `| ${r.label}: speed-up (baseline p50 / engine cold p50) | ${r.speedup}× | | | |`,
    `| ${r.label}: \`sillytavern\` mode, cold (interleaved with the next row) | ${r.modes.sillytavern.p50} | ${r.modes.sillytavern.p95} | ${r.modes.sillytavern.cpuP50} | ${r.modes.sillytavern.n} |`,
    `| ${r.label}: \`corrected\` mode, cold (baseline of the row above) | ${r.modes.corrected.p50} | ${r.modes.corrected.p95} | ${r.modes.corrected.cpuP50} | ${r.modes.corrected.n} |`,
    `| ${r.label}: \`sillytavern\` / \`corrected\` | ${r.modes.ratio}× | | ${r.modes.cpuRatio}× | |`,
  ]);
  const section = [
    '## Lorebook engine',
    '',
    `Machine: ${machine()} (${os.cpus().length} cores, shared with other work; load average ${loadAverage.join(' / ')} after the run).`,
    'Command (from the repo root): `./node_modules/.bin/node bench/worldinfo.bench.ts`.',
    '',
    `Scenario: ${ENTRIES.toLocaleString('en')} entries with 3 keys each (${scenario.keys.toLocaleString('en')} keys incl. secondary: invented names and`,
    `multi-word phrases, ${scenario.regexKeys} of them case-insensitive regexes), a ${MESSAGES}-message chat of ${chars.toLocaleString('en')} characters mentioning the keys of`,
    '~2% of the entries; scan depth 50, recursion on, whole words, budget 25% of the context, cl100k token counts.',
    `- ${describe(main)}`,
    `- ${describe(deep)}`,
    'Engine and baseline give the same activations and prompt text in both (checked by the script).',
    '',
    '| measure | p50 (ms) | p95 (ms) | CPU p50 (ms) | runs |',
    '|---|---:|---:|---:|---:|',
    `| index build (once per book version, cached) | ${indexBuildMs} | – | – | 3 |`,
    ...tableRows,
    '',
    `Targets (8k context): engine p50 < 10 ms (${main.cold.p50 < 10 ? 'met' : 'NOT met'}, cold); at least 20× faster than the baseline (${main.speedup >= 20 ? 'met' : 'NOT met'});`,
    `\`sillytavern\` mode within 10% of \`corrected\` mode (${scenarios.every((r) => r.modes.ratio <= 1.1) ? 'met' : 'NOT met'}: ${scenarios.map((r) => `${r.label} ${r.modes.ratio}×`).join(', ')}; same activations in both modes: ${scenarios.map((r) => (r.modes.sameActivations ? 'yes' : 'no')).join(', ')}).`,
    'The engine rows above run in `sillytavern` mode (the default).',
    'The baseline evaluates every entry in every pass, lower-cases the scan text for every key and searches it with',
    '`indexOf` (regex keys with the same linear-time regexes), like SillyTavern\'s `matchKeys`. "Per turn" reuses key',
    'occurrences of texts scanned on earlier turns (cached per book index and text). Raw numbers:',
    '`bench/results/worldinfo.json`.',
    '',
  ].join('\n');
  console.log(`\n--- for BENCHMARKS.md (paste by hand) ---\n${section}`);
}

main();
