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
  malloc: Array<string | undefined>;
  pid: number;
}

let cacheDir: string;
beforeAll(() => {
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'start-compile-cache-'));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function start(args: string[], env: Record<string, string> = {}) {
  const inherited = { ...process.env };
  for (const name of ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']) delete inherited[name];
  return spawnSync(process.execPath, ['services/start.js', ...args], {
    cwd: ROOT,
    env: { ...inherited, NODE_OPTIONS: '', NODE_COMPILE_CACHE: cacheDir, ...env },
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

const linuxOnly = process.platform === 'linux' ? test : test.skip;

linuxOnly('the entry point runs under the malloc settings, in the process that was started', () => {
  const child = start([path.relative(ROOT, PROBE)]);
  const report = JSON.parse(child.stdout.trim()) as ProbeReport;
  expect(report.malloc).toEqual(['2', '131072', '131072']);
  expect(report.pid).toBe(child.pid);
});

linuxOnly('a malloc setting the environment already has is kept', () => {
  expect(probe({ MALLOC_ARENA_MAX: '4' }).malloc).toEqual(['4', '131072', '131072']);
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
