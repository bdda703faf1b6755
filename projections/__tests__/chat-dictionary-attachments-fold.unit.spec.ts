import { describe, expect, it } from '@jest/globals';
import { CHAT_DICTIONARY_ATTACHMENT_EVENTS, chatDictionaryAttachmentFolds } from '../chat-dictionary-attachments-fold.ts';
import { foldEvent } from '../projection.ts';
import { streamOf } from './recorded-events.ts';

const CHAT = '0190a000-0000-7000-8000-0000000000a1';
const DICTIONARY = '0190a000-0000-7000-8000-0000000000f1';
const at = (day: number) => `2026-06-${String(day).padStart(2, '0')}T10:00:00.000Z`;

describe('chat dictionary attachments fold (no database)', () => {
  it('declares the events it handles', () => {
    expect([...CHAT_DICTIONARY_ATTACHMENT_EVENTS].sort()).toEqual([
      'ChatDictionaryAttached',
      'ChatDictionaryDetached',
      'ChatDictionaryEffectsRecorded',
    ]);
  });

  it('an attachment is the target and dictionary’s row, with its settings, at the stream’s revision', () => {
    const stream = streamOf(`chatdictionaryattachments-${CHAT}`);
    const event = stream(
      'ChatDictionaryAttached',
      { targetKind: 'chat', targetId: CHAT, dictionaryId: DICTIONARY, ownerId: 'owner-1', priority: 2, enabled: true, applyTo: 'both' },
      at(1),
    );
    expect(foldEvent(chatDictionaryAttachmentFolds, event, undefined)).toEqual({
      attach: {
        target_kind: 'chat',
        target_id: CHAT,
        dictionary_id: DICTIONARY,
        owner_id: 'owner-1',
        priority: 2,
        enabled: true,
        apply_to: 'both',
        revision: 1,
        created_at: new Date(at(1)),
        updated_at: new Date(at(1)),
        detached_at: null,
      },
    });
  });

  it('a detachment stamps the row with this revision and names it for the error when the row is missing', () => {
    const stream = streamOf(`chatdictionaryattachments-${CHAT}`);
    stream(
      'ChatDictionaryAttached',
      { targetKind: 'chat', targetId: CHAT, dictionaryId: DICTIONARY, ownerId: 'owner-1', priority: 2, enabled: true, applyTo: 'both' },
      at(1),
    );
    const event = stream('ChatDictionaryDetached', { targetKind: 'chat', targetId: CHAT, dictionaryId: DICTIONARY }, at(2));
    expect(foldEvent(chatDictionaryAttachmentFolds, event, undefined)).toEqual({
      detach: { target_kind: 'chat', target_id: CHAT, dictionary_id: DICTIONARY },
      revision: 2,
      at: new Date(at(2)),
      describe: `ChatDictionaryDetached for chat ${CHAT} and dictionary ${DICTIONARY}`,
    });
  });

  it('recorded effects are the chat’s timed-state row, the state as JSON text', () => {
    const state = { sticky: {}, cooldown: {} };
    const event = streamOf(`chat-${CHAT}`)('ChatDictionaryEffectsRecorded', { chatId: CHAT, chatLength: 7, changes: [], state }, at(3));
    expect(foldEvent(chatDictionaryAttachmentFolds, event, undefined)).toEqual({
      timedState: { chat_id: CHAT, revision: 1, chat_length: 7, state: JSON.stringify(state), updated_at: new Date(at(3)) },
    });
  });
});
