/**
 * Builds the web console into web/dist (run by `npm ci` through the `prepare` script, and by `npm run build:console`).
 * An install without dev dependencies (the Docker image's deps stage) has no vite: it says so and builds nothing,
 * and the service then answers `/` with a page that says how to build the console.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

if (!existsSync(`${root}/index.html`)) {
  console.log('web console: sources not present, nothing to build');
  process.exit(0);
}
let vite: typeof import('vite');
try {
  vite = await import('vite');
} catch {
  console.warn('web console: vite is not installed (dev dependencies omitted), the console is not built');
  process.exit(0);
}
const started = Date.now();
await vite.build({ configFile: `${root}/vite.config.ts`, logLevel: 'warn' });
console.log(`web console: built into web/dist in ${Date.now() - started} ms`);
