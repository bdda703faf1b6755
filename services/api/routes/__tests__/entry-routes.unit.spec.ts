import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import type { ApiDependencies } from '../../api-dependencies.ts';
import type { RouteContext, RouteDefinition } from '../../http/route.ts';
import { entryRoutes, type EntryFamily, type EntryOperations } from '../entry-routes.ts';

type CP = { id: string };
type EP = { id?: string; entry_id: string };

const calls: string[] = [];
// Two families in the shapes of world books (entries under their book) and dictionaries (entries by their own id).
const family = (nested: boolean): EntryFamily<CP, EP> => ({
  deps: {} as ApiDependencies, // a null position answers at once: no projection waiter is involved
  tags: ['things'],
  limit: nested ? { rateLimit: 'world_book_ops' } : { rateLimitExempt: 'own resource' },
  names: nested
    ? { entryId: 'entry_id', containerId: 'book_id', containerVersion: 'book_version' }
    : { entryId: 'id', containerId: 'dictionary_id', containerVersion: 'dictionary_version' },
  collection: { path: '/c/:id/entries', params: z.object({ id: z.string() }), containerId: (p) => p.id },
  item: {
    path: nested ? '/c/:id/entries/:entry_id' : '/c/entries/:entry_id',
    params: z.object({ id: z.string().optional(), entry_id: z.string() }),
    entryId: (p) => p.entry_id,
    containerOf: async (p, _principal, purpose) => {
      calls.push(`containerOf ${purpose}`);
      return p.id ?? 'routed-container';
    },
  },
  location: (c, e) => `/c/${c}/entries/${e}`,
  containerLocation: (c) => `/c/${c}`,
  entryViewSchema: z.object({ id: z.string() }),
  view: async (c, e, status) => ({ status, body: { container: c, entry: e }, headers: { ETag: 'W/"5"' } }),
});

const ops: EntryOperations<CP, EP, { text: string }, { text?: string }> = {
  create: {
    operationId: 'createEntry',
    summary: 's',
    body: z.object({ text: z.string() }),
    responses: { 201: { description: 'created' } },
    add: async ({ body }, containerId) => {
      calls.push(`add ${containerId} ${body.text}`);
      return { entryId: 'e9', result: { position: null, revision: 5 } };
    },
  },
  get: { operationId: 'getEntry', summary: 's' },
  update: {
    operationId: 'updateEntry',
    summary: 's',
    body: z.object({ text: z.string().optional() }),
    responses: { 200: { description: 'updated' } },
    change: async (_ctx, containerId, entryId) => {
      calls.push(`change ${containerId} ${entryId}`);
      return { position: null, revision: 6 };
    },
  },
  remove: {
    operationId: 'deleteEntry',
    summary: 's',
    remove: async (_ctx, containerId, entryId) => {
      calls.push(`remove ${containerId} ${entryId}`);
      return { position: null, revision: 7 };
    },
  },
};

const byOp = (routes: RouteDefinition[], op: string) => routes.find((r) => r.operationId === op)!;
const call = (route: RouteDefinition, ctx: Partial<RouteContext<unknown, unknown, unknown>>) =>
  route.handler({ actor: { userId: 'u1', isAdmin: false }, query: {}, ...ctx } as RouteContext<unknown, unknown, unknown>);

describe('entryRoutes', () => {
  it('binds create on the collection and get/update/delete on the item, with the family limit on writes', () => {
    const routes = entryRoutes(family(false), ops);
    expect(routes.map((r) => `${r.method} ${r.path} ${r.operationId}`)).toEqual([
      'post /c/:id/entries createEntry',
      'get /c/entries/:entry_id getEntry',
      'put /c/entries/:entry_id updateEntry',
      'delete /c/entries/:entry_id deleteEntry',
    ]);
    expect(routes.filter((r) => r.method !== 'get').every((r) => r.rateLimitExempt === 'own resource')).toBe(true);
    expect(byOp(routes, 'getEntry').rateLimitExempt).toBeUndefined();
    expect(byOp(entryRoutes(family(true), ops), 'deleteEntry').rateLimit).toBe('world_book_ops');
  });

  it("names the delete answer's fields as the family does, in its schema and its body", async () => {
    calls.length = 0;
    const remove = byOp(entryRoutes(family(true), ops), 'deleteEntry');
    expect(Object.keys((remove.responses[200]!.schema as z.ZodObject).shape)).toEqual(['entry_id', 'book_id', 'book_version', 'deleted']);
    const answer = await call(remove, { params: { id: 'b1', entry_id: 'e1' } });
    expect(answer).toEqual({ status: 200, body: { entry_id: 'e1', book_id: 'b1', book_version: 7, deleted: true } });
    expect(calls).toEqual(['containerOf write', 'remove b1 e1']);
  });

  it('routes an entry addressed by its own id to its container', async () => {
    calls.length = 0;
    const answer = await call(byOp(entryRoutes(family(false), ops), 'updateEntry'), { params: { entry_id: 'e2' }, body: {} });
    expect(calls).toEqual(['containerOf write', 'change routed-container e2']);
    expect(answer).toEqual({ status: 200, body: { container: 'routed-container', entry: 'e2' }, headers: { ETag: 'W/"5"' } });
  });

  it('answers a created entry with 201 and its Location; a read checks access first', async () => {
    calls.length = 0;
    const created = await call(byOp(entryRoutes(family(true), ops), 'createEntry'), { params: { id: 'b1' }, body: { text: 'x' } });
    expect(created).toEqual({
      status: 201,
      body: { container: 'b1', entry: 'e9' },
      headers: { ETag: 'W/"5"', Location: '/c/b1/entries/e9' },
    });
    await call(byOp(entryRoutes(family(true), ops), 'getEntry'), { params: { id: 'b1', entry_id: 'e9' } });
    expect(calls).toEqual(['add b1 x', 'containerOf read']);
  });
});
