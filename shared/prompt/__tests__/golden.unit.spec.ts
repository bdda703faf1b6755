import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GOLDEN_CASES, goldenView, runGoldenCase } from './golden-cases.ts';

const golden = (name: string) => path.resolve(process.cwd(), 'shared/prompt/__tests__/golden', `${name}.json`);

describe('golden prompts: Seraphina with the Eldoria lorebook', () => {
  test.each(GOLDEN_CASES.map((c) => [c.name, c] as const))('%s', (_name, goldenCase) => {
    const file = JSON.parse(readFileSync(golden(goldenCase.name), 'utf8')) as { expected: unknown };
    // Round-trip through JSON so that absent optional fields compare like the stored file.
    expect(JSON.parse(JSON.stringify(goldenView(runGoldenCase(goldenCase))))).toEqual(file.expected);
  });

  test('every case has a reviewed golden file and every file a case', () => {
    const names = GOLDEN_CASES.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(() => readFileSync(golden(name))).not.toThrow();
  });
});
