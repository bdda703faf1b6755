/**
 * Sealing a completion's job, result and relay entries with its data subject's key (real PostgreSQL key store):
 * what stays in clear, what opens, what cannot be moved, what a job queued in clear becomes, and what is left once
 * the subject's keys are destroyed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase } from '../../../test/db.ts';
import { createDataKeyStore, type DataKeyStore } from '../../../infra/eventstore/encryption/data-key-store.ts';
import { PayloadIntegrityError } from '../../../infra/eventstore/encryption/payload-envelope.ts';
import type { CompletionJob } from '../../../shared/completions/completion-job.ts';
import { AppError } from '../../../shared/errors.ts';
import { createCompletionSealer, type CompletionSealer } from '../completion-sealing.ts';

let db: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;
let keys: DataKeyStore;
let sealer: CompletionSealer;

const jobOf = (userId: string, text: string): CompletionJob => ({
  completionId: `chatcmpl-${randomBytes(6).toString('hex')}`,
  userId,
  isAdmin: false,
  requestId: 'req-1',
  correlationId: 'corr-1',
  requestHash: 'a'.repeat(64),
  provider: 'default',
  model: 'fake-model',
  params: { temperature: 0.5 },
  target: { kind: 'proxy', messages: [{ role: 'user', content: text }] },
});

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  keys = createDataKeyStore({ pool, connectionString: db.url });
  await keys.migrate();
  sealer = createCompletionSealer(keys);
});
afterAll(async () => {
  await keys?.close();
  await pool?.end();
  await db?.drop();
});

describe('completion sealing', () => {
  test('the queued job keeps its routing fields in clear and nothing of the request; it opens to the same job', async () => {
    const job = jobOf('sealing-ann', 'Qsealmark private question');
    const queued = await sealer.sealJob(job);
    expect(queued).toMatchObject({
      completionId: job.completionId,
      userId: 'sealing-ann',
      isAdmin: false,
      requestId: 'req-1',
      correlationId: 'corr-1',
      requestHash: job.requestHash,
    });
    expect(JSON.stringify(queued)).not.toContain('Qsealmark');
    expect(JSON.stringify(queued)).not.toContain('fake-model');
    const opened = await sealer.openJob(JSON.parse(JSON.stringify(queued)));
    expect(opened!.job).toEqual(job);
  });

  test("what a run writes is sealed with its job's key and opens only as that completion's, in its role", async () => {
    const job = jobOf('sealing-bea', 'hello');
    const { box } = (await sealer.openJob(await sealer.sealJob(job)))!;
    const entry = box.seal('relay', { t: 'chunk', chunk: { content: 'Qsealmark reply' } });
    expect(JSON.stringify(entry)).not.toContain('Qsealmark');
    expect(await sealer.open(job.completionId, 'relay', entry)).toEqual({ t: 'chunk', chunk: { content: 'Qsealmark reply' } });
    await expect(sealer.open('chatcmpl-another', 'relay', entry)).rejects.toThrow(PayloadIntegrityError);
    await expect(sealer.open(job.completionId, 'result', entry)).rejects.toThrow(PayloadIntegrityError);
  });

  test("an administrator's completion on a user's chat is sealed with the user's key", async () => {
    const job = { ...jobOf('sealing-root', 'about her chat'), isAdmin: true };
    const queued = await sealer.sealJob(job, 'sealing-cat');
    await keys.destroyUserKeys('sealing-root');
    expect((await sealer.openJob(queued))!.job.userId).toBe('sealing-root');
    await keys.destroyUserKeys('sealing-cat');
    expect(await sealer.openJob(queued)).toBeNull();
  });

  test('a job queued in clear (before sealing) still runs, and what it writes is sealed', async () => {
    const job = jobOf('sealing-dan', 'legacy question');
    const { job: opened, box } = (await sealer.openJob(job))!;
    expect(opened).toEqual(job);
    const result = box.seal('result', { text: 'Qsealmark legacy answer' });
    expect(JSON.stringify(result)).not.toContain('Qsealmark');
    expect(await sealer.open(job.completionId, 'result', result)).toEqual({ text: 'Qsealmark legacy answer' });
    // A result or entry in clear (written before sealing) passes through.
    expect(await sealer.open(job.completionId, 'result', { text: 'clear' })).toEqual({ text: 'clear' });
  });

  test("once the subject's keys are destroyed: the job does not open, results read as gone, a relay read is a 404", async () => {
    const job = jobOf('sealing-eve', 'Qsealmark to be forgotten');
    const queued = await sealer.sealJob(job);
    const { box } = (await sealer.openJob(queued))!;
    const result = box.seal('result', { text: 'answer' });
    const entries = [{ id: '1', data: box.seal('relay', { t: 'start', attempt: 1 }) }];
    await keys.destroyUserKeys('sealing-eve');
    expect(await sealer.openJob(queued)).toBeNull();
    expect(await sealer.open(job.completionId, 'result', result)).toBeNull();
    const read = async () => {
      for await (const _ of sealer.openEntries(job.completionId, entries)) void _;
    };
    await expect(read()).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(read()).rejects.toBeInstanceOf(AppError);
  });
});
