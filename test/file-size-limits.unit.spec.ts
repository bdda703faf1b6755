import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The architecture's size limits (ARCHITECTURE.md): a route file (services/api/routes/) at most 350 lines, any
 * other production file at most 600. Tests, their data and doubles, test helpers and benches are not production.
 */
const ROUTE_FILE_MAX_LINES = 350;
const PRODUCTION_FILE_MAX_LINES = 600;

const isProduction = (path: string) =>
  path.endsWith('.ts') && !/(^|\/)__tests__\//.test(path) && !path.endsWith('.spec.ts') && !/^(test|bench)\//.test(path);

function lineCount(path: string): number {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

const productionFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter(isProduction)
  .map((path) => ({ path, lines: lineCount(path) }));

describe('file size limits', () => {
  it('finds the production files', () => {
    expect(productionFiles.some((f) => f.path === 'services/api/http/route.ts')).toBe(true);
  });

  it(`no route file is over ${ROUTE_FILE_MAX_LINES} lines`, () => {
    const over = productionFiles.filter((f) => f.path.startsWith('services/api/routes/') && f.lines > ROUTE_FILE_MAX_LINES);
    expect(over).toEqual([]);
  });

  it(`no production file is over ${PRODUCTION_FILE_MAX_LINES} lines`, () => {
    expect(productionFiles.filter((f) => f.lines > PRODUCTION_FILE_MAX_LINES)).toEqual([]);
  });
});
