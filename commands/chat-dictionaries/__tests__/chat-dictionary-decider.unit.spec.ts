import { AppError } from '../../../shared/errors.ts';
import { DEFAULT_ENTRY, type DictionaryMeta } from '../../../shared/dictionaries/dictionary-model.ts';
import type { ChatDictionaryEvent } from '../../../shared/events/chat-dictionary-events.ts';
import type { CommandContext } from '../../command-context.ts';
import { chatDictionaryDecider, type ChatDictionaryCommand, type ChatDictionaryState } from '../chat-dictionary-decider.ts';

const owner: CommandContext = { userId: 'u1', isAdmin: false, requestId: 'r', correlationId: 'c', causationId: 'c' };
const stranger: CommandContext = { ...owner, userId: 'u2' };
const ID = '0190b5a8-0000-7000-8000-000000000001';
const E1 = '0190b5a8-0000-7000-8000-0000000000e1';
const E2 = '0190b5a8-0000-7000-8000-0000000000e2';
const meta: DictionaryMeta = { name: 'D', description: '', category: null, tags: [], included_dictionary_ids: [], default_token_budget: null, is_active: true };
const entry = (pattern: string, priority: number) => ({ ...DEFAULT_ENTRY, pattern, replacement: 'r', priority });

const { decide, evolve, initialState } = chatDictionaryDecider;
const run = (commands: ChatDictionaryCommand[], context = owner): ChatDictionaryState =>
  commands.reduce((s, c) => decide(c, s, context).reduce((x: ChatDictionaryState, e: ChatDictionaryEvent) => evolve(x, e), s), initialState());
const created = () => run([{ type: 'CreateDictionary', dictionaryId: ID, meta, entries: [{ entryId: E1, entry: entry('a', 0) }], source: { kind: 'api' } }]);
const fails = (f: () => unknown, status: number, code: string) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status, code });
    return;
  }
  throw new Error('expected a failure');
};

describe('chat dictionary decider', () => {
  test('a new entry without a priority goes last', () => {
    const s = created();
    const { priority: _none, ...withoutPriority } = DEFAULT_ENTRY;
    const [event] = decide({ type: 'AddEntry', dictionaryId: ID, entryId: E2, entry: { ...withoutPriority, pattern: 'b', replacement: 'c' } }, s, owner);
    expect(event).toMatchObject({ type: 'ChatDictionaryEntryAdded', data: { entry: { priority: 1 } } });
  });

  test('patterns the safe engine cannot compile are a 400, on create, add and update', () => {
    fails(() => decide({ type: 'CreateDictionary', dictionaryId: ID, meta, entries: [{ entryId: E1, entry: { ...entry('(a+', 0), type: 'regex' } }], source: { kind: 'api' } }, initialState(), owner), 400, 'invalid_regex');
    fails(() => decide({ type: 'AddEntry', dictionaryId: ID, entryId: E2, entry: { ...entry('(?=x)', 0), type: 'regex' } }, created(), owner), 400, 'invalid_regex');
    fails(() => decide({ type: 'UpdateEntry', dictionaryId: ID, entryId: E1, changes: { type: 'regex', pattern: '\\1(a)' } }, created(), owner), 400, 'invalid_regex');
  });

  test('an unchanged update is no event; a partial timed_effects keeps the other values', () => {
    const s = created();
    expect(decide({ type: 'UpdateDictionary', dictionaryId: ID, changes: { name: 'D' } }, s, owner)).toEqual([]);
    const sticky = evolve(s, decide({ type: 'UpdateEntry', dictionaryId: ID, entryId: E1, changes: { timed_effects: { sticky: 2, cooldown: 3, delay: 0 } } }, s, owner)[0]!);
    const [event] = decide({ type: 'UpdateEntry', dictionaryId: ID, entryId: E1, changes: { timed_effects: { delay: 4 } as never } }, sticky, owner);
    expect(event).toMatchObject({ data: { entry: { timed_effects: { sticky: 2, cooldown: 3, delay: 4 } } } });
  });

  test('reorder needs every entry exactly once', () => {
    const s = run([
      { type: 'CreateDictionary', dictionaryId: ID, meta, entries: [{ entryId: E1, entry: entry('a', 0) }, { entryId: E2, entry: entry('b', 1) }], source: { kind: 'api' } },
    ]);
    fails(() => decide({ type: 'ReorderEntries', dictionaryId: ID, entryIds: [E1] }, s, owner), 400, 'incomplete_order');
    fails(() => decide({ type: 'ReorderEntries', dictionaryId: ID, entryIds: [E1, E1] }, s, owner), 400, 'duplicate_ids');
    expect(decide({ type: 'ReorderEntries', dictionaryId: ID, entryIds: [E1, E2] }, s, owner)).toEqual([]);
    const [event] = decide({ type: 'ReorderEntries', dictionaryId: ID, entryIds: [E2, E1] }, s, owner);
    const next = evolve(s, event!);
    expect(next.entries.map((r) => [r.entryId, r.entry.priority])).toEqual([
      [E1, 1],
      [E2, 0],
    ]);
  });

  test('including itself is a cycle; another user is refused; a deleted dictionary is gone until restored', () => {
    const s = created();
    fails(() => decide({ type: 'UpdateDictionary', dictionaryId: ID, changes: { included_dictionary_ids: [ID] } }, s, owner), 400, 'include_cycle');
    fails(() => decide({ type: 'UpdateDictionary', dictionaryId: ID, changes: { name: 'X' } }, s, stranger), 403, 'forbidden');
    const deleted = evolve(s, decide({ type: 'DeleteDictionary', dictionaryId: ID, now: new Date() }, s, owner)[0]!);
    fails(() => decide({ type: 'AddEntry', dictionaryId: ID, entryId: E2, entry: entry('b', 0) }, deleted, owner), 404, 'not_found');
    const restored = evolve(deleted, decide({ type: 'RestoreDictionary', dictionaryId: ID }, deleted, owner)[0]!);
    fails(() => decide({ type: 'RestoreDictionary', dictionaryId: ID }, restored, owner), 409, 'not_deleted');
  });
});
