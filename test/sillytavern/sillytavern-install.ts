import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A pinned SillyTavern release, installed from the npm registry (the package `sillytavern`) into a cache folder
 * outside the repository on first use and reused after: never a project dependency. No registry, no install: the
 * caller's tests fail, loudly, with npm's own output.
 */
export const SILLYTAVERN_VERSIONS = ['1.12.6', '1.19.0'] as const;
export type SillyTavernVersion = (typeof SILLYTAVERN_VERSIONS)[number];

/** `SILLYTAVERN_CACHE_DIR`, else `$XDG_CACHE_HOME/character-chat-backend/sillytavern` (`~/.cache/…`). */
export function sillyTavernCacheRoot(): string {
  if (process.env.SILLYTAVERN_CACHE_DIR) return path.resolve(process.env.SILLYTAVERN_CACHE_DIR);
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'character-chat-backend', 'sillytavern');
}

export interface SillyTavernInstall {
  version: SillyTavernVersion;
  /** The package's own folder (server.js, src/, public/): SillyTavern runs from here. */
  serverDir: string;
  /** A folder of the cache entry for SillyTavern's compiled front-end libraries (1.13+ compiles them at start). */
  webpackCacheDir: string;
  /** Milliseconds the install took (0 when the cache entry was reused). */
  installMs: number;
}

const INSTALLED_MARKER = '.installed';

function entryFor(version: SillyTavernVersion): Omit<SillyTavernInstall, 'installMs'> & { dir: string } {
  const dir = path.join(sillyTavernCacheRoot(), version);
  return {
    version,
    dir,
    serverDir: path.join(dir, 'node_modules', 'sillytavern'),
    webpackCacheDir: path.join(dir, 'webpack'),
  };
}

function installedVersion(serverDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(serverDir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * The cache entry of `version`, installed now if it is missing. The install goes to a fresh folder beside the
 * entry and is renamed into place once complete, so a concurrent or interrupted install never leaves half a
 * SillyTavern behind. `--ignore-scripts`: npm 11 gates install scripts, and SillyTavern needs none of them to
 * serve its API (its post-install only copies default files that its server creates itself at start).
 */
export function ensureSillyTavern(version: SillyTavernVersion): SillyTavernInstall {
  const entry = entryFor(version);
  if (existsSync(path.join(entry.dir, INSTALLED_MARKER)) && installedVersion(entry.serverDir) === version) {
    return { version, serverDir: entry.serverDir, webpackCacheDir: entry.webpackCacheDir, installMs: 0 };
  }
  mkdirSync(path.dirname(entry.dir), { recursive: true });
  const staging = mkdtempSync(`${entry.dir}.installing-`);
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(
    npm,
    [
      'install',
      `sillytavern@${version}`,
      '--prefix',
      staging,
      '--omit=dev',
      '--ignore-scripts',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 10 * 60_000 },
  );
  const installMs = Date.now() - started;
  if (result.status !== 0 || installedVersion(path.join(staging, 'node_modules', 'sillytavern')) !== version) {
    rmSync(staging, { recursive: true, force: true });
    const why = result.error ? String(result.error) : `npm exited with ${result.status ?? result.signal}`;
    throw new Error(
      `SillyTavern ${version} could not be installed from the npm registry into ${entry.dir} (${why}). ` +
        `These tests need the registry once to fill the cache.\n${result.stdout ?? ''}\n${result.stderr ?? ''}`,
    );
  }
  writeFileSync(path.join(staging, INSTALLED_MARKER), `sillytavern@${version} installed in ${installMs} ms\n`);
  try {
    rmSync(entry.dir, { recursive: true, force: true });
    renameSync(staging, entry.dir);
  } catch (error) {
    // Another process finished the same install first: keep its copy.
    rmSync(staging, { recursive: true, force: true });
    if (installedVersion(entry.serverDir) !== version) throw error;
  }
  return { version, serverDir: entry.serverDir, webpackCacheDir: entry.webpackCacheDir, installMs };
}
