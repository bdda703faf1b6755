import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { writeResult } from '../bench-kit.ts';

/**
 * A bench prints its numbers; a person puts them in BENCHMARKS.md with the machine and its load. No bench may
 * rewrite BENCHMARKS.md or any other file of the repository by itself: raw numbers go only through
 * bench-kit's writeResult, into the git-ignored bench/results/.
 */
const benchDir = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(benchDir, '..');

/** Files allowed to write: bench-kit (writeResult into bench/results, temporary folders) and the GC probe (a temp file the bench names). */
const WRITERS = new Set(['bench-kit.ts', 'full-gc-on-signal.ts']);
const FILE_WRITE =
  /\b(writeFileSync|writeFile|appendFileSync|appendFile|createWriteStream|renameSync|rename|copyFileSync|copyFile|cpSync|truncateSync|openSync)\s*\(/;

const benchSources = () =>
  readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: f, code: readFileSync(path.join(benchDir, f), 'utf8') }));

describe('benches write no tracked file', () => {
  test('no bench script writes files itself (only through writeResult)', () => {
    const offenders = benchSources()
      .filter(({ file }) => !WRITERS.has(file))
      .flatMap(({ file, code }) =>
        code
          .split('\n')
          .map((line, i) => ({ line: line.trim(), at: `${file}:${i + 1}` }))
          .filter(({ line }) => !line.startsWith('*') && !line.startsWith('//') && FILE_WRITE.test(line))
          .map(({ line, at }) => `${at}: ${line}`),
      );
    expect(offenders).toEqual([]);
  });

  test('no bench names BENCHMARKS.md or README.md as a file to open', () => {
    const offenders = benchSources()
      .filter(({ code }) => /['"`](?:[^'"`\n]*\/)?(BENCHMARKS|README)\.md['"`]/.test(code))
      .map(({ file }) => file);
    expect(offenders).toEqual([]);
  });

  test('writeResult writes into a git-ignored folder, never a tracked file', () => {
    const name = `writes-probe-${process.pid}`;
    writeResult(name, { probe: true });
    const written = path.join(repoRoot, 'bench', 'results', `${name}.json`);
    try {
      expect(existsSync(written)).toBe(true);
      // git check-ignore exits 0 when the path is ignored (and throws otherwise).
      execFileSync('git', ['check-ignore', '-q', path.relative(repoRoot, written)], { cwd: repoRoot });
      expect(execFileSync('git', ['ls-files', 'bench/results'], { cwd: repoRoot, encoding: 'utf8' }).trim()).toBe('');
    } finally {
      rmSync(written, { force: true });
    }
  });
});
