import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../config.ts';

describe('configuration', () => {
  test('defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 8080, HOST: '127.0.0.1', DATA_DIR: './data', LOG_LEVEL: 'info', AUTH_MODE: 'single-user', READ_YOUR_WRITES_TIMEOUT_MS: 2000 });
    expect(c.DATABASE_URL).toBeUndefined();
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
  test('only one way to verify JWTs', () => {
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(40), JWT_JWKS_URL: 'https://example.test/jwks' })).toThrow(ConfigError);
  });
});
