import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ensureSillyTavern } from './sillytavern-install.ts';
import { startSillyTavern } from './sillytavern-server.ts';
import { allWorldInfoCases, type WorldInfoCase } from './world-info-cases.ts';

/**
 * The differential recorder: starts the real SillyTavern 1.12.6 (cache install), opens its web UI in Debian's
 * chromium, imports its own `/scripts/world-info.js` in the page and runs `checkWorldInfo` on each case: the books
 * are put in the module's `worldInfoCache` (global books selected with `setWorldInfoSettings`, the chat book as
 * `chat_metadata.world_info`), Math.random is seeded with the case's mulberry32 seed, no API is connected (so
 * SillyTavern counts tokens with its LLaMA SentencePiece model through its server), and the run is not a dry
 * run (delay by chat length applies), with a fresh timed-effect state per case.
 *
 * What is recorded is what SillyTavern returns: the activated entries in activation order (book, uid, position,
 * depth, role), World Info before/after, the example-message entries and the at-depth groups. The Author's Note
 * lists are not returned by `checkWorldInfo` (it writes them into the note only in a chat whose note is due), so
 * they are rebuilt in the page from the activated set the way its prompt-building loop does (order descending,
 * each one prepended).
 *
 * `node test/sillytavern/record-world-info-cases.ts` rewrites the fixture the differential suite reads.
 */
export interface RecordedDepthGroup {
  depth: number | null;
  role: number;
  entries: string[];
}

export interface RecordedCase {
  id: string;
  activated: Array<{ world: string; uid: number; position: number; depth: number | null; order: number }>;
  before: string;
  after: string;
  anTop: string[];
  anBottom: string[];
  examples: Array<{ position: number; content: string }>;
  atDepth: RecordedDepthGroup[];
}

export interface WorldInfoRecording {
  sillytavern: string;
  tokenizer: string;
  recordedAt: string;
  cases: Array<WorldInfoCase & { recorded: RecordedCase }>;
}

export const RECORDING_PATH = path.resolve(import.meta.dirname, '../fixtures/sillytavern-world-info/recorded-1.12.6.json');

/** Runs every case in one SillyTavern 1.12.6 page; about 0.1 s a case after a 20 s start. */
export async function recordWorldInfoCases(cases: readonly WorldInfoCase[]): Promise<WorldInfoRecording> {
  const st = await startSillyTavern(ensureSillyTavern('1.12.6'), { defaultContent: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    const page = await browser.newPage();
    await page.goto(st.url);
    await page.locator('#send_textarea').waitFor({ state: 'attached', timeout: 120_000 });
    // The page finishes loading its settings after the first paint; the tokenizer it picks is read back below.
    for (
      const deadline = Date.now() + 60_000;
      !(await page.evaluate(async () => Boolean((await import('/script.js' as string)).main_api)));
    ) {
      if (Date.now() > deadline) throw new Error('SillyTavern page did not load its settings');
      await page.waitForTimeout(250);
    }
    const tokenizer = await page.evaluate(async () => {
      const script = await import('/script.js' as string);
      const tokenizers = await import('/scripts/tokenizers.js' as string);
      const best = tokenizers.getTokenizerBestMatch(script.main_api);
      return `${Object.entries(tokenizers.tokenizers).find(([, v]) => v === best)?.[0] ?? best} (main_api ${script.main_api}, ${script.online_status})`;
    });
    if (!tokenizer.startsWith('LLAMA ')) throw new Error(`SillyTavern counts with ${tokenizer}, not LLaMA`);
    const recorded: Array<WorldInfoCase & { recorded: RecordedCase }> = [];
    for (const c of cases) recorded.push({ ...c, recorded: await page.evaluate(runCaseInPage, c) });
    return { sillytavern: st.version, tokenizer, recordedAt: new Date().toISOString(), cases: recorded };
  } finally {
    await browser.close();
    await st.stop();
  }
}

/** Runs in the page (serialised by playwright: nothing from this module's scope is visible there). */
async function runCaseInPage(c: WorldInfoCase): Promise<RecordedCase> {
  const wi = await import('/scripts/world-info.js' as string);
  const script = await import('/script.js' as string);
  wi.worldInfoCache.clear();
  for (const book of c.books)
    wi.worldInfoCache.set(book.name, { entries: Object.fromEntries(book.entries.map((e) => [String(e.uid), e])) });
  const chatBook = c.books.find((b) => b.source === 'chat');
  if (chatBook) script.chat_metadata.world_info = chatBook.name;
  else delete script.chat_metadata.world_info;
  script.chat_metadata.timedWorldInfo = {};
  const s = c.settings;
  wi.setWorldInfoSettings(
    {
      world_info: c.books.filter((b) => b.source === 'global').map((b) => b.name),
      world_info_depth: s.depth,
      world_info_min_activations: s.minActivations,
      world_info_min_activations_depth_max: s.minActivationsDepthMax,
      world_info_budget: s.budgetPercent,
      world_info_include_names: true,
      world_info_recursive: s.recursive,
      world_info_overflow_alert: false,
      world_info_case_sensitive: s.caseSensitive,
      world_info_match_whole_words: s.matchWholeWords,
      world_info_character_strategy: 1,
      world_info_budget_cap: s.budgetCap,
      world_info_use_group_scoring: s.useGroupScoring,
      world_info_max_recursion_steps: s.maxRecursionSteps,
    },
    {},
  );
  // mulberry32, as shared/worldinfo's createSeededRandom
  let a = c.seed >>> 0;
  const seeded = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random = Math.random;
  Math.random = seeded;
  let result;
  try {
    const chat = c.messages.map((m) => `${m.name}: ${m.content}`).reverse();
    result = await wi.checkWorldInfo(chat, s.contextSize, false);
  } finally {
    Math.random = random;
  }
  const all = [...result.allActivatedEntries] as Array<Record<string, any>>;
  const anTop: string[] = [];
  const anBottom: string[] = [];
  [...all]
    .sort((x, y) => y.order - x.order)
    .forEach((e) => {
      if (!e.content) return;
      if (e.position === wi.world_info_position.ANTop) anTop.unshift(e.content);
      if (e.position === wi.world_info_position.ANBottom) anBottom.unshift(e.content);
    });
  return {
    id: c.id,
    activated: all.map((e) => ({ world: e.world, uid: e.uid, position: e.position, depth: e.depth ?? null, order: e.order })),
    before: result.worldInfoBefore,
    after: result.worldInfoAfter,
    anTop,
    anBottom,
    examples: result.EMEntries.map((e: { position: number; content: string }) => ({ position: e.position, content: e.content })),
    atDepth: result.WIDepthEntries.map((g: { depth?: number; role: number; entries: string[] }) => ({
      depth: g.depth ?? null,
      role: g.role,
      entries: g.entries,
    })),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const recording = await recordWorldInfoCases(allWorldInfoCases());
  writeFileSync(RECORDING_PATH, `${JSON.stringify(recording, null, 1)}\n`);
  console.log(
    `${recording.cases.length} cases recorded from SillyTavern ${recording.sillytavern} (${recording.tokenizer}) in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${RECORDING_PATH}`,
  );
}
