import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../config.ts';

describe('configuration', () => {
  test('defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8080,
      HOST: '127.0.0.1',
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
      AUTH_MODE: 'single-user',
      READ_YOUR_WRITES_TIMEOUT_MS: 2000,
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.EVENT_ENCRYPTION).toBe(true);
    expect(c.EVENT_KEY_ENCRYPTION_KEY).toBeUndefined();
    expect(loadConfig({ EVENT_ENCRYPTION: 'false', EVENT_KEY_ENCRYPTION_KEY: 'ab'.repeat(32) })).toMatchObject({
      EVENT_ENCRYPTION: false,
      EVENT_KEY_ENCRYPTION_KEY: 'ab'.repeat(32),
    });
    expect(loadConfig({ EVENT_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }).EVENT_KEY_ENCRYPTION_KEY).toBeDefined();
    expect(c).toMatchObject({ JWT_MAX_LIFETIME_SECONDS: 86_400, JWT_CLOCK_SKEW_SECONDS: 60 });
    expect(c.METRICS_TOKEN).toBeUndefined();
  });
  test.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://x'],
    ['EVENTSTORE_URL', 'http://x'],
    ['AUTH_MODE', 'everyone'],
    ['API_KEY', 'short'],
    ['API_KEY', '7chars!'],
    ['READ_YOUR_WRITES_TIMEOUT_MS', '-1'],
    ['EVENT_ENCRYPTION', 'maybe'],
    ['EVENT_KEY_ENCRYPTION_KEY', 'too-short'],
    ['EVENT_KEY_ENCRYPTION_KEY', 'ab'.repeat(31)],
    ['JWT_MAX_LIFETIME_SECONDS', '0'],
    ['JWT_CLOCK_SKEW_SECONDS', '-5'],
    ['METRICS_TOKEN', 'short'],
  ])('a wrong %s (%s) is an error naming the variable', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(variable);
  });
  test("a user's share of the worker: in multi-user mode a quarter of its slots by default, at least one, or as set; no cap for a single user unless set", () => {
    const multi = { AUTH_MODE: 'multi-user', JWT_SECRET: 'x'.repeat(40) };
    expect(loadConfig(multi).WORKER_MAX_JOBS_PER_USER).toBe(8);
    expect(loadConfig({ ...multi, WORKER_CONCURRENCY: '10' }).WORKER_MAX_JOBS_PER_USER).toBe(2);
    expect(loadConfig({ ...multi, WORKER_CONCURRENCY: '3' }).WORKER_MAX_JOBS_PER_USER).toBe(1);
    expect(loadConfig({ ...multi, WORKER_CONCURRENCY: '3', WORKER_MAX_JOBS_PER_USER: '3' }).WORKER_MAX_JOBS_PER_USER).toBe(3);
    expect(loadConfig({}).WORKER_MAX_JOBS_PER_USER).toBeNull();
    expect(loadConfig({ WORKER_MAX_JOBS_PER_USER: '4' }).WORKER_MAX_JOBS_PER_USER).toBe(4);
    expect(() => loadConfig({ WORKER_MAX_JOBS_PER_USER: '0' })).toThrow(/WORKER_MAX_JOBS_PER_USER/);
  });
  test('only one way to verify JWTs', () => {
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(40), JWT_JWKS_URL: 'https://example.test/jwks' })).toThrow(ConfigError);
  });
});
