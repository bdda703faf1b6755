import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exited, freePort, nodeBinary, sleep } from '../service-process.ts';
import type { SillyTavernInstall } from './sillytavern-install.ts';

/**
 * SillyTavern's own server, started from a cache install on a free port of 127.0.0.1, with its data root in a
 * temporary folder: one local user, no login (user accounts off, the IP whitelist allows localhost), no browser
 * opened, nothing downloaded. It runs on the project's Node 24, like a user's SillyTavern on a current Node.
 */
export interface SillyTavernServer {
  url: string;
  version: string;
  /** Everything SillyTavern printed (its request log shows what it sent upstream). */
  output(): string;
  stop(): Promise<void>;
}

/** 1.19.0 reads a config file named on its command line; 1.12.6 reads its own config.yaml (shipped with the
 * package: localhost whitelist, no accounts) and takes the rest as command-line options. */
function configFor(dataRoot: string, port: number, defaultContent: boolean): string {
  return [
    `dataRoot: ${JSON.stringify(dataRoot)}`,
    'listen: false',
    `port: ${port}`,
    'whitelistMode: true',
    'whitelist:',
    '  - ::1',
    '  - 127.0.0.1',
    'whitelistDockerHosts: false',
    'enableUserAccounts: false',
    'basicAuthMode: false',
    'browserLaunch:',
    '  enabled: false',
    `skipContentCheck: ${!defaultContent}`,
    'logging:',
    '  enableAccessLog: false',
    'extensions:',
    '  enabled: false',
    '  autoUpdate: false',
    '  models:',
    '    autoDownload: false',
    'enableDownloadableTokenizers: false',
    'enableServerPlugins: false',
    '',
  ].join('\n');
}

/** `defaultContent`: copy SillyTavern's default content (settings, presets, the sample character) into the data root
 * as on a user's first start; the web UI needs its settings, the API-level tests do not. */
export async function startSillyTavern(
  install: SillyTavernInstall,
  options: { timeoutMs?: number; defaultContent?: boolean } = {},
): Promise<SillyTavernServer> {
  const port = await freePort();
  const home = mkdtempSync(path.join(os.tmpdir(), `ccb-sillytavern-${install.version}-`));
  const dataRoot = path.join(home, 'data');
  mkdirSync(dataRoot);
  // 1.13+ compiles its front-end libraries at start (20 s on a busy machine) into <data root>/_webpack: share
  // one compilation per version through the cache.
  mkdirSync(install.webpackCacheDir, { recursive: true });
  symlinkSync(install.webpackCacheDir, path.join(dataRoot, '_webpack'), 'dir');
  const configPath = path.join(home, 'config.yaml');
  writeFileSync(configPath, configFor(dataRoot, port, options.defaultContent ?? false));

  const modern = !install.version.startsWith('1.12.');
  const args = modern
    ? ['server.js', '--configPath', configPath, '--dataRoot', dataRoot, '--port', String(port), '--listen', 'false']
    : ['server.js', '--dataRoot', dataRoot, '--port', String(port), '--listen', 'false', '--autorun', 'false', '--whitelist', 'true'];
  const child: ChildProcess = spawn(nodeBinary, args, {
    cwd: install.serverDir,
    env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production', HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    rmSync(home, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`SillyTavern ${install.version} exited before it answered:\n${output.slice(-5000)}`);
    }
    try {
      if ((await fetch(`${url}/csrf-token`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`SillyTavern ${install.version} did not answer /csrf-token:\n${output.slice(-5000)}`);
    }
    await sleep(200);
  }
  return { url, version: install.version, output: () => output, stop };
}
