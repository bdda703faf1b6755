/**
 * Starts a process's entry point with Node's module compile cache on:
 *
 *   node --max-semi-space-size=4 services/start.js services/all-in-one/main.ts [args…]
 *
 * Plain JavaScript on purpose. Node strips the types of a `.ts` file with a WebAssembly compiler (amaro) that it loads
 * on the first file it has not cached, and that compiler then stays resident in every thread that loaded it (~10 MB:
 * its 3.8 MB of source and its memory). With the cache warm no thread loads it, and a start compiles nothing again.
 * The cache is keyed by content, so an edited file is stripped again. `NODE_COMPILE_CACHE` names its folder (default
 * `os.tmpdir()/node-compile-cache`); `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
 *
 * On Linux it first replaces itself (same process, `process.execve`) with the same command line under glibc malloc
 * settings that give freed memory back: two arenas instead of up to eight per core (every thread, the CPU pool's
 * included, otherwise keeps an arena of its own with its freed memory in it), and blocks of 128 KiB and more mapped
 * and unmapped on their own rather than kept in the heap. A value the environment already sets is kept.
 */
import { enableCompileCache } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MALLOC_SETTINGS = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' };
const mallocUnset = Object.keys(MALLOC_SETTINGS).some((name) => process.env[name] === undefined);
if (process.platform === 'linux' && typeof process.execve === 'function' && mallocUnset) {
  // malloc reads them once, when the process starts: start again with them (nothing has run yet).
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    ...MALLOC_SETTINGS,
    ...process.env,
  });
}

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node services/start.js <entry point, e.g. services/all-in-one/main.ts> [args…]');
  process.exit(2);
}
const cache = enableCompileCache();
// Worker threads (the CPU pool) read the setting from the environment they inherit.
if (cache.directory) process.env.NODE_COMPILE_CACHE = cache.directory;
// The entry point sees the command line it would have had when started directly.
process.argv.splice(1, 1);
process.argv[1] = path.resolve(entry);
await import(pathToFileURL(process.argv[1]).href);
