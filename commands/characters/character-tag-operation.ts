/**
 * A tag operation over many characters: one `CharacterUpdated` event per character whose tags change, each
 * appended with the version the caller read (a character changed meanwhile is reported as failed, not
 * overwritten). One character failing does not undo the others: each is its own stream.
 */
import type { Actor } from '../../shared/access/actor.ts';
import { ConcurrencyError } from '../../infra/eventstore/event-store.ts';
import { AppError } from '../../shared/errors.ts';
import { retagged, type TagOperation } from '../../shared/characters/tag-operation.ts';
import { updateCharacter } from './character-workflows.ts';

type CommandDeps = Parameters<typeof updateCharacter>[0];

export interface TagOperationTarget {
  id: string;
  version: number;
  tags: readonly string[];
}

export interface TagOperationOutcome {
  updatedIds: string[];
  failedIds: string[];
  /** The last log position appended (to wait for the projections), null when nothing was. */
  position: string | null;
}

export async function applyTagOperation(
  deps: CommandDeps,
  actor: Actor,
  targets: readonly TagOperationTarget[],
  op: TagOperation,
): Promise<TagOperationOutcome> {
  const outcome: TagOperationOutcome = { updatedIds: [], failedIds: [], position: null };
  for (const target of targets) {
    const tags = retagged(target.tags, op);
    if (!tags) continue;
    try {
      const result = await updateCharacter(deps, actor, target.id, { changes: { tags }, expectedVersion: target.version });
      outcome.updatedIds.push(target.id);
      outcome.position = result.position ?? outcome.position;
    } catch (err) {
      // A refusal (changed meanwhile, deleted, not allowed) is this character's failure; an outage is everyone's.
      if (!(err instanceof AppError || err instanceof ConcurrencyError)) throw err;
      outcome.failedIds.push(target.id);
    }
  }
  return outcome;
}
