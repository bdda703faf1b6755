import { randomUUID } from 'node:crypto';
import type { Actor } from '../shared/access/actor.ts';

/** An actor for a test that calls a use case or a command directly: the user, and a request of its own. */
export function actorOf(userId: string, isAdmin = false): Actor {
  const requestId = randomUUID();
  return { userId, isAdmin, requestId, correlationId: requestId, causationId: requestId };
}
