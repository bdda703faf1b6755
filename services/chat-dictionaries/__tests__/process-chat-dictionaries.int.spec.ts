/**
 * Applying chat dictionaries without the route, on the real runtime: the dictionaries named (with their includes)
 * or the caller's active ones, who may use which, and the limits checked before any work. Dictionaries are made
 * over real HTTP by two users.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AppError } from '../../../shared/errors.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { processBody } from '../../api/routes/chat-dictionary-schemas.ts';
import { createChatDictionaryProcessor } from '../process-chat-dictionaries.ts';
import { actorOf } from '../../../test/actors.ts';

let svc: TestService;
let processor: ReturnType<typeof createChatDictionaryProcessor>;
const users: Record<'ann' | 'bea', { principal: Actor; key: string }> = {} as never;

beforeAll(async () => {
  svc = await startTestService({
    env: { AUTH_MODE: 'multi-user', JWT_SECRET: 'dictionary-process-secret-0123456789-abcdef', RATE_LIMITS_ENABLED: 'false' },
  });
  processor = createChatDictionaryProcessor({
    db: svc.runtime.database.db,
    readSchema: svc.runtime.config.READ_SCHEMA,
    cpu: svc.runtime.cpu,
    config: svc.runtime.config,
  });
  for (const name of ['ann', 'bea'] as const) {
    const { user, apiKey } = await svc.runtime.userStore.createUser(`${name}-${randomBytes(3).toString('hex')}`, false);
    users[name] = { principal: actorOf(user.id), key: apiKey };
  }
});
afterAll(async () => {
  await svc?.close();
});

async function dictionary(owner: 'ann' | 'bea', body: Record<string, unknown>): Promise<string> {
  const res = await svc.request('POST', '/api/v1/chat/dictionaries', { key: users[owner].key, body });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function problemOf(run: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await run;
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('no error');
}

describe('process chat dictionaries', () => {
  test("named dictionaries run with their includes; without names, the caller's active ones", async () => {
    const base = await dictionary('ann', { name: 'Base', entries: [{ pattern: 'u', replacement: 'you' }] });
    const top = await dictionary('ann', {
      name: 'Top',
      included_dictionary_ids: [base],
      entries: [{ pattern: 'you', replacement: 'thou' }],
      is_active: false,
    });
    const named = await processor.process(processBody.parse({ text: 'u', dictionary_id: top, max_iterations: 1 }), users.ann.principal);
    expect(named).toMatchObject({ original_text: 'u', processed_text: 'thou', dictionaries_used: [base, top] });
    const active = await processor.process(processBody.parse({ text: 'u', max_iterations: 1 }), users.ann.principal);
    expect(active).toMatchObject({ processed_text: 'you', dictionaries_used: [base] });
  });

  test("another user's dictionary is a 403, a missing one a 404; the other user's active ones never run", async () => {
    const beas = await dictionary('bea', { name: 'Private', entries: [{ pattern: 'cat', replacement: 'dog' }] });
    expect(await problemOf(processor.process(processBody.parse({ text: 'cat', dictionary_id: beas }), users.ann.principal))).toEqual({
      status: 403,
      code: 'forbidden',
    });
    expect(
      await problemOf(
        processor.process(
          processBody.parse({ text: 'cat', dictionary_ids: ['01a20b51-8aef-70e2-bc70-d07f7c1061d9'] }),
          users.ann.principal,
        ),
      ),
    ).toMatchObject({ status: 404 });
    expect((await processor.process(processBody.parse({ text: 'cat' }), users.ann.principal)).processed_text).toBe('cat');
  });

  test("an administrator may name two users' dictionaries, but not in one run (400 mixed_owners)", async () => {
    const anns = await dictionary('ann', { name: 'A', entries: [{ pattern: 'a', replacement: 'b' }] });
    const beas = await dictionary('bea', { name: 'B', entries: [{ pattern: 'b', replacement: 'c' }] });
    const admin: Actor = actorOf('root', true);
    expect(await problemOf(processor.process(processBody.parse({ text: 'a', dictionary_ids: [anns, beas] }), admin))).toEqual({
      status: 400,
      code: 'mixed_owners',
    });
    expect((await processor.process(processBody.parse({ text: 'a', dictionary_ids: [beas] }), admin)).processed_text).toBe('a');
  });

  test('a text over the limit is a 400 text_too_long before anything is read', async () => {
    expect(await problemOf(processor.process(processBody.parse({ text: 'x'.repeat(400_001) }), users.ann.principal))).toEqual({
      status: 400,
      code: 'text_too_long',
    });
  });
});
