/**
 * `services/start.js`, the launcher `npm start` uses: the entry point gets its own command line, the compile cache
 * is on for it and (through the environment) for its worker threads, and once the cache is warm Node's TypeScript
 * stripper is not loaded at all.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PROBE = path.join(ROOT, 'services', '__tests__', 'fixtures', 'start-probe.ts');

interface ProbeReport {
  argv: string[];
  argc: number;
  compileCacheDir: string | null;
  envCompileCache: string | null;
  stripperLoaded: boolean;
}

let cacheDir: string;
beforeAll(() => {
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'start-compile-cache-'));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function start(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['services/start.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', NODE_COMPILE_CACHE: cacheDir, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

function probe(env: Record<string, string> = {}): ProbeReport {
  const child = start([path.relative(ROOT, PROBE), '--flag', 'value'], env);
  if (child.status !== 0) throw new Error(`probe failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim()) as ProbeReport;
}

test('the entry point sees the command line it would have had when started directly', () => {
  const report = probe();
  expect(report.argv).toEqual([PROBE, '--flag', 'value']);
  expect(report.argc).toBe(4);
});

test('the compile cache is on, in the folder NODE_COMPILE_CACHE names, and handed on to worker threads', () => {
  const report = probe();
  expect(report.compileCacheDir).toContain(cacheDir);
  expect(report.envCompileCache).toBe(report.compileCacheDir);
  expect(readdirSync(cacheDir).length).toBeGreaterThan(0);
});

test('with the cache warm, the TypeScript stripper is not loaded', () => {
  probe();
  expect(probe().stripperLoaded).toBe(false);
  // Without the cache every start strips the types again.
  expect(probe({ NODE_DISABLE_COMPILE_CACHE: '1' }).stripperLoaded).toBe(true);
});

test('without an entry point it says how to use it', () => {
  const child = start([]);
  expect(child.status).toBe(2);
  expect(child.stderr).toMatch(/usage: node services\/start\.js/);
});
