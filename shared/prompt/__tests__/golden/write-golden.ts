/**
 * Writes the expected output of each golden case that has none yet:
 *
 *   node shared/prompt/__tests__/golden/write-golden.ts            # only missing files
 *   node shared/prompt/__tests__/golden/write-golden.ts --rewrite first-turn lore-positions
 *
 * Run from the repository root. A rewritten file must be reviewed again before it is committed: the golden
 * files are the reviewed expectation, not a snapshot of whatever the code does.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GOLDEN_CASES, goldenView, runGoldenCase } from '../golden-cases.ts';

const directory = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const rewrite = new Set(args[0] === '--rewrite' ? args.slice(1) : []);
const unknown = [...rewrite].filter((name) => !GOLDEN_CASES.some((c) => c.name === name));
if (unknown.length > 0) {
  console.error(`unknown case(s): ${unknown.join(', ')}`);
  process.exit(1);
}

for (const goldenCase of GOLDEN_CASES) {
  const file = path.join(directory, `${goldenCase.name}.json`);
  if (existsSync(file) && !rewrite.has(goldenCase.name)) {
    console.log(`kept     ${goldenCase.name}`);
    continue;
  }
  const view = goldenView(runGoldenCase(goldenCase));
  writeFileSync(file, `${JSON.stringify({ case: goldenCase.name, checks: goldenCase.checks, expected: view }, null, 2)}\n`);
  console.log(`written  ${goldenCase.name}  (review it before committing)`);
}
