import { v5 as uuidv5 } from 'uuid';
import type { EventStore } from '../../infra/eventstore/event-store.ts';
import { userCompletionsStream, type CompletionFailedData } from '../../shared/events/completion-events.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { toNewEvents } from '../command-handler.ts';

const NAMESPACE = '5d0c3f4e-2a8b-4c61-9e7f-1b2a3c4d5e6f';

/**
 * Appends the `CompletionFailed` of a completion's final failure. Its event id is derived from the completion id,
 * so recording the same failure twice (a job that died after the append) stores it once.
 */
export async function recordCompletionFailure(store: EventStore, context: Actor, data: CompletionFailedData): Promise<string> {
  const [event] = toNewEvents([{ type: 'CompletionFailed', data: data as unknown as Record<string, unknown> }], context);
  const result = await store.append(
    userCompletionsStream(data.userId),
    [{ ...event!, id: uuidv5(`${data.completionId}/failed`, NAMESPACE) }],
    'any',
  );
  return result.position;
}
