/**
 * `items` in order, cut into runs whose sizes add up to at most `budget` (an item larger than the budget is a run of
 * its own); no runs for no items. What keeps a bulk write within an event store's append limit: entries per
 * world-book event, messages per import event, events per append.
 */
export function runsBySize<T>(items: Iterable<T>, sizeOf: (item: T) => number, budget: number): T[][] {
  const runs: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && bytes + size > budget) {
      runs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) runs.push(current);
  return runs;
}
