/**
 * What the service loads before anything asks for it. A fresh Node process imports the all-in-one service's module
 * graph (what `services/all-in-one/main.ts` imports, without starting it) and the CPU-pool thread's, recording every
 * npm package a module is loaded from: heavy packages that idle processes never use must not be among them, and
 * load on their first use.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

const CHILD = `
import { registerHooks } from 'node:module';
import { readFileSync } from 'node:fs';
const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url);
    if (m) loaded.add(m[1]);
    return nextLoad(url, context);
  },
});
const root = process.env.ROOT;
for (const entry of ['services/api/server.ts', 'services/runtime.ts', 'services/process.ts', 'infra/cpu/cpu-tasks.ts']) {
  await import(root + '/' + entry);
}
const atImport = [...loaded];
const { pngAvatar } = await import(root + '/services/characters/character-export.ts');
const png = await pngAvatar({ bytes: new Uint8Array(readFileSync(process.env.WEBP)), mime: 'image/webp' });
console.log(JSON.stringify({ atImport, afterTranscode: [...loaded], mime: png.mime, signature: [...png.bytes.subarray(0, 4)] }));
`;

interface ChildReport {
  atImport: string[];
  afterTranscode: string[];
  mime: string;
  signature: number[];
}

let report: ChildReport;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lazy-modules-'));
  const webp = path.join(dir, 'avatar.webp');
  writeFileSync(
    webp,
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#4080c0' } })
      .webp()
      .toBuffer(),
  );
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ROOT, WEBP: webp },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (child.status !== 0) throw new Error(`child failed (${child.status}): ${child.stderr}`);
  report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ChildReport;
}, 150_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the service graph imports real dependencies (the recorder sees npm packages)', () => {
  expect(report.atImport).toEqual(expect.arrayContaining(['express', 'kysely', 'pg', 'zod']));
});

test('sharp (libvips, ~20 MB resident) is not loaded by importing the service', () => {
  expect(report.atImport).not.toContain('sharp');
});

test('tokenizer data is not loaded by importing the service', () => {
  for (const data of ['js-tiktoken', 'llama-tokenizer-js', 'mistral-tokenizer-js', 'llama3-tokenizer-js', '@anthropic-ai/tokenizer']) {
    expect(report.atImport).not.toContain(data);
  }
});

test('sharp loads on the first transcode, which yields a PNG', () => {
  expect(report.afterTranscode).toContain('sharp');
  expect(report.mime).toBe('image/png');
  expect(report.signature).toEqual([0x89, 0x50, 0x4e, 0x47]);
});
