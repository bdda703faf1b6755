/**
 * The one access rule: a resource is its owner's, and an administrator (the single user of single-user mode is
 * one) may act on every user's. Every owner/administrator check in the code goes through here; a guard test
 * (shared/access/__tests__/access-guard.unit.spec.ts) fails on a comparison written anywhere else.
 */
import { forbidden } from '../errors.ts';
import type { Actor } from './actor.ts';

/** What a check looks at: who acts, not the request they act in. */
type Who = Pick<Actor, 'userId' | 'isAdmin'>;

/** Something that belongs to a user: a stream's state (`ownerId`, unset before it exists) or a read-model row (`owner_id`). */
export type Owned = { ownerId: string | null | undefined } | { owner_id: string };

const ownerOf = (resource: Owned): string | null | undefined => ('owner_id' in resource ? resource.owner_id : resource.ownerId);

/** The owner, or an administrator. Reading and writing follow the same rule. */
export function canRead(actor: Who, resource: Owned): boolean {
  return actor.isAdmin || ownerOf(resource) === actor.userId;
}

/** 403 (`code`, `forbidden` by default) unless `canRead`; existence (the 404) is the caller's to check first. */
export function assertOwned(actor: Who, resource: Owned, message?: string, code?: string): void {
  if (!canRead(actor, resource)) throw forbidden(message, code);
}

export function canAdminister(actor: Who): boolean {
  return actor.isAdmin;
}

/** 403 `admin_required` unless the actor is an administrator. */
export function assertAdmin(actor: Who, message: string): void {
  if (!canAdminister(actor)) throw forbidden(message, 'admin_required');
}

/** Whose resources a query may show the actor: every owner's (null) for an administrator, else the actor's own. */
export function visibleOwnerFilter(actor: Who): string | null {
  return actor.isAdmin ? null : actor.userId;
}

/** Owned by exactly this user, administrators or not: the data of one user's scan, the includes of one user's dictionary. */
export function isOwnedBy(resource: Owned, userId: string): boolean {
  return ownerOf(resource) === userId;
}

/** Both belong to the same user (a book or dictionary is attached only to its owner's character or chat). */
export function sameOwner(a: Owned, b: Owned): boolean {
  return ownerOf(a) === ownerOf(b);
}
