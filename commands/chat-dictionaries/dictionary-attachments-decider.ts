import { AppError } from '../../shared/errors.ts';
import type { ApplyTo, AttachmentTargetKind, DictionaryAttachmentEvent } from '../../shared/events/chat-dictionary-events.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { Decider } from '../command-handler.ts';

/**
 * The chat dictionaries attached to one character or one chat, on a stream of their own so that attaching changes
 * neither the character's nor the chat's version. Who may attach is checked by the workflow.
 */
export const dictionaryAttachmentsStream = (kind: AttachmentTargetKind, targetId: string) => `dictionaryattachments-${kind}-${targetId}`;

export interface DictionaryAttachment {
  priority: number;
  enabled: boolean;
  applyTo: ApplyTo;
}

export interface DictionaryAttachmentsState {
  attachments: Record<string, DictionaryAttachment>;
}

export type DictionaryAttachmentsCommand =
  | {
      type: 'AttachDictionary';
      targetKind: AttachmentTargetKind;
      targetId: string;
      dictionaryId: string;
      ownerId: string;
      priority: number;
      enabled: boolean;
      applyTo: ApplyTo;
    }
  | { type: 'DetachDictionary'; targetKind: AttachmentTargetKind; targetId: string; dictionaryId: string };

const initialState = (): DictionaryAttachmentsState => ({ attachments: {} });

function evolve(state: DictionaryAttachmentsState, event: DictionaryAttachmentEvent): DictionaryAttachmentsState {
  switch (event.type) {
    case 'ChatDictionaryAttached': {
      const { priority, enabled, applyTo } = event.data;
      return { attachments: { ...state.attachments, [event.data.dictionaryId]: { priority, enabled, applyTo } } };
    }
    case 'ChatDictionaryDetached': {
      const { [event.data.dictionaryId]: _gone, ...rest } = state.attachments;
      return { attachments: rest };
    }
    default:
      return state;
  }
}

function decide(command: DictionaryAttachmentsCommand, state: DictionaryAttachmentsState, _context: Actor): DictionaryAttachmentEvent[] {
  const current = state.attachments[command.dictionaryId];
  switch (command.type) {
    case 'AttachDictionary': {
      // Attaching again is an upsert: it changes priority, enabled and apply_to, or nothing.
      if (current && current.priority === command.priority && current.enabled === command.enabled && current.applyTo === command.applyTo)
        return [];
      const { targetKind, targetId, dictionaryId, ownerId, priority, enabled, applyTo } = command;
      return [{ type: 'ChatDictionaryAttached', data: { targetKind, targetId, dictionaryId, ownerId, priority, enabled, applyTo } }];
    }
    case 'DetachDictionary':
      if (!current)
        throw new AppError(
          404,
          'not_found',
          `chat dictionary ${command.dictionaryId} is not attached to ${command.targetKind} ${command.targetId}`,
        );
      return [
        {
          type: 'ChatDictionaryDetached',
          data: { targetKind: command.targetKind, targetId: command.targetId, dictionaryId: command.dictionaryId },
        },
      ];
  }
}

export const dictionaryAttachmentsDecider: Decider<DictionaryAttachmentsState, DictionaryAttachmentsCommand, DictionaryAttachmentEvent> = {
  initialState,
  evolve,
  decide,
};
