import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../infra/config.ts';
import { createLogger } from '../infra/logger.ts';
import { buildApiDependencies, startApiServer, type ApiServer } from '../services/api/server.ts';
import { startRuntime, type Roles, type Runtime } from '../services/runtime.ts';
import { createTestDatabase } from './db.ts';

export const TEST_API_KEY = 'test-api-key-0123456789abcdef';

export interface TestService {
  url: string;
  runtime: Runtime;
  api: ApiServer;
  databaseUrl: string;
  request(
    method: string,
    urlPath: string,
    options?: { body?: unknown; key?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** multipart/form-data upload of one file (and optional plain fields). */
  upload(
    urlPath: string,
    file: { bytes: Uint8Array; filename: string; field?: string; type?: string },
    options?: { fields?: Record<string, string>; key?: string | null },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Raw bytes of a GET (exports, images). */
  download(
    urlPath: string,
    options?: { key?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; bytes: Uint8Array; headers: Headers }>;
  close(): Promise<void>;
}

/** A response body as JSON when it is JSON, else the raw text (undefined when empty). */
function bodyOf(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The real service (runtime + HTTP) on a fresh database of the run's PostgreSQL, on a free port. */
export async function startTestService(options: { env?: Record<string, string>; roles?: Roles } = {}): Promise<TestService> {
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ccb-test-data-'));
  // A generous read-your-writes wait: on two busy cores a projection can take longer than the 2 s default, and
  // a 202 there would be noise, not a finding (the 202 path is tested on purpose with a short timeout).
  const config = loadConfig({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    API_KEY: TEST_API_KEY,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    READ_YOUR_WRITES_TIMEOUT_MS: '15000',
    // CPU-pool tasks count their queue wait: with every test file's service on two cores, a card parse can wait
    // longer than the 10 s default (the timeout itself is tested on purpose with a short one).
    CPU_TASK_TIMEOUT_MS: '60000',
    ...options.env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  const runtime = await startRuntime(config, options.roles ?? { api: true, projector: true, worker: false }, logger);
  const api = await startApiServer(await buildApiDependencies(runtime), { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 2000 });
  return {
    url: api.url,
    runtime,
    api,
    databaseUrl: database.url,
    async request(method, urlPath, { body, key = TEST_API_KEY, headers = {} } = {}) {
      const res = await fetch(`${api.url}${urlPath}`, {
        method,
        headers: {
          ...(key ? { 'X-API-KEY': key } : {}),
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: bodyOf(await res.text()), headers: res.headers };
    },
    async upload(urlPath, file, { fields = {}, key = TEST_API_KEY } = {}) {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append(
        file.field ?? 'file',
        new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type ?? 'application/octet-stream' }),
        file.filename,
      );
      const res = await fetch(`${api.url}${urlPath}`, { method: 'POST', headers: key ? { 'X-API-KEY': key } : {}, body: form });
      return { status: res.status, body: bodyOf(await res.text()), headers: res.headers };
    },
    async download(urlPath, { key = TEST_API_KEY, headers = {} } = {}) {
      const res = await fetch(`${api.url}${urlPath}`, { headers: { ...(key ? { 'X-API-KEY': key } : {}), ...headers } });
      return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()), headers: res.headers };
    },
    async close() {
      await api.close();
      await runtime.stop();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
