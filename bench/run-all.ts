import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run bench [name-filter]`: runs every bench/*.bench.ts in turn, each in its own process. The long ones
 * (OPT_IN) run only when the filter names them: `npm run bench -- soak`.
 */
const OPT_IN = ['soak.bench.ts', 'rebuild-1m.bench.ts'];
const filter = process.argv[2];
const dir = path.join(process.cwd(), 'bench');
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && (filter ? f.includes(filter) : !OPT_IN.includes(f)))
  .sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n=== ${script}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join('bench', script)], { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } });
  console.log(
    `=== ${script}: ${r.status === 0 ? 'done' : `FAILED (${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
