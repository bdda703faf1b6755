import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { singleUserAuthenticator } from '../../../services/api/auth/authenticator.ts';
import { AppError } from '../../errors.ts';
import { assertAdmin, assertOwned, canAdminister, canRead, isOwnedBy, sameOwner, visibleOwnerFilter } from '../access-rules.ts';
import { LOCAL_USER_ID, type Actor } from '../actor.ts';

const actor = (userId: string, isAdmin = false): Actor => ({ userId, isAdmin, requestId: 'r', correlationId: 'r', causationId: 'r' });
const ann = actor('ann');
const bea = actor('bea');
const root = actor('root', true);
const annsRow = { id: 'c1', owner_id: 'ann' };
const annsState = { exists: true, ownerId: 'ann' };

function refusal(work: () => void): { status: number; code: string; message: string } | 'allowed' {
  try {
    work();
    return 'allowed';
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { status: err.status, code: err.code, message: err.message };
  }
}

describe('the access rule', () => {
  it('lets the owner read and write, a read-model row and a stream state alike', () => {
    expect(canRead(ann, annsRow)).toBe(true);
    expect(canRead(ann, annsState)).toBe(true);
    expect(refusal(() => assertOwned(ann, annsRow))).toBe('allowed');
  });

  it("refuses another user's resource with a 403, saying so in the call site's words", () => {
    expect(canRead(bea, annsRow)).toBe(false);
    expect(canRead(bea, annsState)).toBe(false);
    expect(refusal(() => assertOwned(bea, annsRow))).toEqual({
      status: 403,
      code: 'forbidden',
      message: 'this resource belongs to another user',
    });
    expect(refusal(() => assertOwned(bea, annsState, 'this chat belongs to another user'))).toMatchObject({
      status: 403,
      message: 'this chat belongs to another user',
    });
    expect(refusal(() => assertOwned(bea, { ownerId: 'ann' }, 'admins only', 'admin_required'))).toMatchObject({
      status: 403,
      code: 'admin_required',
    });
  });

  it('refuses a resource without an owner (a stream not yet created) to everyone but an administrator', () => {
    expect(canRead(ann, { ownerId: undefined })).toBe(false);
    expect(canRead(ann, { ownerId: null })).toBe(false);
    expect(canRead(root, { ownerId: undefined })).toBe(true);
  });

  it("lets an administrator read and write every user's resources", () => {
    expect(canRead(root, annsRow)).toBe(true);
    expect(canRead(root, annsState)).toBe(true);
    expect(refusal(() => assertOwned(root, annsRow))).toBe('allowed');
    expect(canAdminister(root)).toBe(true);
    expect(canAdminister(ann)).toBe(false);
    expect(refusal(() => assertAdmin(root, 'needs an administrator'))).toBe('allowed');
    expect(refusal(() => assertAdmin(ann, 'needs an administrator'))).toEqual({
      status: 403,
      code: 'admin_required',
      message: 'needs an administrator',
    });
  });

  it('single-user mode: the one user is an administrator, so every row (imported under any owner) is theirs to use', async () => {
    const key = 'single-user-key-0123456789';
    const who = await singleUserAuthenticator(key)({ headers: { 'x-api-key': key } } as unknown as Request);
    expect(who).toEqual({ userId: LOCAL_USER_ID, isAdmin: true });
    expect(canRead(who!, annsRow)).toBe(true);
    expect(canRead(who!, { owner_id: LOCAL_USER_ID })).toBe(true);
    expect(visibleOwnerFilter(who!)).toBeNull();
  });

  it('queries show a user their own resources and an administrator everyone’s', () => {
    expect(visibleOwnerFilter(ann)).toBe('ann');
    expect(visibleOwnerFilter(root)).toBeNull();
  });

  it('same-owner rules ignore who acts: an administrator cannot mix two users’ resources', () => {
    expect(isOwnedBy(annsRow, 'ann')).toBe(true);
    expect(isOwnedBy(annsRow, 'root')).toBe(false);
    expect(sameOwner(annsRow, annsState)).toBe(true);
    expect(sameOwner(annsRow, { ownerId: 'bea' })).toBe(false);
  });
});
