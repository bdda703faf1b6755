import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startOpenAIUpstream, type OpenAIUpstream } from '../../sillytavern/openai-upstream.ts';
import { eventually } from '../../eventually.ts';
import { startTestService, TEST_API_KEY, type TestService } from '../../harness.ts';
import { ensureConsoleBuilt } from '../console-build.ts';

/**
 * The web console end to end in Debian's chromium against the real service (PostgreSQL, projector, worker) with a
 * local stand-in provider: sign in, import Seraphina, start a chat, send and watch the reply stream in, regenerate
 * and swipe back, edit a lore entry and see Explain change, time travel on the character, two tabs in step,
 * no critical axe-core violation, a 390-pixel screen without horizontal scrolling. Screenshots of the library, a chat
 * and the lore explain view go to test/console/screenshots/ (git-ignored), or to docs/images/ for the README with
 * UPDATE_SCREENSHOTS=1.
 */
const IMAGES = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(import.meta.dirname, '../../../docs/images')
  : path.resolve(import.meta.dirname, '../screenshots');
const SERAPHINA = path.resolve(import.meta.dirname, '../../fixtures/cards/Seraphina.png');
const REPLY_PIECES = ['Easy now, ', 'traveler. ', 'You are safe ', 'in my glade; ', 'rest while ', 'the forest keeps watch.'];
const SECOND_REPLY = 'The beasts of the wood are quiet tonight.';

describe('web console', () => {
  let upstream: OpenAIUpstream;
  let svc: TestService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const shot = (name: string, p: Page = page) => p.screenshot({ path: path.join(IMAGES, `console-${name}.png`) });

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(IMAGES, { recursive: true });
    upstream = await startOpenAIUpstream();
    upstream.reply({ text: REPLY_PIECES.join(''), textChunks: REPLY_PIECES, delayMs: 60 }, { text: SECOND_REPLY, delayMs: 20 });
    upstream.setDefaultReply({ text: SECOND_REPLY });
    svc = await startTestService({
      env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'stand-in-small', LLM_TIMEOUT_MS: '10000' },
      roles: { api: true, projector: true, worker: true },
    });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await upstream?.close();
  }, 60_000);

  test('serves the console at / with a strict CSP and long-cached hashed assets', async () => {
    const res = await fetch(`${svc.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    expect(asset).toMatch(/-[\w-]{8,}\.js$/);
    const js = await fetch(`${svc.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
  });

  test('a new user signs in, imports Seraphina, chats with a streamed reply, regenerates and swipes back', async () => {
    await page.goto(svc.url);
    await page.getByLabel('API key').fill(TEST_API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Import character').setInputFiles(SERAPHINA);
    const card = page.getByRole('listitem', { name: 'Seraphina' });
    await expect(card.getByRole('link', { name: 'Open Seraphina' })).toBeDefined();
    await card.waitFor();
    await shot('library');

    await card.getByRole('button', { name: 'Start chat' }).click();
    await page.getByRole('log', { name: 'Conversation' }).getByText('You wake with a start', { exact: false }).waitFor();

    // Token by token: every text the streaming reply shows is recorded in the page as it changes.
    await page.evaluate(() => {
      const g = globalThis as any;
      g.streamTexts = [];
      new g.MutationObserver(() => {
        const reply = g.document.querySelector('[data-testid="streaming-reply"]');
        const text = reply?.textContent;
        if (text && text !== '…' && g.streamTexts[g.streamTexts.length - 1] !== text) g.streamTexts.push(text);
      }).observe(g.document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('textbox', { name: 'Message' }).fill('Where am I?');
    await page.getByRole('button', { name: 'Send' }).click();
    const log = page.getByRole('log', { name: 'Conversation' });
    await log.getByText('the forest keeps watch.', { exact: false }).waitFor();
    await page.getByTestId('streaming-reply').waitFor({ state: 'detached' });
    const seen = await page.evaluate(() => (globalThis as any).streamTexts as string[]);
    expect(seen.length).toBeGreaterThan(1);
    for (const text of seen) expect(REPLY_PIECES.join('').startsWith(text)).toBe(true);
    await shot('chat');

    await page.getByRole('button', { name: 'Regenerate' }).click();
    await log.getByText(SECOND_REPLY).waitFor();
    const last = log.getByRole('article').last();
    await last.getByLabel('Alternate', { exact: true }).getByText('2 / 2').waitFor();
    await last.getByRole('button', { name: 'Previous alternate' }).click();
    await log.getByText('the forest keeps watch.', { exact: false }).waitFor();
    await log.getByRole('article').last().getByLabel('Alternate', { exact: true }).getByText('1 / 2').waitFor();

    // A message with an image: posted with it, shown in the conversation, then answered.
    await page.getByLabel('Attach image').setInputFiles(path.resolve(import.meta.dirname, '../../fixtures/cards/no-card-metadata.png'));
    await page.getByRole('textbox', { name: 'Message' }).fill('Look at this.');
    await page.getByRole('button', { name: 'Send' }).click();
    await log.getByRole('img', { name: 'Attached image' }).waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
  }, 120_000);

  test('editing a lore entry changes what Explain shows for the open chat', async () => {
    await page.getByRole('link', { name: 'Lorebooks' }).click();
    await page.getByRole('navigation', { name: 'Books' }).getByRole('link').first().click();
    await page.getByRole('list', { name: 'Entries' }).getByRole('button', { name: 'shadowfang' }).click();
    const explain = page.getByRole('complementary', { name: 'Explain' });
    const shadowfang = explain.getByRole('listitem').filter({ hasText: 'shadowfang' });
    // The last reply speaks of "beasts": the entry fires on the chat as it is.
    await shadowfang.getByText('fired', { exact: true }).waitFor();

    const keyList = page.getByRole('list', { name: 'Keys', exact: true });
    while ((await keyList.getByRole('button').count()) > 0) await keyList.getByRole('button').first().click();
    const keys = page.getByRole('textbox', { name: 'Keys', exact: true });
    await keys.fill('/wyrm[s/');
    await page.getByText('Invalid regular expression', { exact: false }).waitFor();
    await keys.fill('/wyrms?/i');
    await keys.press('Enter');
    await expect(keyList.getByRole('listitem').allTextContents()).resolves.toEqual(['/wyrms?/i×']);
    await page.getByRole('button', { name: 'Save entry' }).click();
    await shadowfang.getByText('did not fire', { exact: true }).waitFor();

    // The book's history: the edit is its latest version, and "as of" it shows the new key.
    await page.getByRole('button', { name: 'History' }).click();
    const timeline = page.getByRole('list', { name: 'Book history timeline' });
    await timeline.getByRole('button').first().click();
    await page
      .getByRole('table', { name: /^As of version/ })
      .getByText('/wyrms?/i', { exact: false })
      .waitFor();
    await shot('lore-explain');
  }, 60_000);

  test('time travel: the character as it was at version 1, with the diff of a later change', async () => {
    await page.getByRole('link', { name: 'Library' }).click();
    await page.getByRole('link', { name: 'Open Seraphina' }).click();
    await page.getByLabel('Creator', { exact: true }).fill('The console test');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2').waitFor();
    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.getByRole('button', { name: 'Version 2' }).click();
    const detail = page.getByRole('region', { name: 'Version 2' });
    await detail.getByText('The console test').waitFor();
    await page.getByRole('button', { name: 'Version 1' }).click();
    await page.getByRole('heading', { name: /As of version 1/ }).waitFor();
  }, 60_000);

  test('two tabs stay in step through the event feed', async () => {
    const other = await context.newPage();
    await other.goto(`${svc.url}/#/library`);
    // The second tab gets the key from the first (no second sign-in) and shows the library.
    await other.getByRole('listitem', { name: 'Seraphina' }).waitFor();
    await page.getByRole('link', { name: 'Library' }).click();
    await page.getByLabel('Import character').setInputFiles({
      name: 'Keeper.json',
      mimeType: 'application/json',
      buffer: Buffer.from(
        JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'Keeper', description: 'Keeps the gate' } }),
      ),
    });
    await page.getByRole('listitem', { name: 'Keeper' }).waitFor();
    await other.getByRole('listitem', { name: 'Keeper' }).waitFor({ timeout: 10_000 });
    await other.close();
  }, 60_000);

  test('a persona: created as the default, chosen for a chat, its description in the prompt', async () => {
    await page.getByRole('link', { name: 'Personas' }).click();
    await page.getByLabel('Persona name').fill('Ann');
    await page.getByLabel('Persona description').fill('Ann is a wandering bard with a lute.');
    await page.getByLabel('Default persona').check();
    await page.getByRole('button', { name: 'Create persona' }).click();
    await page.getByRole('listitem', { name: 'Ann' }).getByText('Ann (default)').waitFor();

    await page.getByRole('link', { name: 'Library' }).click();
    await page.getByRole('listitem', { name: 'Seraphina' }).getByRole('button', { name: 'Start chat' }).click();
    await page.getByRole('log', { name: 'Conversation' }).getByRole('article').first().waitFor();
    const chatId = page.url().split('/chats/')[1]!;
    const persona = page.getByLabel('Persona', { exact: true });
    await persona.selectOption({ label: 'Ann' });
    const personaOfChat = await eventually(
      async () => (await svc.request('GET', `/api/v1/character_chats/${chatId}`)).body.settings?.persona_id ?? null,
      (id) => id !== null,
    );
    expect(personaOfChat).not.toBeNull();
    const prepared = await svc.request('POST', `/api/v1/character_chats/${chatId}/prepare`, { body: { message: 'Hello' } });
    expect(JSON.stringify(prepared.body.messages)).toContain('Ann is a wandering bard with a lute.');
  }, 60_000);

  test('a group chat: members with their avatars, both answering in list order', async () => {
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByLabel('Group name').fill('Glade');
    const form = page.getByRole('form', { name: 'New group' });
    await form.getByLabel('Seraphina').check();
    await form.getByLabel('Keeper').check();
    await page.getByLabel('Who speaks next').selectOption('list');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('listitem', { name: 'Glade' }).getByRole('button', { name: 'Start group chat' }).click();
    const log = page.getByRole('log', { name: 'Conversation' });
    await log.getByRole('article').first().waitFor();
    await page.getByRole('textbox', { name: 'Message' }).fill('Hello, both of you.');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('streaming-reply').waitFor({ state: 'detached', timeout: 30_000 });
    await log.getByRole('article', { name: 'Keeper said' }).last().waitFor();
    await log.getByRole('article', { name: 'Seraphina said' }).last().waitFor();
  }, 90_000);

  test('usage shows the completions with a chart and the providers; a chat dictionary rewrites a text', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('img', { name: 'Completions and tokens per day' }).waitFor();
    const completions = page.getByRole('definition').nth(1);
    expect(Number(await completions.textContent())).toBeGreaterThanOrEqual(2);
    await page.getByRole('table').getByRole('rowheader').first().waitFor();

    await page.getByRole('link', { name: 'Dictionaries' }).click();
    await page.getByLabel('New dictionary').fill('Spelling');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Spelling' }).waitFor();
    await page.getByLabel('Pattern').fill('colour');
    await page.getByLabel('Replacement').fill('color');
    await page.getByRole('button', { name: 'Add entry' }).click();
    await page.getByRole('table', { name: 'Entries' }).getByText('colour').waitFor();
    await page.getByLabel('Try on a text').fill('The colour of the sky');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('The color of the sky').waitFor();
  }, 60_000);

  test('no critical accessibility violation, and no horizontal scrolling at 390 pixels', async () => {
    const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    const critical = async (p: Page) => {
      await p.evaluate(axeSource);
      const result = await p.evaluate(async () =>
        (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }),
      );
      return result.violations.filter((v: { impact: string }) => v.impact === 'critical').map((v: { id: string }) => v.id);
    };
    await page.getByRole('link', { name: 'Library' }).click();
    await page.getByRole('listitem', { name: 'Seraphina' }).waitFor();
    expect(await critical(page)).toEqual([]);
    await page.getByRole('listitem', { name: 'Seraphina' }).getByRole('link').click();
    await page.getByRole('tab', { name: /Chats/ }).click();
    await page.getByRole('list', { name: 'Chats' }).getByRole('link').first().click();
    await page.getByRole('log', { name: 'Conversation' }).getByRole('article').first().waitFor();
    expect(await critical(page)).toEqual([]);

    await page.setViewportSize({ width: 390, height: 844 });
    for (const hash of ['#/library', '#/lorebooks', '#/usage', '#/dictionaries', '#/personas', '#/groups']) {
      await page.goto(`${svc.url}/${hash}`);
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate(() => {
        const root = (globalThis as any).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      expect(overflow).toBeLessThanOrEqual(0);
    }
  }, 60_000);
});
