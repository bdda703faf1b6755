import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

/**
 * The layer rule of ARCHITECTURE.md, run from jest with the committed `.dependency-cruiser.cjs` (the same
 * rules `npm run lint` applies): the project has no violation, and every forbidden arrow between layers is
 * caught, for value and for type-only imports, while the allowed ones and the tests' imports pass.
 */
const LAYERS = ['shared', 'commands', 'projections', 'queries', 'services', 'infra'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may not import (the rest of the project is allowed). */
const FORBIDDEN: Record<Layer, readonly Layer[]> = {
  shared: ['commands', 'projections', 'queries', 'services', 'infra'],
  commands: ['projections', 'queries', 'services'],
  projections: ['commands', 'queries', 'services'],
  queries: ['commands', 'services'],
  infra: ['commands', 'projections', 'queries', 'services'],
  services: [],
};

interface Violation {
  rule: string;
  from: string;
  to: string;
}

let options: ICruiseOptions;

async function errors(paths: string[], baseDir?: string): Promise<Violation[]> {
  const { output } = await cruise(paths, { ...options, ...(baseDir ? { baseDir } : {}) });
  const result = output as ICruiseResult;
  return result.summary.violations
    .filter((v) => v.rule.severity === 'error')
    .map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }))
    .sort((a, b) => `${a.from} ${a.to}`.localeCompare(`${b.from} ${b.to}`));
}

beforeAll(async () => {
  options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
});

describe('the layers of this repository', () => {
  it('import one way: no violation of the layer rule', async () => {
    expect(await errors([...LAYERS])).toEqual([]);
  }, 60_000);
});

describe('the layer rule', () => {
  let root: string;
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  };
  /** A module in `from` importing `to`'s module, by value or by type only. */
  const importer = (to: string, typeOnly: boolean) =>
    typeOnly
      ? `import type { Target } from '${to}';\nexport type Used = Target;\n`
      : `import { target } from '${to}';\nexport const used = target;\n`;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'layers-'));
    for (const from of LAYERS) {
      await write(`${from}/target.ts`, "export type Target = string;\nexport const target = 'x';\n");
      for (const to of LAYERS.filter((l) => l !== from)) {
        await write(`${from}/uses-${to}.ts`, importer(`../${to}/target.ts`, false));
        await write(`${from}/types-${to}.ts`, importer(`../${to}/target.ts`, true));
        // Tests may import across layers, wherever they are.
        await write(`${from}/__tests__/uses-${to}.unit.spec.ts`, importer(`../../${to}/target.ts`, false));
        await write(`${from}/uses-${to}.spec.ts`, importer(`../${to}/target.ts`, false));
      }
    }
    // Imports without an import statement count too: a dynamic import, a type reached through `import()`.
    await write('shared/loads-infra.ts', "export const load = () => import('../infra/target.ts');\n");
    await write('commands/names-projections.ts', "export type Named = import('../projections/target.ts').Target;\n");
    for (const folder of ['test', 'bench'])
      for (const to of LAYERS) await write(`${folder}/uses-${to}.ts`, importer(`../${to}/target.ts`, false));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('flags exactly the forbidden arrows, by value and by type, and nothing from tests', async () => {
    const found = await errors([...LAYERS, 'test', 'bench'], root);
    const arrows = (v: Violation) => `${v.from} -> ${v.to}`;
    const expected = LAYERS.flatMap((from) =>
      FORBIDDEN[from].flatMap((to) => [`${from}/types-${to}.ts -> ${to}/target.ts`, `${from}/uses-${to}.ts -> ${to}/target.ts`]),
    );
    expected.push('shared/loads-infra.ts -> infra/target.ts', 'commands/names-projections.ts -> projections/target.ts');
    expect(found.map(arrows).sort()).toEqual(expected.sort());
    expect(found.length).toBe(2 * Object.values(FORBIDDEN).flat().length + 2);
  }, 60_000);

  it('names the rule an arrow breaks', async () => {
    const found = await errors(['shared', 'commands', 'projections', 'queries', 'infra'], root);
    const ruleOf = (from: string, to: string) => found.find((v) => v.from === `${from}/uses-${to}.ts`)?.rule;
    expect(ruleOf('shared', 'infra')).toBe('shared-imports-nothing-else');
    expect(ruleOf('commands', 'projections')).toBe('commands-not-projections-queries-services');
    expect(ruleOf('projections', 'commands')).toBe('projections-not-commands-queries-services');
    expect(ruleOf('queries', 'commands')).toBe('queries-not-commands-services');
    expect(ruleOf('infra', 'services')).toBe('infra-implements-shared-ports');
  }, 60_000);
});
