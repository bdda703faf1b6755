import { describe, expect, test } from '@jest/globals';
import { DEFAULT_ENTRY, type DictionaryMeta } from '../../../shared/dictionaries/dictionary-model.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { DeciderSpecification } from '../../../test/decider-specification.ts';
import { chatDictionaryDecider, type ChatDictionaryCommand } from '../chat-dictionary-decider.ts';

const owner: Actor = { userId: 'u1', isAdmin: false, requestId: 'r', correlationId: 'c', causationId: 'c' };
const stranger: Actor = { ...owner, userId: 'u2' };
const ID = '0190b5a8-0000-7000-8000-000000000001';
const E1 = '0190b5a8-0000-7000-8000-0000000000e1';
const E2 = '0190b5a8-0000-7000-8000-0000000000e2';
const meta: DictionaryMeta = {
  name: 'D',
  description: '',
  category: null,
  tags: [],
  included_dictionary_ids: [],
  default_token_budget: null,
  is_active: true,
};
const entry = (pattern: string, priority: number) => ({ ...DEFAULT_ENTRY, pattern, replacement: 'r', priority });

const spec = DeciderSpecification.for(chatDictionaryDecider, { context: owner });
const create = (entries = [{ entryId: E1, entry: entry('a', 0) }]): ChatDictionaryCommand => ({
  type: 'CreateDictionary',
  dictionaryId: ID,
  meta,
  entries,
  source: { kind: 'api' },
});
const created = chatDictionaryDecider.decide(create(), chatDictionaryDecider.initialState(), owner);

describe('chat dictionary decider', () => {
  test('a new entry without a priority goes last', () => {
    const { priority: _none, ...withoutPriority } = DEFAULT_ENTRY;
    spec({
      given: created,
      when: { type: 'AddEntry', dictionaryId: ID, entryId: E2, entry: { ...withoutPriority, pattern: 'b', replacement: 'c' } },
      then: { matching: [{ type: 'ChatDictionaryEntryAdded', data: { entry: { priority: 1 } } }] },
    });
  });

  test('patterns the safe engine cannot compile are a 400, on create, add and update', () => {
    const invalidRegex = { error: { status: 400, code: 'invalid_regex' } };
    spec({ when: create([{ entryId: E1, entry: { ...entry('(a+', 0), type: 'regex' } }]), then: invalidRegex });
    spec({
      given: created,
      when: { type: 'AddEntry', dictionaryId: ID, entryId: E2, entry: { ...entry('(?=x)', 0), type: 'regex' } },
      then: invalidRegex,
    });
    spec({
      given: created,
      when: { type: 'UpdateEntry', dictionaryId: ID, entryId: E1, changes: { type: 'regex', pattern: '\\1(a)' } },
      then: invalidRegex,
    });
  });

  test('an unchanged update is no event; a partial timed_effects keeps the other values', () => {
    spec({ given: created, when: { type: 'UpdateDictionary', dictionaryId: ID, changes: { name: 'D' } }, then: [] });
    const sticky = spec({
      given: created,
      when: { type: 'UpdateEntry', dictionaryId: ID, entryId: E1, changes: { timed_effects: { sticky: 2, cooldown: 3, delay: 0 } } },
      then: { matching: [{ type: 'ChatDictionaryEntryUpdated' }] },
    });
    spec({
      given: [...created, ...sticky.events],
      when: { type: 'UpdateEntry', dictionaryId: ID, entryId: E1, changes: { timed_effects: { delay: 4 } as never } },
      then: { matching: [{ data: { entry: { timed_effects: { sticky: 2, cooldown: 3, delay: 4 } } } }] },
    });
  });

  test('reorder needs every entry exactly once', () => {
    const both = chatDictionaryDecider.decide(
      create([
        { entryId: E1, entry: entry('a', 0) },
        { entryId: E2, entry: entry('b', 1) },
      ]),
      chatDictionaryDecider.initialState(),
      owner,
    );
    spec({
      given: both,
      when: { type: 'ReorderEntries', dictionaryId: ID, entryIds: [E1] },
      then: { error: { status: 400, code: 'incomplete_order' } },
    });
    spec({
      given: both,
      when: { type: 'ReorderEntries', dictionaryId: ID, entryIds: [E1, E1] },
      then: { error: { status: 400, code: 'duplicate_ids' } },
    });
    spec({ given: both, when: { type: 'ReorderEntries', dictionaryId: ID, entryIds: [E1, E2] }, then: [] });
    const { state } = spec({
      given: both,
      when: { type: 'ReorderEntries', dictionaryId: ID, entryIds: [E2, E1] },
      then: [{ type: 'ChatDictionaryEntriesReordered', data: { dictionaryId: ID, entryIds: [E2, E1] } }],
    });
    expect(state.entries.map((r) => [r.entryId, r.entry.priority])).toEqual([
      [E1, 1],
      [E2, 0],
    ]);
  });

  test('including itself is a cycle; another user is refused; a deleted dictionary is gone until restored', () => {
    spec({
      given: created,
      when: { type: 'UpdateDictionary', dictionaryId: ID, changes: { included_dictionary_ids: [ID] } },
      then: { error: { status: 400, code: 'include_cycle' } },
    });
    spec({
      given: created,
      when: { type: 'UpdateDictionary', dictionaryId: ID, changes: { name: 'X' } },
      context: stranger,
      then: { error: { status: 403, code: 'forbidden' } },
    });
    const deleted = [
      ...created,
      ...spec({
        given: created,
        when: { type: 'DeleteDictionary', dictionaryId: ID, now: new Date() },
        then: { matching: [{ type: 'ChatDictionaryDeleted' }] },
      }).events,
    ];
    spec({
      given: deleted,
      when: { type: 'AddEntry', dictionaryId: ID, entryId: E2, entry: entry('b', 0) },
      then: { error: { status: 404, code: 'not_found' } },
    });
    const restored = [
      ...deleted,
      ...spec({
        given: deleted,
        when: { type: 'RestoreDictionary', dictionaryId: ID },
        then: [{ type: 'ChatDictionaryRestored', data: { dictionaryId: ID } }],
      }).events,
    ];
    spec({ given: restored, when: { type: 'RestoreDictionary', dictionaryId: ID }, then: { error: { status: 409, code: 'not_deleted' } } });
  });
});
