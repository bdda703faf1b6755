/**
 * Ranking a chat's turns for a memory query: BM25 over the conversation terms of memory-terms.ts, with the query's
 * names, numbers and dates weighted above plain words, then the conversation around each turn:
 * - a turn next to a matching turn gains part of that turn's score (a question and its answer belong together:
 *   "where does she live?" finds the reply "in Lisbon", which has none of the question's words);
 * - a turn whose own words and its neighbours' cover more of the query's distinct terms gains more;
 * - a turn in a session (a day) with other matches gains a little.
 * Pure: the store hands in postings and the path around the candidates.
 */
import { analyseText, describeTerm, relativeDateTerms, termKind, type TermKind } from './memory-terms.ts';

export interface QueryTerm {
  term: string;
  weight: number;
  /** The query term this one stands for (`@md:03-05` stands for `md:03-05`), for coverage. */
  concept: string;
}

const KIND_WEIGHT: Record<TermKind, number> = { word: 1, name: 2, number: 1.5, date: 2, sent: 1.2, class: 1 };

/**
 * The terms a query looks up, with their weights; a date also looks up the turns sent on that day. Relative dates
 * ("yesterday", "last Tuesday") are the days they mean from `now`, the time the query is asked.
 */
export function analyseQuery(text: string, expansion: readonly string[] = [], now: Date = new Date()): QueryTerm[] {
  const out: QueryTerm[] = [];
  const terms = analyseText(text, null, true).terms;
  for (const term of relativeDateTerms(text, now)) if (!terms.has(term)) terms.set(term, 1);
  for (const [term, count] of terms) {
    const weight = KIND_WEIGHT[termKind(term)] * (1 + Math.log(count));
    out.push({ term, weight, concept: term });
    if (/^(md|d|m):/.test(term)) out.push({ term: `@${term}`, weight: KIND_WEIGHT.sent, concept: term });
  }
  // Names found in the first results (the second hop of a question about two facts), below the query's own terms.
  for (const term of expansion) if (!out.some((q) => q.term === term)) out.push({ term, weight: EXPANSION_WEIGHT, concept: term });
  return out;
}

export interface Posting {
  messageId: string;
  /** How often the term occurs in the turn. */
  tf: number;
  /** The turn's length in words. */
  length: number;
}

export interface CorpusStats {
  documents: number;
  averageLength: number;
}

export interface OwnScore {
  score: number;
  terms: string[];
  /** Each term's part of the score. */
  parts: number[];
}

/** The weight of a name found in the first results rather than in the query. */
export const EXPANSION_WEIGHT = 0.6;

const K1 = 1.2;
const B = 0.75;

/** Each turn's own BM25 score and the query terms it holds. */
export function scoreTurns(
  query: readonly QueryTerm[],
  postings: ReadonlyMap<string, readonly Posting[]>,
  stats: CorpusStats,
): Map<string, OwnScore> {
  const scores = new Map<string, OwnScore>();
  const n = Math.max(1, stats.documents);
  const avg = Math.max(1, stats.averageLength);
  for (const q of query) {
    const list = postings.get(q.term);
    if (!list || list.length === 0) continue;
    const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
    for (const p of list) {
      const norm = p.tf + K1 * (1 - B + (B * Math.max(1, p.length)) / avg);
      const s = (q.weight * idf * (p.tf * (K1 + 1))) / norm;
      const own = scores.get(p.messageId);
      if (own) {
        own.score += s;
        own.terms.push(q.term);
        own.parts.push(s);
      } else scores.set(p.messageId, { score: s, terms: [q.term], parts: [s] });
    }
  }
  return scores;
}

/** A turn on the active path, as the ranking needs it. */
export interface PathTurn {
  id: string;
  depth: number;
  /** The session: the UTC day it was sent (YYYY-MM-DD). */
  day: string;
}

export interface MemoryHit {
  message_id: string;
  score: number;
  why: string;
}

const NEIGHBOUR_SHARE = 0.5;
const COVERAGE_GAIN = 0.5;
const SESSION_SHARE = 0.1;

const round = (x: number) => Math.round(x * 1000) / 1000;

function listTerms(terms: readonly string[]): string {
  const byKind = new Map<string, string[]>();
  for (const t of new Set(terms)) {
    const kind = termKind(t);
    const label =
      kind === 'word'
        ? 'terms'
        : kind === 'name'
          ? 'names'
          : kind === 'number'
            ? 'numbers'
            : kind === 'date'
              ? 'dates'
              : kind === 'class'
                ? 'holds'
                : 'sent';
    const list = byKind.get(label) ?? [];
    list.push(kind === 'sent' ? describeTerm(t).replace('sent on ', '') : describeTerm(t));
    byKind.set(label, list);
  }
  return [...byKind]
    .map(([label, list]) =>
      label === 'sent'
        ? `sent on ${list.join(', ')}`
        : label === 'holds'
          ? `holds ${list.join(' and ')}`
          : `${label} ${list.map((x) => `"${x}"`).join(', ')}`,
    )
    .join('; ');
}

/**
 * The ranked turns: the candidates (turns on the active path with an own score) and their path neighbours
 * (`byDepth`: every turn at depth ±1 of a candidate), best first, at most `limit`.
 */
export function rankTurns(
  query: readonly QueryTerm[],
  own: ReadonlyMap<string, OwnScore>,
  candidates: readonly PathTurn[],
  byDepth: ReadonlyMap<number, PathTurn>,
  limit: number,
): MemoryHit[] {
  const concepts = new Set(query.map((q) => q.concept));
  const conceptOf = new Map(query.map((q) => [q.term, q.concept]));
  const ownScore = (id: string | undefined) => (id ? (own.get(id)?.score ?? 0) : 0);
  const sessions = new Map<string, string[]>();
  for (const c of candidates) {
    const list = sessions.get(c.day) ?? [];
    if (ownScore(c.id) > 0) list.push(c.id);
    sessions.set(c.day, list);
  }
  const turns = new Map<string, PathTurn>();
  for (const c of candidates) {
    turns.set(c.id, c);
    for (const d of [c.depth - 1, c.depth + 1]) {
      const t = byDepth.get(d);
      if (t) turns.set(t.id, t);
    }
  }
  const hits: Array<MemoryHit & { sort: number }> = [];
  for (const turn of turns.values()) {
    const mine = own.get(turn.id);
    const before = byDepth.get(turn.depth - 1);
    const after = byDepth.get(turn.depth + 1);
    const lead = [before, after].filter((t): t is PathTurn => !!t && ownScore(t.id) > 0).sort((a, b) => ownScore(b.id) - ownScore(a.id))[0];
    const neighbourScore = lead ? ownScore(lead.id) : 0;
    let score = (mine?.score ?? 0) + NEIGHBOUR_SHARE * neighbourScore;
    if (score <= 0) continue;
    const covered = new Set<string>();
    for (const t of [...(mine?.terms ?? []), ...(lead ? own.get(lead.id)!.terms : [])]) covered.add(conceptOf.get(t) ?? t);
    score *= 1 + (COVERAGE_GAIN * covered.size) / Math.max(1, concepts.size);
    const others = (sessions.get(turn.day) ?? []).filter((id) => id !== turn.id);
    const sessionMatches = others.length;
    if (sessionMatches > 0) score += SESSION_SHARE * Math.max(...others.map(ownScore));
    const parts: string[] = [];
    if (mine) parts.push(`matched ${listTerms(mine.terms)}`);
    if (lead) {
      const side = lead === before ? 'the turn before' : 'the turn after';
      parts.push(`${mine ? 'next to' : 'led here by'} ${side} (${lead.id}), which matched ${listTerms(own.get(lead.id)!.terms)}`);
    }
    if (sessionMatches > 0)
      parts.push(`same session (${turn.day}) as ${sessionMatches} other matching turn${sessionMatches === 1 ? '' : 's'}`);
    hits.push({ message_id: turn.id, score: round(score), why: parts.join('; '), sort: score });
  }
  hits.sort((a, b) => b.sort - a.sort || turns.get(b.message_id)!.depth - turns.get(a.message_id)!.depth);
  return hits.slice(0, limit).map(({ sort: _sort, ...hit }) => hit);
}

/**
 * The second hop's turns among the first ranking's: every third place goes to a turn the second lookup (with
 * the names the first results held) found and the first did not, so a question about two facts gets both while
 * the first ranking's order stays ahead.
 */
export function interleaveSecondHop(
  first: readonly MemoryHit[],
  second: readonly MemoryHit[],
  names: readonly string[],
  limit: number,
): MemoryHit[] {
  const seen = new Set(first.map((h) => h.message_id));
  const via = names.map(describeTerm).join('", "');
  const fresh = second
    .filter((h) => !seen.has(h.message_id))
    .map((h) => ({ ...h, why: `second hop, through the names "${via}" of the best turns: ${h.why}` }));
  const out: MemoryHit[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < first.length || j < fresh.length)) {
    if ((out.length % 3 === 2 && j < fresh.length) || i >= first.length) out.push(fresh[j++]!);
    else out.push(first[i++]!);
  }
  return out;
}
