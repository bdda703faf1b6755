import { describe, expect, test } from '@jest/globals';
import pino from 'pino';
import { bullmqBackend, isConnectionError } from '../bullmq/connection.ts';
import { toBullJobOptions } from '../bullmq/job-options.ts';
import { validateQueueName } from '../bullmq/job-queue.ts';
import {
  DEFAULT_JOB_OPTIONS,
  InvalidJobIdError,
  JobCancelledError,
  nonRetryable,
  UnrecoverableError,
  validateJobId,
  type QueueLogger,
} from '../queue.ts';

describe('job ids', () => {
  test('accepted', () => {
    for (const ok of ['a', 'completion-0190f7a0-0000-7000-8000-000000000001', 'x.y_z-1', '1a', 'é', 'x'.repeat(256)]) {
      expect(validateJobId(ok)).toBe(ok);
    }
  });

  test('refused with a reason', () => {
    const cases: [string, RegExp][] = [
      ['', /non-empty/],
      ['a:b', /":"/],
      ['a:b:c', /":"/],
      ['42', /all digits/],
      ['007', /all digits/],
      ['has space', /whitespace/],
      ['tab\t', /whitespace/],
      ['nul\u0000', /control/],
      ['x'.repeat(257), /longer than 256/],
    ];
    for (const [bad, why] of cases) {
      expect(() => validateJobId(bad)).toThrow(InvalidJobIdError);
      expect(() => validateJobId(bad)).toThrow(why);
    }
  });

  test('queue names', () => {
    expect(validateQueueName('completions')).toBe('completions');
    for (const bad of ['', 'a:b', 'a b', 'x'.repeat(129)]) expect(() => validateQueueName(bad)).toThrow(RangeError);
  });
});

describe('job options', () => {
  test('defaults: 3 attempts, exponential back-off with jitter, retention by age', () => {
    expect(toBullJobOptions('j1', {}, {})).toEqual({
      jobId: 'j1',
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 604_800 },
    });
    expect(DEFAULT_JOB_OPTIONS.attempts).toBe(3);
  });

  test('queue defaults, then per-job options, win', () => {
    const defaults = { attempts: 5, removeOnComplete: { age: 60, count: 100 } };
    expect(toBullJobOptions('j1', { attempts: 1, delayMs: 250, priority: 7, backoff: { type: 'fixed', delayMs: 10 } }, defaults)).toEqual({
      jobId: 'j1',
      attempts: 1,
      backoff: { type: 'fixed', delay: 10, jitter: 0 },
      removeOnComplete: { age: 60, count: 100 },
      removeOnFail: { age: 604_800 },
      delay: 250,
      priority: 7,
    });
  });

  test('nonsense is refused before anything is sent', () => {
    expect(() => toBullJobOptions('j', { attempts: 0 }, {})).toThrow(RangeError);
    expect(() => toBullJobOptions('j', { attempts: 1.5 }, {})).toThrow(RangeError);
    expect(() => toBullJobOptions('j', { backoff: { type: 'exponential', delayMs: -1 } }, {})).toThrow(RangeError);
    expect(() => toBullJobOptions('j', { backoff: { type: 'exponential', delayMs: 1, jitter: 2 } }, {})).toThrow(RangeError);
    expect(() => toBullJobOptions('j', { priority: 2 ** 21 + 1 }, {})).toThrow(RangeError);
    expect(() => toBullJobOptions('j', { removeOnComplete: { age: 0 } }, {})).toThrow(RangeError);
  });
});

describe('connections', () => {
  const redis = { kind: 'redis', url: 'redis://cache:6379', prefix: 'ccb' } as const;
  const postgres = { kind: 'postgres', connectionString: 'postgres://u:p@db/app' } as const;

  test('Redis: producers fail fast, blocking consumers never give up a request', () => {
    expect(bullmqBackend(redis, 'producer')).toMatchObject({
      prefix: 'ccb',
      connection: { url: 'redis://cache:6379', maxRetriesPerRequest: 1, enableOfflineQueue: false },
    });
    expect(bullmqBackend(redis, 'worker').connection).toMatchObject({ url: 'redis://cache:6379', maxRetriesPerRequest: null });
    expect(bullmqBackend(redis, 'events').connection).toMatchObject({ url: 'redis://cache:6379', maxRetriesPerRequest: null });
  });

  test('PostgreSQL: the config-object form, so that migrate and schema apply', () => {
    expect(bullmqBackend({ ...postgres, schema: 'jobs' }, 'worker', { pool: 7 }).connection).toMatchObject({
      connectionString: 'postgres://u:p@db/app',
      migrate: true,
      schema: 'jobs',
      max: 7,
      connectionTimeoutMillis: 5000,
    });
    expect(bullmqBackend({ ...postgres, poolSize: 3 }, 'producer').connection).toMatchObject({ max: 3 });
    expect(bullmqBackend(postgres, 'producer').connection).not.toHaveProperty('schema');
  });

  test('connection errors are told apart from other failures', () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isConnectionError(new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }))).toBe(true);
    expect(isConnectionError(new Error('ERR Error running script'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });
});

describe('errors', () => {
  test('nonRetryable and JobCancelledError are UnrecoverableErrors (what BullMQ checks)', () => {
    const cause = new Error('zod says no');
    const err = nonRetryable('bad input', { cause });
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(err.message).toBe('bad input');
    expect(err.cause).toBe(cause);
    const cancelled = new JobCancelledError('j1', 'user pressed stop');
    expect(cancelled).toBeInstanceOf(UnrecoverableError);
    expect(cancelled).toMatchObject({ code: 'job_cancelled', jobId: 'j1', message: 'cancelled: user pressed stop' });
  });
});

test('a pino logger is a QueueLogger', () => {
  const logger: QueueLogger = pino({ level: 'silent' });
  expect(typeof logger.child({ jobId: 'x' }).info).toBe('function');
});
