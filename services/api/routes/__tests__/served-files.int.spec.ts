/**
 * What is served back is safe: hostile CharX files built here (an SVG main icon, `.html` and `.svg` assets, asset
 * names and extensions holding quotes and CR/LF, an HTML page that calls itself a PNG) are imported over real HTTP,
 * then every file is fetched back. Only bytes that are a raster image go inline, with the type their bytes show;
 * everything else is an application/octet-stream attachment; Content-Disposition is one well-formed header; every
 * file answer carries `X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none'; sandbox`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import contentDisposition from 'content-disposition';
import { zipSync } from 'fflate';
import { buildPng, utf8 } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const SVG = utf8('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>');
const HTML = utf8('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
const PNG = buildPng();
const INJECTION = `x"; filename*=UTF-8''evil.html`;

interface AssetSpec {
  key: string;
  ref: { type: string; name: string; ext: string };
  bytes: Uint8Array;
}

const ASSETS: AssetSpec[] = [
  { key: 'html', ref: { type: 'other', name: 'page', ext: 'html' }, bytes: HTML },
  { key: 'svg', ref: { type: 'emotion', name: 'smile', ext: 'svg' }, bytes: SVG },
  { key: 'quote-name', ref: { type: 'emotion', name: INJECTION, ext: 'png' }, bytes: buildPng([], { width: 2 }) },
  { key: 'quote-ext', ref: { type: 'emotion', name: 'happy', ext: `png"; filename*=UTF-8''evil.html` }, bytes: buildPng([], { width: 3 }) },
  { key: 'crlf', ref: { type: 'emotion', name: 'a\r\nX-Injected: yes', ext: 'png\r\nX-Injected: yes' }, bytes: buildPng([], { width: 4 }) },
  { key: 'html-as-png', ref: { type: 'emotion', name: 'liar', ext: 'png' }, bytes: HTML },
  { key: 'real-png', ref: { type: 'emotion', name: 'plain', ext: 'html' }, bytes: PNG },
];

function hostileCharx(name: string, icon: { bytes: Uint8Array; ext: string }): Uint8Array {
  const files: Record<string, Uint8Array> = { [`assets/icon/main.${icon.ext}`]: icon.bytes };
  const refs: Array<Record<string, string>> = [
    { type: 'icon', uri: `embeded://assets/icon/main.${icon.ext}`, name: 'main', ext: icon.ext },
  ];
  ASSETS.forEach((a, i) => {
    files[`assets/other/f${i}.bin`] = a.bytes;
    refs.push({ ...a.ref, uri: `embeded://assets/other/f${i}.bin` });
  });
  const card = { spec: 'chara_card_v3', spec_version: '3.0', data: { name, first_mes: 'hello', assets: refs } };
  return zipSync({ 'card.json': utf8(JSON.stringify(card)), ...files });
}

function expectFileHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
}

/** The header parses as one disposition with at most one `filename` and one `filename*` (no injected parameter). */
function parsedDisposition(headers: Headers) {
  const raw = headers.get('content-disposition')!;
  expect(raw).toBeTruthy();
  expect(raw.match(/filename\*=/g)?.length ?? 0).toBeLessThanOrEqual(1);
  expect(raw).not.toMatch(/[\r\n]/);
  return contentDisposition.parse(raw);
}

async function importCharx(bytes: Uint8Array, filename: string) {
  const res = await svc.upload('/api/v1/characters/import', { bytes, filename });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('files served back', () => {
  test('an SVG main icon is never served inline as an image: an octet-stream attachment', async () => {
    const id = await importCharx(hostileCharx('Svg Icon', { bytes: SVG, ext: 'svg' }), 'svg-icon.charx');
    const image = await svc.download(`/api/v1/characters/${id}/image`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('application/octet-stream');
    expect(parsedDisposition(image.headers).type).toBe('attachment');
    expectFileHeaders(image.headers);
    expect(Buffer.from(image.bytes).equals(Buffer.from(SVG))).toBe(true);
  });

  test('assets: raster bytes inline with their sniffed type, anything else an attachment; names never break the header', async () => {
    const id = await importCharx(hostileCharx('Hostile Assets', { bytes: PNG, ext: 'png' }), 'hostile.charx');
    const list = await svc.request('GET', `/api/v1/characters/${id}/assets`);
    expect(list.status).toBe(200);
    const served = new Map<
      string,
      { status: number; type: string | null; disposition: ReturnType<typeof contentDisposition.parse>; headers: Headers; bytes: Uint8Array }
    >();
    for (const spec of ASSETS) {
      const index = list.body.items.findIndex((a: { name: string }) => a.name === spec.ref.name);
      expect(index).toBeGreaterThanOrEqual(0);
      const res = await svc.download(`/api/v1/characters/${id}/assets/${index}`);
      expect({ key: spec.key, status: res.status }).toEqual({ key: spec.key, status: 200 });
      expectFileHeaders(res.headers);
      expect(res.headers.get('x-injected')).toBeNull();
      expect(Buffer.from(res.bytes).equals(Buffer.from(spec.bytes))).toBe(true);
      served.set(spec.key, {
        status: res.status,
        type: res.headers.get('content-type'),
        disposition: parsedDisposition(res.headers),
        headers: res.headers,
        bytes: res.bytes,
      });
    }
    for (const key of ['html', 'svg', 'html-as-png']) {
      expect({ key, type: served.get(key)!.type, disposition: served.get(key)!.disposition.type }).toEqual({
        key,
        type: 'application/octet-stream',
        disposition: 'attachment',
      });
    }
    for (const key of ['quote-name', 'quote-ext', 'crlf', 'real-png']) {
      expect({ key, type: served.get(key)!.type, disposition: served.get(key)!.disposition.type }).toEqual({
        key,
        type: 'image/png',
        disposition: 'inline',
      });
    }
    expect(served.get('html')!.disposition.parameters.filename).toBe('page.html');
    // A real PNG named `.html` is inline under a name with its real extension.
    expect(served.get('real-png')!.disposition.parameters.filename).toBe('plain.png');
    // The quote stays inside the one file name: no second `filename*` naming an .html file.
    expect(served.get('quote-name')!.disposition.parameters.filename).toBe(`${INJECTION}.png`);
    expect(served.get('quote-ext')!.disposition.parameters.filename).toBe('happy.png');
    expect(served.get('crlf')!.disposition.parameters.filename).toBe('a_X-Injected: yes.png');
  });

  test('message images and card exports carry the file headers too', async () => {
    const character = await svc.request('POST', '/api/v1/characters', { body: { name: `Exporter "quoted"\u00e9\u65e5` } });
    expect(character.status).toBe(201);
    const exported = await svc.download(`/api/v1/characters/${character.body.id}/export?format=json`);
    expect(exported.status).toBe(200);
    expectFileHeaders(exported.headers);
    const disposition = parsedDisposition(exported.headers);
    expect(disposition).toMatchObject({ type: 'attachment', parameters: { filename: `Exporter "quoted"\u00e9\u65e5.json` } });

    const chat = await svc.request('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } });
    const message = await svc.request('POST', `/api/v1/character_messages/chats/${chat.body.id}/messages`, {
      body: { sender: 'user', content: 'look', image_base64: Buffer.from(PNG).toString('base64') },
    });
    expect(message.status).toBe(201);
    const image = await svc.download(`/api/v1/character_messages/messages/${message.body.id}/image`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(parsedDisposition(image.headers).type).toBe('inline');
    expectFileHeaders(image.headers);
  });
});
