import { describe, expect, test } from '@jest/globals';
import type { Actor } from '../../../shared/access/actor.ts';
import type { ChatSummaryEvent } from '../../../shared/events/chat-summary-events.ts';
import { chatSummaryDecider, type ChatSummaryCommand } from '../summary-decider.ts';

const owner: Actor = { userId: 'ann', isAdmin: false, requestId: 'r', correlationId: 'c', causationId: 'c' };
const other: Actor = { ...owner, userId: 'bob' };
const id = '01900000-0000-7000-8000-000000000001';
const write: ChatSummaryCommand = {
  type: 'WriteSummary',
  summaryId: id,
  chatId: '01900000-0000-7000-8000-000000000002',
  ownerId: 'ann',
  sourceMessageIds: ['01900000-0000-7000-8000-000000000003'],
  text: 'Ann met Bo.',
  origin: 'request',
  model: 'default/m',
};

function run(commands: ChatSummaryCommand[], actor = owner) {
  let state = chatSummaryDecider.initialState();
  const all: ChatSummaryEvent[] = [];
  for (const c of commands) {
    const events = chatSummaryDecider.decide(c, state, actor);
    for (const e of events) state = chatSummaryDecider.evolve(state, e);
    all.push(...events);
  }
  return { state, events: all };
}

describe('chat summary decider', () => {
  test('a summary is written once', () => {
    expect(run([write]).events).toHaveLength(1);
    expect(() => run([write, write])).toThrow(/already exists/);
  });
  test('an edit records only what changed; nothing changed is no event; a regeneration always is one', () => {
    const { events, state } = run([
      write,
      { type: 'ReviseSummary', summaryId: id, text: 'Ann met Bo.', pinned: false, origin: 'edit' },
      { type: 'ReviseSummary', summaryId: id, pinned: true, origin: 'edit' },
      { type: 'ReviseSummary', summaryId: id, text: 'Ann met Bo.', origin: 'regenerate', model: 'default/m' },
    ]);
    expect(events.map((e) => e.type)).toEqual(['ChatSummaryWritten', 'ChatSummaryRevised', 'ChatSummaryRevised']);
    expect(events[1]!.data).toEqual({ summaryId: id, origin: 'edit', pinned: true });
    expect(events[2]!.data).toEqual({ summaryId: id, origin: 'regenerate', text: 'Ann met Bo.', model: 'default/m' });
    expect(state).toMatchObject({ pinned: true, text: 'Ann met Bo.' });
  });
  test("another user's summary is a 403, a deleted one a 404", () => {
    const { state } = run([write]);
    expect(() => chatSummaryDecider.decide({ type: 'ReviseSummary', summaryId: id, pinned: true, origin: 'edit' }, state, other)).toThrow(
      expect.objectContaining({ status: 403 }),
    );
    const gone = run([write, { type: 'DeleteSummary', summaryId: id, now: new Date() }]).state;
    expect(() => chatSummaryDecider.decide({ type: 'DeleteSummary', summaryId: id, now: new Date() }, gone, owner)).toThrow(
      expect.objectContaining({ status: 404 }),
    );
  });
});
