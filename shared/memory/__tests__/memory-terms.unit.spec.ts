import { describe, expect, test } from '@jest/globals';
import { analyseText, relativeDateTerms, sentDayTerms } from '../memory-terms.ts';
import { analyseQuery, interleaveSecondHop, rankTurns, scoreTurns, type Posting } from '../memory-ranking.ts';

const terms = (text: string, speaker: string | null = null) => [...analyseText(text, speaker).terms.keys()];

describe('memory terms', () => {
  test('stems, stop words, folded diacritics, names and the speaker', () => {
    const t = terms("Élodie's sister remembered the cafés we were visiting", 'Anna Marie');
    expect(t).toEqual(expect.arrayContaining(['elodi', 'n:elodie', 'sister', 'cafe', 'visit', 'n:anna', 'n:marie']));
    expect(t).not.toContain('the');
    expect(t).not.toContain('we');
  });

  test('numbers as digits, dates normalised, a month alone', () => {
    expect(terms('twenty-one cats, 1,500 dogs, the 3rd time')).toEqual(expect.arrayContaining(['#21', '#1500', '#3']));
    for (const text of ['on March 5th, 2026', 'on 5 March 2026', 'on 2026-03-05', 'on 3/5/2026'])
      expect(terms(text)).toEqual(expect.arrayContaining(['md:03-05', 'd:2026-03-05', 'm:2026-03']));
    expect(terms('in September')).toContain('mo:09');
    expect(sentDayTerms(new Date('2026-03-05T22:00:00Z'))).toEqual(['@md:03-05', '@d:2026-03-05', '@m:2026-03']);
  });

  test('relative dates are the days they mean from the day a turn was sent (or a query asked)', () => {
    const thursday = new Date('2026-03-05T20:00:00Z');
    const day = (text: string) => relativeDateTerms(text, thursday).filter((t) => t.startsWith('d:'));
    expect(day('Today I ran my first half marathon')).toEqual(['d:2026-03-05']);
    expect(day('We went sailing yesterday')).toEqual(['d:2026-03-04']);
    expect(day('last night the power went out')).toEqual(['d:2026-03-04']);
    expect(day('the day before yesterday')).toEqual(['d:2026-03-03']);
    expect(day('see you tomorrow')).toEqual(['d:2026-03-06']);
    expect(day('three days ago we moved')).toEqual(['d:2026-03-02']);
    expect(day('a week ago')).toEqual(['d:2026-02-26']);
    expect(day('in two days')).toEqual(['d:2026-03-07']);
    expect(day('last Tuesday')).toEqual(['d:2026-03-03']);
    expect(day('next Thursday')).toEqual(['d:2026-03-12']);
    expect(day('this Saturday')).toEqual(['d:2026-03-07']);
    expect(relativeDateTerms('Today', thursday)).toEqual(['md:03-05', 'd:2026-03-05', 'm:2026-03']);
    expect(day('a year ago, some day, the weekday')).toEqual([]);
    // A query asks against its own time: "yesterday" then is the day before it.
    expect(analyseQuery('what did we do yesterday?', [], thursday).map((q) => q.term)).toEqual(
      expect.arrayContaining(['d:2026-03-04', '@d:2026-03-04']),
    );
  });

  test('scripts without spaces as character pairs; classes of words a question asks for', () => {
    expect(terms('東京に行った')).toEqual(expect.arrayContaining(['東京', '京に']));
    expect(terms('[Image: a red kite]')).toEqual(expect.arrayContaining(['@image', '@colour', 'kite']));
    // In a query, a colour is only that colour; "what colour" asks for the class.
    expect(analyseQuery('the red kite').map((q) => q.term)).not.toContain('@colour');
    expect(analyseQuery('what colour was the kite').map((q) => q.term)).toContain('@colour');
    expect(analyseQuery('what happened on March 5?').map((q) => q.term)).toEqual(expect.arrayContaining(['md:03-05', '@md:03-05']));
  });
});

describe('memory ranking', () => {
  const postings = (rows: Record<string, string[]>) => {
    const map = new Map<string, Posting[]>();
    for (const [id, list] of Object.entries(rows))
      for (const term of list) map.set(term, [...(map.get(term) ?? []), { messageId: id, tf: 1, length: 8 }]);
    return map;
  };

  test('a turn next to a matching one gains from it, and the why names the neighbour; best first', () => {
    const query = analyseQuery('where does Elodie live');
    const own = scoreTurns(query, postings({ q: ['elodi', 'n:elodie'], a: ['live'], x: [] }), { documents: 100, averageLength: 8 });
    const path = [
      { id: 'q', depth: 1, day: '2026-01-01' },
      { id: 'a', depth: 2, day: '2026-01-01' },
      { id: 'x', depth: 3, day: '2026-01-01' },
    ];
    const hits = rankTurns(query, own, path.slice(0, 2), new Map(path.map((p) => [p.depth, p])), 10);
    expect(hits.map((h) => h.message_id)).toEqual(['q', 'a', 'x']);
    expect(hits[0]!.why).toMatch(/names "elodie"/);
    expect(hits[1]!.why).toMatch(/next to the turn before \(q\)/);
    expect(hits[2]!.why).toMatch(/led here by the turn before \(a\)/);
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((x, y) => y - x));
  });

  test('the second hop takes every third place', () => {
    const hit = (id: string) => ({ message_id: id, score: 1, why: 'w' });
    const merged = interleaveSecondHop([hit('a'), hit('b'), hit('c')], [hit('a'), hit('z')], ['n:farah'], 5);
    expect(merged.map((h) => h.message_id)).toEqual(['a', 'b', 'z', 'c']);
    expect(merged[2]!.why).toMatch(/second hop, through the names "farah"/);
  });
});
