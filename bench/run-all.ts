import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/** `npm run bench [name-filter]`: runs every bench/*.bench.ts in turn, each in its own process. */
const filter = process.argv[2];
const dir = path.join(process.cwd(), 'bench');
/** Long benchmarks run only when named (`npm run bench -- rebuild-1m`). */
const OPT_IN = new Set(['rebuild-1m.bench.ts']);
const scripts = readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && (filter ? f.includes(filter) : !OPT_IN.has(f))).sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n=== ${script}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join('bench', script)], { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } });
  console.log(`=== ${script}: ${r.status === 0 ? 'done' : `FAILED (${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
