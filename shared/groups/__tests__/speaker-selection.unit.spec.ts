import { describe, expect, test } from '@jest/globals';
import { seededRandom, shuffled } from '../seeded-random.ts';
import { chooseSpeakers, wordsOf, type SpeakerCandidate, type SpeakerChoiceInput, type SpokenMessage } from '../speaker-selection.ts';

const alice: SpeakerCandidate = { id: 'a', name: 'Alice', enabled: true, talkativeness: 0.5 };
const bob: SpeakerCandidate = { id: 'b', name: 'Bob Stone', enabled: true, talkativeness: 0.5 };
const carol: SpeakerCandidate = { id: 'c', name: 'Carol', enabled: true, talkativeness: 0.5 };
const dave: SpeakerCandidate = { id: 'd', name: 'Dave', enabled: false, talkativeness: 1 };

/** A source that returns the given values in turn (then repeats the last). */
const script = (...values: number[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
};
const user = (content: string): SpokenMessage => ({ sender: 'user', speakerId: null, name: 'You', content });
const said = (who: SpeakerCandidate, content = '...'): SpokenMessage => ({
  sender: 'assistant',
  speakerId: who.id,
  name: who.name,
  content,
});

const base = (over: Partial<SpeakerChoiceInput>): SpeakerChoiceInput => ({
  members: [alice, bob, carol, dave],
  strategy: 'natural',
  allowSelfResponses: false,
  history: [],
  userText: null,
  kind: 'normal',
  requested: null,
  random: seededRandom('test'),
  ...over,
});

describe('seeded random', () => {
  test('the same seed gives the same sequence, another seed another one, all in [0, 1)', () => {
    const a = seededRandom('chat-1:3');
    const b = seededRandom('chat-1:3');
    const c = seededRandom('chat-1:4');
    const xs = Array.from({ length: 200 }, () => a());
    expect(Array.from({ length: 200 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 200 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(200);
  });

  test('shuffle is a permutation decided by the source', () => {
    const items = [1, 2, 3, 4, 5, 6];
    const s = shuffled(items, seededRandom('x'));
    expect([...s].sort()).toEqual(items);
    expect(shuffled(items, seededRandom('x'))).toEqual(s);
    expect(items).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('natural order', () => {
  test('words are ASCII word characters, lower-cased (Cyrillic names never match, as in SillyTavern)', () => {
    expect(wordsOf("Hey O'Brien, Bob-Stone!")).toEqual(['hey', 'o', 'brien', 'bob', 'stone']);
    expect(wordsOf('Привет Алиса')).toEqual([]);
  });

  test('members named in the user message answer first, in the order named; muted ones are never named in', () => {
    // Rolls: nobody wins (every roll 0.99 > 0.5).
    const speakers = chooseSpeakers(base({ userText: 'carol, and you, stone? Dave too', random: script(0.99) }));
    expect(speakers).toEqual(['c', 'b']);
  });

  test('then the talkativeness winners in shuffled order, without repeating a named member', () => {
    // shuffle of [a, b, c] with 0.0, 0.0 -> j=0 each time: [b, c, a]; then rolls b 0.9 (loses), c 0.1 (wins), a 0.2 (wins)
    const speakers = chooseSpeakers(base({ members: [alice, bob, carol], userText: 'hello Alice', random: script(0, 0, 0.9, 0.1, 0.2) }));
    expect(speakers).toEqual(['a', 'c']);
  });

  test('nobody named and every roll lost: one chatty member at random', () => {
    const speakers = chooseSpeakers(base({ members: [alice, bob, carol], userText: 'hi', random: script(0, 0, 0.9, 0.9, 0.9, 0.7) }));
    expect(speakers).toHaveLength(1);
    // the pool (chatty, in shuffled order [b, c, a]) index floor(0.7 * 3) = 2 -> a
    expect(speakers).toEqual(['a']);
  });

  test('without user input the last speaker does not answer itself, unless self responses are allowed', () => {
    const history = [user('hi'), said(alice, 'I am Alice and Alice I stay')];
    const always = [{ ...alice, talkativeness: 1 }, bob, { ...carol, talkativeness: 0 }];
    const banned = chooseSpeakers(base({ members: always, history, random: script(0, 0, 0.99) }));
    expect(banned).not.toContain('a');
    expect(banned).toEqual(['b']);
    const allowed = chooseSpeakers(base({ members: always, history, allowSelfResponses: true, random: script(0, 0, 0.99) }));
    expect(allowed[0]).toBe('a');
  });

  test('talkativeness 0 never wins a roll above 0 and is not in the fallback pool while others are chatty', () => {
    const quiet = { ...alice, talkativeness: 0 };
    for (let seed = 0; seed < 50; seed++) {
      const speakers = chooseSpeakers(base({ members: [quiet, bob], userText: 'hello', random: seededRandom(`s${seed}`) }));
      expect(speakers).toEqual(['b']);
    }
  });

  test('at least one speaker whenever a member is enabled, and the same seed picks the same speakers', () => {
    for (let seed = 0; seed < 30; seed++) {
      const input = base({ userText: 'what now?', random: seededRandom(`turn-${seed}`) });
      const first = chooseSpeakers(input);
      expect(first.length).toBeGreaterThanOrEqual(1);
      expect(first).not.toContain('d');
      expect(chooseSpeakers({ ...input, random: seededRandom(`turn-${seed}`) })).toEqual(first);
    }
  });
});

describe('list, pooled and manual', () => {
  test('list: every enabled member, in list order, one reply each', () => {
    expect(chooseSpeakers(base({ strategy: 'list', userText: 'Dave?' }))).toEqual(['a', 'b', 'c']);
  });

  test("pooled: one member who has not spoken since the user's last message", () => {
    const history = [user('hi'), said(alice), said(carol)];
    for (let seed = 0; seed < 20; seed++)
      expect(chooseSpeakers(base({ strategy: 'pooled', history, random: seededRandom(`p${seed}`) }))).toEqual(['b']);
  });

  test('pooled: a new user message opens the pool again; everyone spoken: anyone but the last speaker', () => {
    const history = [user('hi'), said(alice), said(bob), said(carol)];
    const fresh = new Set(
      Array.from(
        { length: 40 },
        (_, i) => chooseSpeakers(base({ strategy: 'pooled', history, userText: 'again', random: seededRandom(`q${i}`) }))[0],
      ),
    );
    expect([...fresh].sort()).toEqual(['a', 'b', 'c']);
    const spent = new Set(
      Array.from({ length: 40 }, (_, i) => chooseSpeakers(base({ strategy: 'pooled', history, random: seededRandom(`r${i}`) }))[0]),
    );
    expect([...spent].sort()).toEqual(['a', 'b']);
  });

  test('manual: a user message gets no reply; an empty turn one random unmuted member', () => {
    expect(chooseSpeakers(base({ strategy: 'manual', userText: 'Alice, hi' }))).toEqual([]);
    const one = chooseSpeakers(base({ strategy: 'manual', random: script(0.99) }));
    expect(one).toEqual(['c']);
  });
});

describe('forced speakers and kinds of generation', () => {
  test('a requested member answers alone, even muted; a non-member nobody', () => {
    expect(chooseSpeakers(base({ requested: 'd', userText: 'Alice?' }))).toEqual(['d']);
    expect(chooseSpeakers(base({ strategy: 'manual', requested: 'b', userText: 'hi' }))).toEqual(['b']);
    expect(chooseSpeakers(base({ requested: 'zz' }))).toEqual([]);
  });

  test('regenerate and continue keep the speaker of the newest character message (by id, else by name)', () => {
    const history = [user('hi'), said(bob), user('and?')];
    expect(chooseSpeakers(base({ kind: 'regenerate', history }))).toEqual(['b']);
    expect(chooseSpeakers(base({ kind: 'continue', history: [said(carol)] }))).toEqual(['c']);
    const legacy: SpokenMessage = { sender: 'assistant', speakerId: null, name: 'Alice', content: 'x' };
    expect(chooseSpeakers(base({ kind: 'regenerate', history: [legacy] }))).toEqual(['a']);
  });

  test('impersonate takes any member, muted included', () => {
    expect(chooseSpeakers(base({ kind: 'impersonate', random: script(0.99) }))).toEqual(['d']);
  });

  test('all muted: nobody answers the natural, list and pooled strategies', () => {
    const muted = [alice, bob].map((m) => ({ ...m, enabled: false }));
    for (const strategy of ['natural', 'list', 'pooled'] as const)
      expect(chooseSpeakers(base({ members: muted, strategy, userText: 'Alice?' }))).toEqual([]);
  });
});
