import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestService, TEST_API_KEY, type TestService } from '../../harness.ts';
import { startOpenAIUpstream, UPSTREAM_MODELS, type OpenAIUpstream } from '../openai-upstream.ts';
import { ensureSillyTavern, type SillyTavernVersion } from '../sillytavern-install.ts';
import { startSillyTavern, type SillyTavernServer } from '../sillytavern-server.ts';

/**
 * The README's "Use it from SillyTavern", done by a new user in SillyTavern's real web UI in Debian's chromium:
 * connect with the base URL …/v1 and the key, see the characters in the model list, pick one, chat, read the
 * streamed reply, swipe. With the current release each step saves a screenshot (sillytavern-*.png) into
 * test/sillytavern/screenshots/ (git-ignored), or into docs/images/ where the README shows them when the run is
 * asked to refresh them (`UPDATE_SCREENSHOTS=1`), so a plain test run never changes a tracked file. 1.12.6 walks
 * the same steps (same ids in its public/index.html, which the selectors come from) without screenshots.
 */
const IMAGES = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(import.meta.dirname, '../../../docs/images')
  : path.resolve(import.meta.dirname, '../screenshots');
const REPLY = 'Easy now, traveler. You are safe in my glade; rest while the forest keeps watch.';

describe.each<SillyTavernVersion>(['1.19.0', '1.12.6'])('SillyTavern %s web UI', (version) => {
  let upstream: OpenAIUpstream;
  let svc: TestService;
  let st: SillyTavernServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let readableId: string;
  let characterId: string;

  const shot = async (name: string) => {
    if (version !== '1.19.0') return;
    // Notifications (e.g. "Persona Changed") close on a click, as a user would close them, so they hide nothing.
    for (const toast of await page.locator('#toast-container .toast').all()) await toast.click().catch(() => undefined);
    await page
      .locator('#toast-container .toast')
      .first()
      .waitFor({ state: 'detached', timeout: 5_000 })
      .catch(() => undefined);
    await page.screenshot({ path: path.join(IMAGES, `sillytavern-${name}.png`) });
  };

  beforeAll(async () => {
    mkdirSync(IMAGES, { recursive: true });
    const install = ensureSillyTavern(version);
    upstream = await startOpenAIUpstream();
    upstream.setDefaultReply({
      text: REPLY,
      textChunks: ['Easy now, traveler. ', 'You are safe in my glade; ', 'rest while the forest keeps watch.'],
    });
    svc = await startTestService({
      env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'stand-in-small', LLM_TIMEOUT_MS: '5000' },
      roles: { api: true, projector: true, worker: true },
    });
    const created = await svc.request('POST', '/api/v1/characters', {
      body: { name: 'Seraphina', description: 'A guardian of the Eldoria forest', first_mes: 'Easy now. You were hurt.' },
    });
    expect(created.status).toBe(201);
    characterId = created.body.id;
    readableId = `character:seraphina-${characterId.replace(/-/g, '').slice(-4)}`;
    st = await startSillyTavern(install, { defaultContent: true });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await st?.stop();
    await svc?.close();
    await upstream?.close();
  }, 60_000);

  test('a new user connects to …/v1, picks a character model, reads its streamed reply and swipes', async () => {
    await page.goto(st!.url);
    // First run: SillyTavern asks for the user's name.
    const welcome = page.locator('.popup:has(.onboarding)');
    await welcome.waitFor({ state: 'visible', timeout: 30_000 });
    await welcome.locator('.popup-input').fill('User');
    await shot('1-welcome');
    await welcome.locator('.popup-button-ok').click();
    await welcome.waitFor({ state: 'hidden' });

    // The plug icon: API connections. Chat Completion, then Custom (OpenAI-compatible).
    await page.locator('#API-status-top').click();
    await page.locator('#main_api').selectOption('openai');
    await page.locator('#chat_completion_source').selectOption('custom');
    await page.locator('#custom_api_url_text').fill(`http://127.0.0.1:${new URL(svc.url).port}/v1`);
    await page.locator('#api_key_custom').fill(TEST_API_KEY);
    await shot('2-connection');
    await page.locator('#api_button_openai').click();
    // The status line under Connect (one per API; the shown one is the chosen API's).
    const status = page.locator('#rm_api_block .online_status_text:visible');
    await status.filter({ hasText: /^Valid$/ }).waitFor({ timeout: 20_000 });
    await expect(status.innerText()).resolves.toBe('Valid');
    const models = await page.locator('#model_custom_select option').evaluateAll((options) => options.map((o) => o.getAttribute('value')));
    expect(models).toEqual(expect.arrayContaining([...UPSTREAM_MODELS, readableId]));
    await page.locator('#model_custom_select').selectOption(readableId);
    await expect(page.locator('#model_custom_select').inputValue()).resolves.toBe(readableId);
    await shot('3-connected');

    // AI Response Configuration (the sliders icon): Streaming on.
    await page.locator('#leftNavDrawerIcon').click();
    await page.locator('#stream_toggle').check();
    await page.locator('#leftNavDrawerIcon').click();

    await page.locator('#send_textarea').fill('Where am I?');
    await page.locator('#send_but').click();
    const reply = page.locator('#chat .mes[is_user="false"] .mes_text').last();
    await reply.filter({ hasText: 'rest while the forest keeps watch.' }).waitFor({ timeout: 20_000 });
    await expect(reply.innerText()).resolves.toContain(REPLY);
    await shot('4-reply');
    const sent = upstream.requests.filter((r) => r.method === 'POST').at(-1)!.body as { stream?: boolean };
    expect(sent.stream).toBe(true);

    // The swipe arrow: another take, kept as an alternate of that reply in the one stored chat.
    upstream.reply({ text: 'Hush now. The glade hides you from the shadowfangs.' });
    await page.locator('#chat .mes.last_mes .swipe_right').click();
    await reply.filter({ hasText: 'The glade hides you from the shadowfangs.' }).waitFor({ timeout: 20_000 });
    const counter = await page.locator('#chat .mes.last_mes .swipes-counter').first().innerText();
    expect(counter.replace(/\u200b/g, '')).toBe('2/2');
    await shot('5-swipe');
    const chats = await svc.request('GET', `/api/v1/character_chats?character_id=${characterId}&limit=100`);
    expect(chats.body.items).toHaveLength(1);
    const messages = await svc.request('GET', `/api/v1/character_messages/chats/${chats.body.items[0].id}/messages?limit=50`);
    expect((messages.body.items as Array<{ sender: string; content: string; alternate_count: number }>).at(-1)).toMatchObject({
      sender: 'assistant',
      content: 'Hush now. The glade hides you from the shadowfangs.',
      alternate_count: 2,
    });
  }, 120_000);
});
