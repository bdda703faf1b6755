import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import type { ApiDependencies } from '../../api-dependencies.ts';
import type { RouteContext, RouteDefinition } from '../../http/route.ts';
import { asOfOrCurrent, deleteRoute, restoreRoute, type ResourceRoutesFamily } from '../resource-lifecycle-routes.ts';

// A null position answers at once (nothing to wait for), so no projection waiter is involved.
const family: ResourceRoutesFamily<{ id: string }> = {
  deps: {} as ApiDependencies,
  path: '/api/v1/things/:id',
  params: z.object({ id: z.string() }),
  id: (p) => p.id,
  tags: ['things'],
  location: (id) => `/api/v1/things/${id}`,
};

const call = (route: RouteDefinition, ctx: Partial<RouteContext<unknown, unknown, unknown>>) =>
  route.handler({ actor: { userId: 'u1', isAdmin: false }, ...ctx } as RouteContext<unknown, unknown, unknown>);

describe('deleteRoute', () => {
  it('binds DELETE on the resource path with expected_version, the limit and the documented answers', () => {
    const route = deleteRoute(family, {
      operationId: 'deleteThing',
      summary: 's',
      rateLimit: 'world_book_ops',
      remove: async () => ({ position: null, revision: 1 }),
    });
    expect(route).toMatchObject({
      method: 'delete',
      path: '/api/v1/things/:id',
      operationId: 'deleteThing',
      tags: ['things'],
      auth: 'user',
      rateLimit: 'world_book_ops',
    });
    expect(route.rateLimitExempt).toBeUndefined();
    expect(Object.keys(route.responses).sort()).toEqual(['200', '409']);
    expect(route.query!.parse({ expected_version: '4' })).toEqual({ expected_version: 4 });
    expect(() => route.query!.parse({ other: '1' })).toThrow();
  });

  it('answers the id, the new version and deleted: true, after calling the workflow with the request', async () => {
    const seen: unknown[] = [];
    const route = deleteRoute(family, {
      operationId: 'deleteThing',
      summary: 's',
      rateLimitExempt: 'reason',
      remove: async ({ params, query }) => {
        seen.push(params, query);
        return { position: null, revision: 7 };
      },
    });
    const answer = await call(route as RouteDefinition, { params: { id: 'a' }, query: { expected_version: 6 } });
    expect(seen).toEqual([{ id: 'a' }, { expected_version: 6 }]);
    expect(answer).toEqual({ status: 200, body: { id: 'a', version: 7, deleted: true } });
    expect(route.rateLimitExempt).toBe('reason');
  });

  it('names the version the family gives (a part of a stream versioned on its own)', async () => {
    const route = deleteRoute(family, {
      operationId: 'd',
      summary: 's',
      rateLimitExempt: 'r',
      remove: async () => ({ position: null, revision: 9, partVersion: 2 }),
      version: (r) => r.partVersion,
    });
    expect((await call(route as RouteDefinition, { params: { id: 'a' }, query: {} }))?.body).toEqual({
      id: 'a',
      version: 2,
      deleted: true,
    });
  });

  it('documents the family-wide error responses too', () => {
    const route = deleteRoute(
      { ...family, errors: { 404: { description: 'missing' } } },
      { operationId: 'd', summary: 's', rateLimitExempt: 'r', remove: async () => ({ position: null, revision: 1 }) },
    );
    expect(Object.keys(route.responses).sort()).toEqual(['200', '404', '409']);
  });
});

describe('restoreRoute', () => {
  const spec = {
    operationId: 'restoreThing',
    summary: 's',
    rateLimitExempt: 'r',
    responses: { 200: { description: 'restored' }, 409: { description: 'not deleted' } },
    restore: async () => ({ position: null, revision: 3 }),
    view: async (id: string, status: number) => ({ status, body: { id, view: true } }),
  };

  it('binds POST {path}/restore, with expected_version only when optimistic', () => {
    const plain = restoreRoute(family, spec);
    expect(plain).toMatchObject({ method: 'post', path: '/api/v1/things/:id/restore', operationId: 'restoreThing', rateLimitExempt: 'r' });
    expect(plain.query).toBeUndefined();
    expect(restoreRoute(family, { ...spec, optimistic: true }).query).toBeDefined();
  });

  it('answers with the resource as it now is', async () => {
    const answer = await call(restoreRoute(family, spec) as RouteDefinition, { params: { id: 'b' }, query: {} });
    expect(answer).toEqual({ status: 200, body: { id: 'b', view: true } });
  });
});

describe('asOfOrCurrent', () => {
  const answer = {
    past: async (asOf: unknown) => ({ body: { asOf }, version: 2 }),
    current: async () => ({ status: 200, body: { now: true } }),
  };

  it('answers the read model without a point in time', async () => {
    expect(await asOfOrCurrent({}, answer)).toEqual({ status: 200, body: { now: true } });
  });

  it('rebuilds the past for as_of or as_of_version, with as_of_version and the past version as ETag', async () => {
    expect(await asOfOrCurrent({ as_of: '2' }, answer)).toEqual({
      status: 200,
      body: { asOf: { version: 2 }, as_of_version: 2 },
      headers: { ETag: 'W/"2"' },
    });
    expect((await asOfOrCurrent({ as_of_version: 2 }, answer)).body).toMatchObject({ asOf: { version: 2 } });
  });

  it('refuses both spellings at once (400 conflicting_as_of)', async () => {
    await expect(asOfOrCurrent({ as_of: '1', as_of_version: 1 }, answer)).rejects.toMatchObject({ status: 400, code: 'conflicting_as_of' });
  });
});
