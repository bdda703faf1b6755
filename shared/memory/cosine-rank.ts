/**
 * Exact nearest neighbours by cosine: `rows` holds `ids.length` normalised vectors of `dimensions` floats one after
 * another, `query` is normalised, and only rows whose id `include` accepts are ranked. Best first, ties by id.
 */
export function rankByCosine(
  rows: Float32Array,
  dimensions: number,
  ids: readonly string[],
  query: Float32Array,
  k: number,
  include: (id: string) => boolean = () => true,
): Array<{ message_id: string; score: number }> {
  if (k <= 0 || query.length !== dimensions) return [];
  const scored: Array<{ message_id: string; score: number }> = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!include(id)) continue;
    let dot = 0;
    const offset = i * dimensions;
    for (let j = 0; j < dimensions; j++) dot += rows[offset + j]! * query[j]!;
    // Keep only what can still be among the best k: a bounded, sorted list (k is small).
    if (scored.length === k && dot <= scored[k - 1]!.score) continue;
    let at = scored.length;
    while (at > 0 && (scored[at - 1]!.score < dot || (scored[at - 1]!.score === dot && scored[at - 1]!.message_id > id))) at--;
    scored.splice(at, 0, { message_id: id, score: dot });
    if (scored.length > k) scored.pop();
  }
  return scored;
}
