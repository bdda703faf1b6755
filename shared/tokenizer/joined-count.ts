/**
 * The token count of a text that grows by appending (SillyTavern's world-info budget check counts
 * `newContent += content + '\n'` whole after every entry: merges and the dummy prefix make that differ from the
 * sum of the entries' own counts). A counter that supports it re-counts only the end of the text that the next
 * piece can still change; any other counter counts the whole text again (exact, quadratic).
 */
export interface JoinedTokenCount {
  /** Tokens of everything appended so far followed by `text`, without appending it. */
  measure(text: string): number;
  /** Appends `text`; returns the tokens of everything appended so far. */
  append(text: string): number;
}

export interface JoinableCounter {
  count(text: string): number;
  startJoined?(): JoinedTokenCount;
}

/** Counts the whole text again on every call: for counters without an incremental count. */
export function recountJoined(counter: { count(text: string): number }): JoinedTokenCount {
  let text = '';
  return {
    measure: (more) => counter.count(text + more),
    append: (more) => counter.count((text += more)),
  };
}

export function startJoinedCount(counter: JoinableCounter): JoinedTokenCount {
  return counter.startJoined?.() ?? recountJoined(counter);
}

/**
 * Incremental joined count over a text cut into independently counted pieces (`split` gives the pieces of a text
 * in order; `countPiece` one piece's tokens). The last `keep` pieces stay open: the next text is split together
 * with them, everything before them is final.
 */
export function tailJoined(
  split: (text: string, atStart: boolean) => string[],
  countPiece: (piece: string) => number,
  keep: number,
): JoinedTokenCount {
  let stable = 0;
  let tail: string[] = [];
  let started = false;
  // A budget check measures a text, then usually appends that same text: the split is kept for it.
  let measured: { more: string; pieces: string[] } | undefined;
  const measurePieces = (more: string): string[] => {
    if (more === '') return tail;
    if (measured?.more !== more) measured = { more, pieces: split(tail.join('') + more, !started) };
    return measured.pieces;
  };
  const total = (pieces: readonly string[]) => pieces.reduce((n, p) => n + countPiece(p), stable);
  return {
    measure: (more) => total(measurePieces(more)),
    append: (more) => {
      const pieces = measurePieces(more);
      measured = undefined;
      if (more !== '') started = true;
      const cut = Math.max(0, pieces.length - keep);
      for (let i = 0; i < cut; i++) stable += countPiece(pieces[i]!);
      tail = pieces.slice(cut);
      return total(tail);
    },
  };
}
