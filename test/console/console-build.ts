import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const CONSOLE_DIST = path.join(ROOT, 'web/dist');

/** The built console (npm ci builds it; a checkout whose build is missing gets one here, as `npm run build:console`). */
export function ensureConsoleBuilt(): void {
  if (existsSync(path.join(CONSOLE_DIST, 'index.html'))) return;
  execFileSync(process.execPath, [path.join(ROOT, 'web/build.ts')], { cwd: ROOT, stdio: 'inherit' });
}
