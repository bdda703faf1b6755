import { assertAccessible, characterDecider, characterStream } from '../characters/character-decider.ts';
import { chatDecider, chatStream } from '../chats/chat-decider.ts';
import { forbidden, notFound } from '../../shared/errors.ts';
import type { ApplyTo, AttachmentTargetKind } from '../../shared/events/chat-dictionary-events.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import { accessibleDictionary, type DictionaryCommandDeps } from './chat-dictionary-workflows.ts';
import {
  dictionaryAttachmentsDecider,
  dictionaryAttachmentsStream,
  type DictionaryAttachmentsState,
} from './dictionary-attachments-decider.ts';
import { assertOwned, isOwnedBy } from '../../shared/access/access-rules.ts';

const cacheOption = (deps: DictionaryCommandDeps) => (deps.cache ? { cache: deps.cache } : {});

/** The owner of a character or chat the caller may use (404 missing or deleted, 403 another user's). */
async function targetOwner(deps: DictionaryCommandDeps, context: Actor, kind: AttachmentTargetKind, targetId: string): Promise<string> {
  if (kind === 'character') {
    const { state } = await loadState(deps.eventStore, characterStream(targetId), characterDecider, cacheOption(deps));
    assertAccessible(state, targetId, context);
    return state.ownerId!;
  }
  const { state } = await loadState(deps.eventStore, chatStream(targetId), chatDecider, cacheOption(deps));
  if (!state.exists || state.deleted) throw notFound('chat', targetId);
  assertOwned(context, state, 'this chat belongs to another user');
  return state.ownerId!;
}

/**
 * Attaches a dictionary to a character or a chat (again: changes priority, enabled and apply_to). The caller must be
 * able to reach both, and both must belong to the same user.
 */
export async function attachDictionary(
  deps: DictionaryCommandDeps,
  context: Actor,
  kind: AttachmentTargetKind,
  targetId: string,
  input: { dictionaryId: string; priority: number; enabled: boolean; applyTo: ApplyTo },
): Promise<CommandResult<DictionaryAttachmentsState>> {
  const ownerId = await targetOwner(deps, context, kind, targetId);
  const { state: dictionary } = await accessibleDictionary(deps, context, input.dictionaryId);
  if (!isOwnedBy(dictionary, ownerId)) throw forbidden(`a chat dictionary can only be attached to a ${kind} of the same owner`);
  return handleCommand(
    deps.eventStore,
    dictionaryAttachmentsStream(kind, targetId),
    dictionaryAttachmentsDecider,
    {
      type: 'AttachDictionary',
      targetKind: kind,
      targetId,
      dictionaryId: input.dictionaryId,
      ownerId,
      priority: input.priority,
      enabled: input.enabled,
      applyTo: input.applyTo,
    },
    context,
    { ...cacheOption(deps), dataSubject: ownerId },
  );
}

export async function detachDictionary(
  deps: DictionaryCommandDeps,
  context: Actor,
  kind: AttachmentTargetKind,
  targetId: string,
  dictionaryId: string,
): Promise<CommandResult<DictionaryAttachmentsState>> {
  const ownerId = await targetOwner(deps, context, kind, targetId);
  return handleCommand(
    deps.eventStore,
    dictionaryAttachmentsStream(kind, targetId),
    dictionaryAttachmentsDecider,
    { type: 'DetachDictionary', targetKind: kind, targetId, dictionaryId },
    context,
    { ...cacheOption(deps), dataSubject: ownerId },
  );
}
