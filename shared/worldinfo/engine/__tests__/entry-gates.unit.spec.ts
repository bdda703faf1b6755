import { STATE_INITIAL, STATE_RECURSION } from '../scan-state.ts';
import { book, stageRun } from './helpers/stage-run.ts';

describe('entry gates: checks that do not depend on the text', () => {
  const gateOf = (entry: object, extra = {}, state: 0 | 1 | 2 | 3 = STATE_INITIAL, sticky = false, cooldown = false) => {
    const { gates } = stageRun([book([{ uid: 0, keys: ['k'], content: 'x', ...entry }])], [], extra);
    return gates.gate(0, state, sticky, cooldown);
  };

  test('disabled, character filter (names and tags), generation type, delay', () => {
    expect(gateOf({ enabled: false })).toEqual(['disabled', 'disabled']);
    expect(gateOf({ characterFilter: { names: ['Bob'] } })?.[0]).toBe('character_filter');
    expect(gateOf({ characterFilter: { names: ['Seraphina'], isExclude: true } })?.[1]).toBe('excluded for character Seraphina');
    expect(gateOf({ characterFilter: { tags: ['Elf'] } }, { characterTags: [' elf '] })).toBeNull();
    expect(gateOf({ triggers: ['continue'] }, { generationType: 'normal' })?.[0]).toBe('generation_type');
    expect(gateOf({ delay: 3 }, { chatLength: 2 })).toEqual(['delay', 'delayed until the chat has 3 messages (now 2)']);
  });

  test('cooldown unless sticky; delay until recursion and exclude recursion by pass state', () => {
    expect(gateOf({}, {}, STATE_INITIAL, false, true)).toEqual(['cooldown', 'on cooldown']);
    expect(gateOf({}, {}, STATE_INITIAL, true, true)).toBeNull();
    expect(gateOf({ delayUntilRecursion: 1 })?.[0]).toBe('delay_until_recursion');
    expect(gateOf({ excludeRecursion: true }, {}, STATE_RECURSION)?.[0]).toBe('exclude_recursion');
    expect(gateOf({ excludeRecursion: true }, {}, STATE_INITIAL)).toBeNull();
  });

  test('decorators that depend on the chat', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: ['k'], content: '@@activate_only_after 2\nx' },
          { uid: 1, keys: ['k'], content: '@@is_greeting 1\ny' },
        ]),
      ],
      [],
      {
        greetingIndex: 0,
      },
    );
    expect(run.gates.decoratorGate(0)).toBe('@@activate_only_after 2: 0 assistant messages so far');
    expect(run.gates.decoratorGate(1)).toBe('@@is_greeting 1: active greeting is 0');
  });
});
