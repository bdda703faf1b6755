import { describe, expect, it } from '@jest/globals';
import { CHAT_SUMMARY_EVENTS, summaryChangeFolds, writtenSummaryRow } from '../chat-summaries-fold.ts';
import { foldEvent } from '../projection.ts';
import { streamOf } from './recorded-events.ts';

const summaryId = '01900000-0000-7000-8000-0000000000aa';
const chatId = '01900000-0000-7000-8000-0000000000bb';
const source = '01900000-0000-7000-8000-0000000000cc';

describe('chat summaries fold (no database)', () => {
  it('declares the events it handles', () => {
    expect([...CHAT_SUMMARY_EVENTS]).toEqual(['ChatSummaryWritten', 'ChatSummaryRevised', 'ChatSummaryDeleted']);
  });

  it('a written summary is a row at revision 1, unpinned; a revision sets only what it names; a delete stamps deleted_at', () => {
    const stream = streamOf(`chatsummary-${summaryId}`);
    const written = stream(
      'ChatSummaryWritten',
      { summaryId, chatId, ownerId: 'user-1', sourceMessageIds: [source], text: 'Ann met Bo.', origin: 'auto', model: 'default/m' },
      '2026-12-07T10:00:00.000Z',
    );
    expect(writtenSummaryRow(written)).toMatchObject({
      id: summaryId,
      chat_id: chatId,
      owner_id: 'user-1',
      source_message_ids: [source],
      text: 'Ann met Bo.',
      pinned: false,
      origin: 'auto',
      version: 1,
      deleted_at: null,
    });
    const pinned = stream('ChatSummaryRevised', { summaryId, pinned: true, origin: 'edit' });
    expect(foldEvent(summaryChangeFolds, pinned, undefined)).toEqual({
      version: 2,
      updated_at: pinned.createdAt,
      origin: 'edit',
      pinned: true,
    });
    const regenerated = stream('ChatSummaryRevised', { summaryId, text: 'Bo met Ann.', origin: 'regenerate', model: 'default/n' });
    expect(foldEvent(summaryChangeFolds, regenerated, undefined)).toMatchObject({ version: 3, text: 'Bo met Ann.', model: 'default/n' });
    const deleted = stream('ChatSummaryDeleted', { summaryId, deletedAt: '2026-12-07T11:00:00.000Z' });
    expect(foldEvent(summaryChangeFolds, deleted, undefined)).toMatchObject({ version: 4, deleted_at: deleted.createdAt });
  });
});
